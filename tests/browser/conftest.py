"""Browser tests: the real app on a live local server, driven by Debian's Chromium.

One server and one browser per test session. Each role signs in once, through the login
form, in its own browser context (its own cookies), and keeps that context for the session;
the limiter (10 sign-ins a minute) and CSRF stay on, as in production.

Every page a role's browser opens is watched: console errors (CSP violations among them),
uncaught script errors, failed requests and 4xx/5xx answers from the app all land in
``Person.problems``, and tests call ``Person.assert_clean()``. Exceptions raised inside the
app are collected too (``LiveServer.errors``), even though the browser only sees a 500 page.
"""

from __future__ import annotations

import secrets
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser import a11y
from tests.support import skip_or_fail
from tests.support.browser import BrowserUnavailable, launch_chromium
from tests.support.databases import clone_database

PASSWORD = "correct-horse-42"
# Same algorithm as production, minimal cost: signing in seven people stays quick.
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
VIEWPORT = {"width": 1280, "height": 860}
# Generous: CI shares two cores between pytest workers, the live server and Chromium.
TIMEOUT_MS = 30_000
HOME_DEPT = "welfare"  # 福祉局: the requester's and the manager's bureau
PAST_DEPT = "kita"  # 北区: a ward whose finished case the office can cite

# role -> (name, department code); the names show up in screenshots, so they look real.
PEOPLE: dict[str, tuple[str, str | None]] = {
    "requester": ("山田 花子", HOME_DEPT),
    "dept_manager": ("佐藤 健一", HOME_DEPT),
    "office": ("鈴木 一郎", "digital"),
    "office_lead": ("高橋 直子", "digital"),
    "expert": ("田中 誠", None),
    "executive": ("伊藤 雅之", None),
    "admin": ("渡辺 翔", None),
}
# Where each role lands after signing in (web.auth.routes.HOME_BY_ROLE).
HOME_PATH = {
    "requester": "/cases/",
    "dept_manager": "/tasks/",
    "office": "/office/board",
    "office_lead": "/office/board",
    "expert": "/cases/",
    "executive": "/dashboard/",
    "admin": "/admin/users",
}


@dataclass(frozen=True)
class Account:
    role: str
    id: int
    email: str
    name: str


# --- the database and the server ---------------------------------------------------------


@pytest.fixture(scope="session")
def live_db_url(database_template, tmp_path_factory) -> str:
    """A private copy of the migrated, seeded template database for the live server."""
    return clone_database(database_template, tmp_path_factory.mktemp("browser") / "dxflow.sqlite3",
                          prefix="dxflow_browser")


def _create_people(session) -> dict[str, Account]:
    from workflow.models import Department, User

    departments = {d.code: d.id for d in session.scalars(select(Department))}
    users = {}
    for n, (role, (name, dept)) in enumerate(PEOPLE.items(), start=1):
        user = User(email=f"{role}{n}@city.example.jp", name=name, role=role,
                    department_id=departments[dept] if dept else None,
                    password_hash=CHEAP_HASH, language="ja")
        session.add(user)
        users[role] = user
    session.commit()
    return {role: Account(role, u.id, u.email, u.name) for role, u in users.items()}


def _create_past_case(session, office_user) -> None:
    """Background, not part of the journey: a ward's finished case for the office to cite.

    Built through the real engine (tests.workflow_helpers.walk_to), in another bureau so that
    the Welfare Bureau's lists and reviews only hold what the journey itself creates.
    """
    from tests.workflow_helpers import NOW, new_case, walk_to
    from workflow.models import Department, User

    ward = session.scalar(select(Department).where(Department.code == PAST_DEPT))
    people = {"office": office_user}
    for role, name in (("requester", "中村 由美"), ("dept_manager", "小林 和也"),
                       ("office_lead", None)):
        if name is None:
            people[role] = session.scalar(select(User).where(User.role == role))
            continue
        people[role] = User(email=f"{role}.kita@city.example.jp", name=name, role=role,
                            department_id=ward.id, password_hash=CHEAP_HASH, language="ja")
        session.add(people[role])
    session.commit()
    case = new_case(session, people["requester"], title="区役所窓口の申請手続のオンライン化",
                    description="転入・転出に伴う申請書の受付と入力を電子申請に切り替えたい")
    walk_to(session, case, "closed_completed", people, NOW)


@pytest.fixture(scope="session")
def browser_people(live_db_url) -> dict[str, Account]:
    """One account per role (bureau roles in the Welfare Bureau), plus the past case."""
    from workflow.db import make_engine, make_session_factory
    from workflow.models import User

    engine = make_engine(live_db_url)
    try:
        with make_session_factory(engine)() as session:
            accounts = _create_people(session)
            _create_past_case(session, session.get(User, accounts["office"].id))
    finally:
        engine.dispose()
    return accounts


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: Any = "-", size: Any = "-") -> None:  # one line per request
        pass


@dataclass
class LiveServer:
    url: str
    app: Any
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def live_server(live_db_url, browser_people, tmp_path_factory) -> Iterator[LiveServer]:
    """The real app (CSRF, limiter, CSP, secure cookies flags as configured) on 127.0.0.1."""
    from flask import got_request_exception

    from web import create_app
    from web.extensions import db

    instance = tmp_path_factory.mktemp("browser-instance")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": live_db_url,
        # A real random key: the app runs as in production (not TESTING, not DEBUG).
        "SECRET_KEY": secrets.token_hex(32),
        "DXFLOW_INSTANCE_DIR": str(instance),
        "UPLOAD_DIR": str(instance / "uploads"),
    })
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)

    def remember(sender, exception, **extra):
        live.errors.append("".join(traceback.format_exception(exception)))

    got_request_exception.connect(remember, app)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    thread.join(timeout=10)
    got_request_exception.disconnect(remember, app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright (skip locally, fail in CI when either is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright for Python is not installed (pip install -e '.[test]')")
    # Failure screenshots of an earlier run would only mislead.
    for old in SCREENSHOTS.glob("failed-*.png"):
        old.unlink(missing_ok=True)
    with sync_playwright() as playwright:
        try:
            browser = launch_chromium(playwright)
        except BrowserUnavailable as exc:
            skip_or_fail(str(exc))
        yield browser
        browser.close()


class Person:
    """One signed-in user in their own browser context, with everything that went wrong."""

    def __init__(self, account: Account, context: Any, server: LiveServer) -> None:
        self.account = account
        self.role = account.role
        self.context = context
        self.server = server
        self.problems: list[str] = []
        self.audited: set[tuple[str, int]] = set()
        self.page = context.new_page()
        a11y.AUDITORS[id(self.page)] = self.audit
        self.page.set_default_timeout(TIMEOUT_MS)
        from playwright.sync_api import expect

        expect.set_options(timeout=TIMEOUT_MS)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)
        self.page.on("dialog", lambda dialog: dialog.accept())
        # Every page load of the main frame (fetches and history.pushState are not).
        self.navigations: list[str] = []
        self.page.on("request", self._request)

    # listeners
    def _same_origin(self, url: str) -> bool:
        return url == self.server.url or url.startswith(self.server.url + "/")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _request_failed(self, request: Any) -> None:
        # ERR_ABORTED is the browser dropping a request because the page moved on (the
        # favicon, say, when the next click comes quickly); a missing or broken resource
        # shows up as an HTTP status below instead.
        if self._same_origin(request.url) and request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.method} {request.url}: "
                                 f"{request.failure}")

    def _request(self, request: Any) -> None:
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.navigations.append(f"{request.method} {request.url}")

    def _response(self, response: Any) -> None:
        if self._same_origin(response.url) and response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.request.method} "
                                 f"{response.url}")

    # actions
    def url(self, path: str) -> str:
        return self.server.url + path

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.url(path))
        assert response is not None and response.ok, (path, response and response.status)
        self.audit()
        return self.page

    def audit(self) -> None:
        """axe on the page as it is now: no serious or critical violation (tests.browser.a11y).

        Each distinct page state is audited once per session: a path seen again with the
        same markup would only repeat the same verdict."""
        self.page.wait_for_load_state("load")
        key = (self.page.url.split("#")[0], self.page.evaluate(
            "() => document.body.innerHTML.length"))
        if key in self.audited:
            return
        self.audited.add(key)
        found = a11y.violations(self.page)
        assert not found, a11y.describe(self.page.url, found)

    def sign_in(self) -> None:
        page = self.page
        self.goto("/login")
        page.get_by_label("メールアドレス").fill(self.account.email)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url(self.url(HOME_PATH[self.role]))
        # The header names the person: the session really is theirs.
        assert self.account.name in page.locator(".user-name").inner_text()

    def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def assert_clean(self) -> None:
        """No console errors, script errors or failed requests so far, no server exception."""
        problems, self.problems = self.problems, []
        errors, self.server.errors[:] = list(self.server.errors), []
        assert not problems, "\n".join(problems)
        assert not errors, "\n".join(errors)


@pytest.fixture(scope="session")
def people_in_browser(chromium, live_server, browser_people) -> Iterator[dict[str, Person]]:
    """role -> Person, signed in lazily (once per session) on first use."""
    class Roster(dict):
        def __missing__(self, role: str) -> Person:
            # reduced motion: charts draw without animation, so screenshots are complete.
            context = chromium.new_context(viewport=VIEWPORT, locale="ja-JP",
                                           timezone_id="Asia/Tokyo", reduced_motion="reduce")
            person = Person(browser_people[role], context, live_server)
            person.sign_in()
            person.assert_clean()
            self[role] = person
            return person

    roster = Roster()
    yield roster
    for person in roster.values():
        person.context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed
    return report


@pytest.fixture
def as_role(request, people_in_browser) -> Iterator[Any]:
    """``as_role("office")`` → that role's signed-in Person (tests call ``assert_clean``).

    After a failed test each person's page is saved as failed-<test>-<role>.png, and what
    went wrong on it is forgotten so that it does not fail the next test too."""
    used: list[Person] = []

    def get(role: str) -> Person:
        person = people_in_browser[role]
        used.append(person)
        return person

    yield get
    if getattr(request.node, "browser_failed", False):
        # What each person was looking at when the test failed.
        for person in dict.fromkeys(used):
            try:
                person.screenshot(f"failed-{request.node.name}-{person.role}")
            except Exception as exc:  # a crashed page must not hide the test's own failure
                print(f"no screenshot of {person.role}'s page: {exc}")
    for person in used:
        # Leftovers from a failed test must not fail the next one.
        person.problems.clear()
