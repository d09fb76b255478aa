"""A small, realistic world for the web's cross-cutting tests (matrix, CSRF, errors, counts).

One user per role (bureau roles in the Welfare Bureau, office roles in the Digital Office);
a Welfare Bureau case in ``planning_plan`` with a complete plan (KGI, a KPI with a target), an
expert and an office member as supporters and an attachment; a second Welfare case live in
``review_monitoring`` whose KPI review (created by go_live) is open; an inbox message per user,
a dead-letter e-mail, an API token per user and an upcoming substitution per user who may name
one; plus a case of another bureau (Finance) the Welfare Bureau must never reach. Everything is
made through the workflow functions and the engine.

``make_template`` builds the world once (per test module) and signs everyone in; each test
then gets a copy of that database (``WorldTemplate.app``) and clients carrying the saved
session cookies (``Visitor``). Users get a cheap Argon2 hash (same algorithm, minimal cost).

``bulk_portfolio`` adds many cases cheaply with SQLAlchemy Core (query counts, bench/web.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.support.databases import clone_database
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
from workflow.people.tokens import create_token
from workflow.plans import plan_for

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
    spare_session_id: int
    notifications: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)
    substitutions: dict[str, int] = field(default_factory=dict)
    import_jobs: dict[str, int] = field(default_factory=dict)

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
            "session_id": self.spare_session_id,
            "job_id": self.import_jobs.get(role, 0),
            "user_id": self.spare_user_id,
            "department_id": self.department_id,
            "code": "invalid_token",
            "filename": "css/app.css",
            "fmt": "csv",
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
    # A second case of the bureau, live since going live: its KPI review is open (the
    # obligations are created by go_live), for the bureau manager to submit.
    live = new_case(session, users["requester"], title="介護保険の電子申請")
    walk_to(session, live, "review_monitoring", users, satisfy=False)
    review = session.scalar(select(Review).where(Review.case_id == live.id,
                                                 Review.status == "open")
                            .order_by(Review.due_date))
    assert review is not None, "go_live created no KPI review"
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
    # An open browser session of the spare user, for the admin's "end this session" button.
    from workflow.sessions import start as start_session

    _token, spare_session = start_session(session, spare, ip="192.0.2.7", user_agent="world")
    # A finished (refused) import of each role that may import, for its progress page.
    from workflow.models import ImportJob

    jobs = {role: ImportJob(user_id=users[role].id, filename="取組一覧.csv", token="world",
                            state="failed", error_ja="ファイルが空です。",
                            error_en="The file is empty.")
            for role in ("office_lead", "admin")}
    session.add_all(jobs.values())
    session.commit()

    return World(
        users={role: u.id for role, u in users.items()},
        emails={role: u.email for role, u in users.items()},
        case_id=case.id, case_number=case.number, foreign_case_id=foreign.id,
        attachment_id=attachment.id, foreign_attachment_id=foreign_attachment.id,
        review_id=review.id, foreign_review_id=foreign_review.id, supporter_id=supporter.id,
        kpi_id=kpi_id, fiscal_year=fy, department_id=users["requester"].department_id,
        spare_user_id=spare.id, outsider_expert_id=outsider_expert.id, dead_letter_id=dead.id,
        spare_session_id=spare_session.id,
        notifications={role: n.id for role, n in notifications.items()},
        tokens=tokens, token_ids=token_ids,
        substitutions={role: r.id for role, r in rows.items()},
        import_jobs={role: job.id for role, job in jobs.items()},
    )


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(client, url: str) -> str:
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
            cluster, template = self.source
            return clone_database(("postgresql", cluster), tmp_path / "world.sqlite3",
                                  prefix="dxflow_world", template=template)
        return clone_database(("sqlite", self.source), tmp_path / "world.sqlite3")

    def app(self, tmp_path: Path, **extra):
        from web import create_app

        return create_app(app_config(self.clone(tmp_path), self.instance_dir, **extra))


def make_template(database_template, directory: Path) -> WorldTemplate:
    from web import create_app
    from workflow.db import make_engine, make_session_factory

    kind, source = database_template
    instance = directory / "instance"
    instance.mkdir(parents=True)
    path = directory / "world-template.sqlite3"
    url = clone_database(database_template, path, prefix="dxflow_worldtpl")
    # Tests clone the world in turn: keep what a clone is made from.
    stored = (source, make_url(url).database) if kind == "postgresql" else path
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


# --- many cases, cheaply (query counts and bench/web.py) --------------------------------------

# The first ten states cover every column of the board and every kind of row a page shows, so
# ten cases already exercise each code path; later cases cycle through the whole machine.
STATE_CYCLE = (
    "consultation_submitted", "consultation_hearing", "consultation_study", "planning_plan",
    "planning_approval", "solution_poc", "review_monitoring", "on_hold", "closed_completed",
    "draft", "consultation_proposing", "planning_as_is", "planning_to_be",
    "solution_selection", "solution_rollout", "closed_withdrawn", "closed_rejected",
    "review_monitoring", "planning_plan", "consultation_submitted",
)
ORDER = ("draft", "consultation", "planning", "solution", "review", "closed")
TITLES = ("窓口手続のオンライン化", "庁内文書の電子決裁", "AIチャットボットの導入",
          "RPAによる入力作業の自動化", "オープンデータの公開", "キャッシュレス決済の導入",
          "施設予約システムの更新",
          "GIS活用による点検業務の効率化", "ペーパーレス会議の推進", "テレワーク環境の整備")


@dataclass
class PortfolioPeople:
    """Who the generated cases belong to: per department id, a requester and a manager."""

    requesters: dict[int, int]
    managers: dict[int, int]
    office: list[int]
    expert: int | None
    departments: list[int]


def people_for_portfolio(session, world: World | None = None) -> PortfolioPeople:
    """Every active bureau department; the world's users where it has them."""
    from workflow.models import User as UserModel

    depts = list(session.scalars(select(Department.id).where(
        Department.active.is_(True), Department.code != "digital").order_by(Department.id)))
    requesters, managers = {}, {}
    for user in session.scalars(select(UserModel).where(
            UserModel.role.in_(("requester", "dept_manager")), UserModel.active.is_(True))
            .order_by(UserModel.id)):
        target = requesters if user.role == "requester" else managers
        target.setdefault(user.department_id, user.id)
    office = list(session.scalars(select(UserModel.id).where(
        UserModel.role.in_(("office", "office_lead")), UserModel.active.is_(True))))
    expert = session.scalar(select(UserModel.id).where(UserModel.role == "expert")
                            .order_by(UserModel.id))
    return PortfolioPeople(requesters, managers, office, expert, depts)


def bulk_portfolio(connection, count: int, people: PortfolioPeople, *, start: int = 0,
                   now=None) -> list[int]:
    """Insert ``count`` cases spread over states, bureaus and fiscal years with SQLAlchemy Core,
    with what the pages read about them: the audit events that moved them (created, decided,
    approved, their current state), plans with a KPI, KPI reviews, supporters and an inbox
    message to the requester. Numbers are DX-<fy>-<seq> with seq from 5001 + ``start``.
    Returns the new case ids. The caller commits."""
    from sqlalchemy import insert

    from workflow.models import AuditEvent, Kpi, KpiTarget, Plan
    from workflow.models import Supporter as SupporterModel

    now = now or utcnow()
    this_fy = fiscal_year(now)
    case_rows, meta = [], []
    for k in range(start, start + count):
        state = STATE_CYCLE[k % len(STATE_CYCLE)]
        # Shifted every cycle of states, so each bureau gets cases in every state.
        dept = people.departments[(k + k // len(STATE_CYCLE)) % len(people.departments)]
        fy = this_fy - (k // 7) % 4
        created = now - timedelta(days=30 + (k * 37) % (365 * 3))
        closed = state.startswith("closed_")
        case_rows.append({
            "number": f"DX-{fy}-{5001 + k:04d}", "fiscal_year": fy, "seq": 5001 + k,
            "title": f"{TITLES[k % len(TITLES)]}（{k + 1}）", "department_id": dept,
            "requester_id": people.requesters.get(dept),
            "assignee_id": (people.office[k % len(people.office)]
                            if state not in ("draft", "consultation_submitted") and people.office
                            else None),
            "case_type": ("dx_project", "ict_consultation", "feasibility_study")[k % 3],
            "priority": ("normal", "high", "low", "urgent")[k % 4],
            "category": ("service", "city", "administration", "foundation")[k % 4],
            "values": ["service"], "description": "業務の現状と課題を整理し、デジタル化を検討する",
            "current_problem": "紙と手入力の作業が多い",
            "desired_outcome": "手続の時間を半分にする",
            "proposal_text": "", "state": state,
            "hold_return_state": "planning_plan" if state == "on_hold" else None,
            "version": 3,
            "submitted_at": None if state == "draft" else created + timedelta(days=1),
            "closed_at": created + timedelta(days=20) if closed else None,
            "created_at": created, "updated_at": created + timedelta(days=20),
        })
        meta.append((state, dept, created))
    cases_t = Case.__table__
    ids = [row.id for row in connection.execute(
        insert(cases_t).returning(cases_t.c.id, sort_by_parameter_order=True), case_rows)]

    events, plans, reviews, supporters, notes = [], [], [], [], []
    for case_id, (state, dept, created), k in zip(ids, meta, range(start, start + count),
                                                  strict=True):
        actor = people.requesters.get(dept)
        phase = state.split("_", 1)[0]
        rank = ORDER.index(phase) if phase in ORDER else 2  # on_hold: was in planning

        def event(kind, to_state, from_state=None, trigger=None, days=0, who=actor,
                  _case_id=case_id, _created=created):
            events.append({"case_id": _case_id, "kind": kind, "trigger": trigger,
                           "from_state": from_state, "to_state": to_state, "case_version": 1,
                           "actor_id": who, "data": None, "comment": None,
                           "created_at": _created + timedelta(days=days)})

        event("created", "draft")
        if state != "draft":
            event("transition", "consultation_submitted", "draft", "submit", 1)
        if rank >= 2:
            event("transition", "planning_as_is", "consultation_study", "decide_go", 5,
                  people.managers.get(dept))
        if rank >= 3 and state not in ("closed_withdrawn", "closed_rejected"):
            event("transition", "solution_selection", "planning_approval", "approve_plan", 12,
                  people.managers.get(dept))
        if state not in ("draft", "consultation_submitted"):
            event("transition", state, "consultation_submitted", "move", 15)
        if rank >= 2 and state not in ("closed_withdrawn", "closed_rejected"):
            plans.append({"case_id": case_id, "kgi": "手続のオンライン化率100%",
                          "security_checklist": {}, "as_is_notes": "紙の申請が7割",
                          "to_be_notes": "オンライン申請を標準にする",
                          "created_at": created, "updated_at": created})
        if state == "review_monitoring":
            reviews.append({"case_id": case_id, "owner_id": people.managers.get(dept),
                            "fiscal_year": this_fy - 1, "period": "FY",
                            "due_date": (now + timedelta(days=(k % 60) - 20)).date(),
                            "status": "open", "comment": "", "next_actions": "",
                            "created_at": created})
        if people.expert and k % 7 == 3:
            supporters.append({"case_id": case_id, "kind": "expert", "user_id": people.expert,
                               "organization": "", "note": "", "added_at": created})
        if k % 11 == 5:
            supporters.append({"case_id": case_id, "kind": "consultant", "user_id": None,
                               "organization": f"コンサル{k % 5}社", "note": "",
                               "added_at": created})
        if actor is not None and state != "draft":
            notes.append({"recipient_id": actor, "channel": "inbox", "reason": "transition",
                          "object_type": "case", "object_id": case_id,
                          "dedupe_key": f"bulk-{case_id}", "language": "ja",
                          "subject": "案件の状態が変わりました",
                          "body": "案件ページをご確認ください",
                          "status": "sent", "attempts": 0, "next_attempt_at": created,
                          "created_at": created, "sent_at": created})
    connection.execute(insert(AuditEvent.__table__), events)
    if plans:
        plan_t = Plan.__table__
        plan_ids = [r.id for r in connection.execute(
            insert(plan_t).returning(plan_t.c.id, sort_by_parameter_order=True), plans)]
        kpi_t = Kpi.__table__
        kpi_ids = [r.id for r in connection.execute(
            insert(kpi_t).returning(kpi_t.c.id, sort_by_parameter_order=True),
            [{"plan_id": pid, "position": 0, "name": "オンライン申請件数", "unit": "件",
              "direction": "increase", "baseline": 100, "baseline_text": "",
              "baseline_label": "2023年度", "outcome": "", "note": ""} for pid in plan_ids])]
        connection.execute(insert(KpiTarget.__table__), [
            {"kpi_id": kid, "fiscal_year": this_fy, "value": 300, "text": "",
             "original_text": ""} for kid in kpi_ids])
    if reviews:
        connection.execute(insert(Review.__table__), reviews)
    if supporters:
        connection.execute(insert(SupporterModel.__table__), supporters)
    if notes:
        connection.execute(insert(Notification.__table__), notes)
    return ids


# Fixtures shared by the cross-cutting web tests (registered through tests/conftest.py).

@pytest.fixture(scope="module")
def world_template(database_template, tmp_path_factory):
    """The world, built once per module; each test copies its database."""
    return make_template(database_template, tmp_path_factory.mktemp("world"))


@pytest.fixture
def world_app(world_template, tmp_path):
    app = world_template.app(tmp_path)
    yield app
    close_app(app)
