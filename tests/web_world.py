"""A small, realistic world for the web's cross-cutting tests (authorisation matrix, CSRF, errors).

One user per role (bureau roles in the Welfare Bureau, office roles in the Digital Office), a
Welfare Bureau case in ``planning_plan`` with a complete plan (KGI, a KPI with a target), an
expert and an office member as supporters, a KPI review, an attachment, an inbox message per
user, a dead-letter e-mail, an API token per user and an upcoming substitution per pair; plus a
case of another bureau (Finance) that the Welfare Bureau must never reach.

Users get a cheap Argon2 hash (same algorithm, minimal cost) so that signing everyone in per
test costs milliseconds rather than most of a second each.
"""

from __future__ import annotations

import itertools
import os
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import select

from tests.workflow_helpers import fire_as, new_case, walk_to
from workflow.attachments import store_attachment
from workflow.fiscal import fiscal_year
from workflow.models import (
    Case,
    Department,
    Notification,
    Review,
    Substitution,
    User,
    utcnow,
)
from workflow.office import add_supporter
from workflow.plans import plan_for
from workflow.tokens import create_token

PASSWORD = "correct-horse-42"
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
ROLES = ("requester", "dept_manager", "office", "office_lead", "expert", "executive", "admin")
ANONYMOUS = "anonymous"
HOME_DEPT = "welfare"
FOREIGN_DEPT = "finance"
CSRF_MESSAGE = "フォームの有効期限が切れたか、不正な送信です"
PROBLEM_JSON = "application/problem+json"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PDF = b"%PDF-1.4\n% dxflow test attachment\n"


@dataclass
class World:
    """Ids of everything in the world (plain ints: usable from any session or app)."""

    users: dict[str, int]
    emails: dict[str, str]
    case_id: int
    case_number: str
    foreign_case_id: int
    attachment_id: int
    foreign_attachment_id: int
    review_id: int
    foreign_review_id: int
    supporter_id: int
    kpi_id: int
    fiscal_year: int
    department_id: int
    spare_user_id: int
    outsider_expert_id: int
    dead_letter_id: int
    notifications: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)
    substitutions: dict[str, int] = field(default_factory=dict)

    def params(self, role: str, endpoint: str = "", *, foreign: bool = False) -> dict:
        """Values for every URL variable the app's rules use, as ``role`` would follow them."""
        notification = self.notifications.get(role, 0)
        if endpoint == "inbox.retry":
            notification = self.dead_letter_id
        return {
            "case_id": self.foreign_case_id if foreign else self.case_id,
            "attachment_id": self.foreign_attachment_id if foreign else self.attachment_id,
            "review_id": self.foreign_review_id if foreign else self.review_id,
            "supporter_id": self.supporter_id,
            "kpi_id": self.kpi_id,
            "fiscal_year": self.fiscal_year,
            "trigger": "submit_plan",
            "action": "accept",
            "notification_id": notification,
            "token_id": self.token_ids.get(role, 0),
            "substitution_id": self.substitutions.get(role, 0),
            "user_id": self.spare_user_id,
            "department_id": self.department_id,
            "code": "invalid_token",
            "filename": "css/app.css",
        }


def cheap_user(session, role: str, dept: str | None, name: str) -> User:
    dept_id = None
    if dept:
        dept_id = session.scalar(select(Department.id).where(Department.code == dept))
    user = User(email=f"{name}@city.example.jp", name=name, role=role, department_id=dept_id,
                password_hash=CHEAP_HASH, language="ja")
    session.add(user)
    session.commit()
    return user


def default_dept(role: str) -> str | None:
    if role in {"requester", "dept_manager"}:
        return HOME_DEPT
    if role in {"office", "office_lead"}:
        return "digital"
    return None


def _inbox(session, user: User, case: Case, n: int) -> Notification:
    note = Notification(recipient_id=user.id, channel="inbox", reason="comment",
                        object_type="case", object_id=case.id, dedupe_key=f"world-inbox-{n}",
                        subject=f"{case.number} にコメントがあります", body="確認してください",
                        status="sent", sent_at=utcnow())
    session.add(note)
    return note


def build_world(session, upload_dir: str | Path) -> World:
    users = {role: cheap_user(session, role, default_dept(role), f"world-{role}") for role in ROLES}
    spare = cheap_user(session, "requester", HOME_DEPT, "world-spare")
    outsider_expert = cheap_user(session, "expert", None, "world-expert-2")
    foreign_people = {
        "requester": cheap_user(session, "requester", FOREIGN_DEPT, "world-fin-requester"),
        "dept_manager": cheap_user(session, "dept_manager", FOREIGN_DEPT, "world-fin-manager"),
        "office": users["office"], "office_lead": users["office_lead"],
    }

    case = new_case(session, users["requester"], title="福祉窓口の申請オンライン化")
    walk_to(session, case, "planning_plan", users)
    add_supporter(session, case, users["office_lead"], kind="expert", user=users["expert"])
    supporter = add_supporter(session, case, users["office_lead"], kind="office",
                              user=users["office_lead"])
    kpi_id = plan_for(session, case).kpis[0].id
    fy = fiscal_year(utcnow())
    review = Review(case_id=case.id, owner_id=users["dept_manager"].id, fiscal_year=fy - 1,
                    period="FY", due_date=utcnow().date() + timedelta(days=30), status="open")
    session.add(review)
    session.commit()
    attachment = store_attachment(session, case, users["requester"], "現状業務フロー.pdf", PDF,
                                  Path(upload_dir))

    foreign = new_case(session, foreign_people["requester"], title="財政局の予算編成支援")
    walk_to(session, foreign, "consultation_submitted", foreign_people)
    fire_as(session, foreign, "accept", users["office"])
    foreign_review = Review(case_id=foreign.id, owner_id=foreign_people["dept_manager"].id,
                            fiscal_year=fy - 1, period="FY",
                            due_date=utcnow().date() + timedelta(days=30), status="open")
    session.add(foreign_review)
    session.commit()
    foreign_attachment = store_attachment(session, foreign, foreign_people["requester"],
                                          "予算資料.pdf", PDF, Path(upload_dir))

    notifications = {role: _inbox(session, user, case, n) for n, (role, user)
                     in enumerate(users.items())}
    dead = Notification(recipient_id=users["requester"].id, channel="email", reason="comment",
                        object_type="case", object_id=case.id, dedupe_key="world-dead",
                        subject="配信できなかった通知", body="本文", status="dead", attempts=8,
                        last_error="550 mailbox unavailable")
    session.add(dead)
    session.commit()

    tokens, token_ids = {}, {}
    for role, user in users.items():
        row, text = create_token(session, user, f"{role} のテスト用トークン")
        tokens[role], token_ids[role] = text, row.id

    # Upcoming (not yet active) substitutions, one per user who may name one, so each can end
    # their own and nobody borrows a colleague's role during the test.
    start = utcnow().date() + timedelta(days=30)
    pairs = {"requester": users["dept_manager"], "dept_manager": users["requester"],
             "office": users["office_lead"], "office_lead": users["office"],
             "expert": outsider_expert}
    rows = {}
    for principal, substitute in pairs.items():
        rows[principal] = Substitution(principal_id=users[principal].id,
                                       substitute_id=substitute.id, starts_on=start,
                                       ends_on=start + timedelta(days=7), note="休暇")
        session.add(rows[principal])
    session.commit()

    return World(
        users={role: u.id for role, u in users.items()},
        emails={role: u.email for role, u in users.items()},
        case_id=case.id, case_number=case.number, foreign_case_id=foreign.id,
        attachment_id=attachment.id, foreign_attachment_id=foreign_attachment.id,
        review_id=review.id, foreign_review_id=foreign_review.id, supporter_id=supporter.id,
        kpi_id=kpi_id, fiscal_year=fy, department_id=users["requester"].department_id,
        spare_user_id=spare.id, outsider_expert_id=outsider_expert.id, dead_letter_id=dead.id,
        notifications={role: n.id for role, n in notifications.items()},
        tokens=tokens, token_ids=token_ids,
        substitutions={role: r.id for role, r in rows.items()},
    )


def csrf_from(client, url: str) -> str:
    from tests.conftest import CSRF_RE

    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def sign_in(client, email: str) -> None:
    token = csrf_from(client, "/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302 and "/login" not in response.headers["Location"], \
        f"{email} could not sign in"


def app_config(db_url: str, instance_dir: Path, **extra) -> dict:
    return {
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret-key",
        "UPLOAD_DIR": str(instance_dir / "uploads"), "DXFLOW_INSTANCE_DIR": str(instance_dir),
        **extra,
    }


def close_app(app) -> None:
    with app.app_context():
        from web.extensions import db

        db.session.remove()
        db.engine.dispose()


# --- a world built once per module, copied per test -------------------------------------------

_clones = itertools.count(1)


@dataclass
class WorldTemplate:
    """A database holding the world (and the sign-ins), copied for each test.

    ``sessions`` holds each role's signed session cookie and a CSRF token that goes with it:
    the cookie session is stateless, so a fresh client given the cookie is signed in on any
    copy of the database (same secret key), without paying for a sign-in per test.
    """

    kind: str
    source: object
    world: World
    instance_dir: Path
    sessions: dict[str, tuple[str, str]]

    def clone(self, tmp_path: Path) -> str:
        if self.kind == "postgresql":
            import psycopg

            cluster, template = self.source
            name = f"dxflow_world_{os.getpid()}_{next(_clones)}"
            with psycopg.connect(host="127.0.0.1", port=cluster.port, user="dxflow",
                                 dbname="postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return cluster.url_for(name)
        target = tmp_path / "world.sqlite3"
        shutil.copyfile(self.source, target)
        return f"sqlite:///{target}"

    def app(self, tmp_path: Path, **extra):
        from web import create_app

        return create_app(app_config(self.clone(tmp_path), self.instance_dir, **extra))


def make_template(database_template, directory: Path) -> WorldTemplate:
    from web import create_app
    from workflow.db import make_engine, make_session_factory

    kind, source = database_template
    instance = directory / "instance"
    instance.mkdir(parents=True)
    if kind == "postgresql":
        import psycopg

        name = f"dxflow_worldtpl_{os.getpid()}_{next(_clones)}"
        with psycopg.connect(host="127.0.0.1", port=source.port, user="dxflow",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE dxflow_template')
        url, stored = source.url_for(name), (source, name)
    else:
        path = directory / "world-template.sqlite3"
        shutil.copyfile(source, path)
        url, stored = f"sqlite:///{path}", path
    engine = make_engine(url)
    session = make_session_factory(engine)()
    try:
        world = build_world(session, instance / "uploads")
    finally:
        session.close()
        engine.dispose()
    app = create_app(app_config(url, instance))
    sessions = {}
    try:
        for role in ROLES:
            client = app.test_client()
            sign_in(client, world.emails[role])
            token = csrf_from(client, "/account")
            sessions[role] = (client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value, token)
    finally:
        close_app(app)
    return WorldTemplate(kind, stored, world, instance, sessions)


class Visitor:
    """A test client signed in as one role (or anonymous), with a CSRF token at hand."""

    def __init__(self, app, template: WorldTemplate, role: str):
        self.app, self.world, self.role = app, template.world, role
        self.client = app.test_client()
        if role == ANONYMOUS:
            self.csrf = csrf_from(self.client, "/login")
        else:
            cookie, self.csrf = template.sessions[role]
            self.client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)

    @property
    def token(self) -> str | None:
        return self.world.tokens.get(self.role)


# --- the app's routes and their marks ---------------------------------------------------------

def route_table():
    """(an app, its rules except ``static``), read at collection time from a throw-away app."""
    from web import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "collection-only"})
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"),
                   key=lambda r: (r.rule, r.endpoint))
    return app, rules


def rule_id(rule) -> str:
    return f"{rule.endpoint}:{rule.rule}"


def method_of(rule) -> str:
    """The method the matrix sends: GET when the route answers it, else its only method."""
    methods = rule.methods - {"HEAD", "OPTIONS"}
    if "GET" in methods:
        return "GET"
    assert len(methods) == 1, f"{rule_id(rule)}: which method to test? {methods}"
    return next(iter(methods))


def mark_of(app, rule):
    """(roles, or None for @public; "token" for the bearer-token API, else "session").

    Raises ``LookupError`` for a view without a mark."""
    view = app.view_functions[rule.endpoint]
    if not hasattr(view, "dxflow_roles"):
        raise LookupError(rule_id(rule))
    return view.dxflow_roles, getattr(view, "dxflow_auth", "session")


def call(app, template: WorldTemplate, role: str, rule, *, method: str | None = None,
         foreign: bool = False, csrf: bool = True, data: dict | None = None, **override):
    """Send ``rule``'s request as ``role`` with the world's ids in the URL (buffered).

    Web writes carry the visitor's CSRF token (unless ``csrf`` is false) and ``data``; API
    calls carry the role's bearer token and an empty JSON body."""
    from flask import url_for

    visitor = Visitor(app, template, role)
    method = method or method_of(rule)
    values = {**template.world.params(role, rule.endpoint, foreign=foreign), **override}
    with app.test_request_context():
        url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
    _roles, auth = mark_of(app, rule)
    if auth == "token":
        headers = {"Authorization": f"Bearer {visitor.token}"} if visitor.token else {}
        body = {} if method in WRITE_METHODS else None
        return visitor.client.open(url, method=method, headers=headers, json=body, buffered=True)
    form = None
    if method in WRITE_METHODS:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", visitor.csrf)
    return visitor.client.open(url, method=method, data=form, buffered=True)
