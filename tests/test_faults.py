"""Faults (issue #6): the app killed in the middle of a transition, the database restarting.

* A child process fires hold/resume on one case in a loop and is killed with SIGKILL: once
  while it sleeps inside a transition's transaction (after the case row, the audit event and
  the outbox rows are written, before the commit), and several times at random moments. After
  each kill the case is either fully changed (state, version, its audit event and its outbox
  rows) or not at all: the event log replays to the stored state, the versions match, every
  transition event has its outbox rows and nothing of the killed transaction remains. On a
  SQLite file database and on PostgreSQL.
* PostgreSQL stopped (``pg_ctl stop -m fast``) under a running app: pages, the REST API and
  /healthz answer 503 with a clear message (not 500); once it is started again the same app
  (no restart: ``pool_pre_ping``) answers normally and nothing was half-written meanwhile.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD_HASH, AuthActions, department, migrate_and_seed
from tests.support import skip_or_fail
from tests.workflow_helpers import fire_as, new_case
from workflow.db import make_engine, make_session_factory
from workflow.models import AuditEvent, Case, Notification, User

REPO = Path(__file__).resolve().parent.parent
# Hold and resume each tell the requester: an inbox row and (SMTP configured) an e-mail row.
OUTBOX_ROWS_PER_MOVE = 2
IN_APP_ONLY = 1  # the test process configures no SMTP: the inbox row only
CHILD_START_TIMEOUT = 60

# The "app process": fires hold/resume on one case until it is killed. ``stall_at`` (1-based)
# makes that fire sleep inside its transaction, after everything else the transition writes;
# 0 never stalls. Each committed move is appended to ``progress`` after its commit.
CHILD = textwrap.dedent('''
    import sys, time
    from pathlib import Path

    from sqlalchemy import func, select

    import notifications.effects  # noqa: F401  (as in the app: transitions queue notifications)
    from workflow import engine
    from workflow.db import make_engine, make_session_factory
    from workflow.effects import on_any_transition
    from workflow.models import Case, Notification, User

    url, case_id, actor_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    progress, marker, stall_at = Path(sys.argv[4]), Path(sys.argv[5]), int(sys.argv[6])
    fired = 0

    @on_any_transition  # registered after notifications.effects, so it runs after them
    def stall(f):
        if fired == stall_at:
            outbox = f.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.dedupe_key.like(f"%:event-{f.event_id}:%")))
            marker.write_text(f"{f.event_id} {f.version} {outbox}")
            time.sleep(600)

    session = make_session_factory(make_engine(url))()
    actor = session.get(User, actor_id)
    with progress.open("a") as log:
        while True:
            fired += 1
            case = session.get(Case, case_id, populate_existing=True)
            trigger = "resume" if case.state == "on_hold" else "hold"
            result = engine.fire(session, case, trigger, actor, comment="障害試験")
            log.write(f"{result.event_id} {result.version}\\n")
            log.flush()
''')


# --- a database with one case, and a way to look at it --------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fault_db(request, tmp_path) -> str:
    """A migrated, seeded database of either kind (both are tested in every run)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'faults.sqlite3'}"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.create_database(f"dxflow_faults_{uuid.uuid4().hex[:12]}")
    migrate_and_seed(url)
    return url


def add_user(session, role: str, dept: str | None) -> User:
    user = User(email=f"{role}-{uuid.uuid4().hex[:8]}@city.example.jp", name=f"{role} faults",
                role=role, department_id=department(session, dept).id if dept else None,
                password_hash=PASSWORD_HASH, language="ja")
    session.add(user)
    session.commit()
    return user


def world(url: str) -> tuple[int, int, int]:
    """(case id, office user id, requester id): a case in hearing, assigned to the office user."""
    engine = make_engine(url)
    session = make_session_factory(engine)()
    try:
        requester = add_user(session, "requester", "welfare")
        office = add_user(session, "office", "digital")
        case = new_case(session, requester)
        fire_as(session, case, "submit", requester)
        fire_as(session, case, "accept", office)
        return case.id, office.id, requester.id
    finally:
        session.close()
        engine.dispose()


def check_consistent(url: str, case_id: int, outbox_per_move: int = OUTBOX_ROWS_PER_MOVE) -> dict:
    """Assert the case, its audit log and its outbox agree; return what is stored."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            state, version = conn.execute(select(Case.state, Case.version)
                                          .where(Case.id == case_id)).one()
            events = conn.execute(select(AuditEvent.id, AuditEvent.kind, AuditEvent.trigger,
                                         AuditEvent.from_state, AuditEvent.to_state,
                                         AuditEvent.case_version)
                                  .where(AuditEvent.case_id == case_id)
                                  .order_by(AuditEvent.id)).all()
            outbox = dict(conn.execute(
                select(Notification.dedupe_key, Notification.channel)
                .where(Notification.object_type == "case", Notification.object_id == case_id,
                       Notification.reason == "transition")).all())
    finally:
        engine.dispose()
    assert events[0].kind == "created"
    replayed = events[0].to_state
    for e in events[1:]:
        if e.kind == "transition":
            assert e.from_state == replayed, (e, replayed)
            replayed = e.to_state
    assert replayed == state, "the audit log does not replay to the stored state"
    versions = [e.case_version for e in events if e.case_version is not None]
    assert versions == sorted(versions) and versions[-1] == version, (versions, version)
    moves = [e for e in events if e.kind == "transition" and e.trigger in ("hold", "resume")]
    per_event = {e.id: [k for k in outbox if f":event-{e.id}:" in k] for e in moves}
    assert all(len(keys) == outbox_per_move for keys in per_event.values()), per_event
    known = {f":event-{e.id}:" for e in events if e.kind == "transition"}
    orphans = [k for k in outbox if not any(tag in k for tag in known)]
    assert not orphans, f"outbox rows without their transition: {orphans}"
    return {"state": state, "version": version, "moves": len(moves),
            "event_ids": {e.id for e in events}}


# --- the child process ------------------------------------------------------------------------


def start_child(url: str, case_id: int, actor_id: int, tmp_path: Path, stall_at: int):
    script = tmp_path / "fire_loop.py"
    script.write_text(CHILD)
    progress, marker = tmp_path / f"progress-{uuid.uuid4().hex[:6]}", tmp_path / "stalled"
    marker.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(script), url, str(case_id), str(actor_id), str(progress),
         str(marker), str(stall_at)],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    return proc, progress, marker


def wait_for(predicate, proc, what: str, timeout: float = CHILD_START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"the child exited before {what}: {proc.communicate()[1]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def kill(proc) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def committed(progress: Path) -> list[tuple[int, int]]:
    if not progress.exists():
        return []
    return [tuple(map(int, line.split())) for line in progress.read_text().splitlines()
            if line.strip()]


def fire_once_more(url: str, case_id: int, actor_id: int) -> None:
    """The case is not left locked: another process can change it right away."""
    engine = make_engine(url)
    session = make_session_factory(engine)()
    try:
        case = session.get(Case, case_id)
        actor = session.get(User, actor_id)
        fire_as(session, case, "resume" if case.state == "on_hold" else "hold", actor)
    finally:
        session.close()
        engine.dispose()


# --- (a) the app process killed mid-transition -----------------------------------------------


@pytest.fixture(autouse=True)
def email_on(monkeypatch, request):
    """E-mail "on" (here and in the child): moves queue outbox rows; nothing is ever sent."""
    if "own_cluster" not in request.fixturenames:
        monkeypatch.setenv("DXFLOW_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DXFLOW_SMTP_PORT", "9")
        monkeypatch.delenv("DXFLOW_WEBHOOK_URL", raising=False)


@pytest.mark.slow
def test_killed_inside_a_transition_leaves_nothing_of_it(fault_db, tmp_path):
    case_id, office_id, _requester_id = world(fault_db)
    before = check_consistent(fault_db, case_id)
    stall_at = 4  # three moves commit, the fourth is killed inside its transaction
    proc, progress, marker = start_child(fault_db, case_id, office_id, tmp_path, stall_at)
    try:
        wait_for(lambda: marker.exists() and marker.read_text().strip(), proc,
                 "the transition to stall")
    finally:
        kill(proc)
    stalled_event, stalled_version, outbox_written = map(int, marker.read_text().split())
    # The killed transaction had written everything: case row, audit event, outbox rows.
    assert outbox_written == OUTBOX_ROWS_PER_MOVE
    done = committed(progress)
    assert len(done) == stall_at - 1

    after = check_consistent(fault_db, case_id)
    assert after["moves"] == before["moves"] + len(done)
    assert after["version"] == before["version"] + len(done) == done[-1][1]
    assert after["version"] == stalled_version - 1  # not the version the killed move wrote
    assert stalled_event not in after["event_ids"]
    assert {event for event, _v in done} <= after["event_ids"]

    fire_once_more(fault_db, case_id, office_id)
    assert check_consistent(fault_db, case_id)["version"] == after["version"] + 1


@pytest.mark.slow
def test_killed_at_random_moments_never_leaves_half_a_transition(fault_db, tmp_path):
    case_id, office_id, _requester_id = world(fault_db)
    rng = random.Random(6)  # noqa: S311 - reproducible kill delays
    moves = check_consistent(fault_db, case_id)["moves"]
    for _round in range(3):
        proc, progress, _marker = start_child(fault_db, case_id, office_id, tmp_path, 0)
        try:
            wait_for(lambda progress=progress: len(committed(progress)) >= 2, proc,
                     "the first moves")
            time.sleep(rng.uniform(0, 0.05))
        finally:
            kill(proc)
        done = committed(progress)
        after = check_consistent(fault_db, case_id)
        # The last move may have committed just before its line was written: one more, at most.
        assert after["moves"] - moves in (len(done), len(done) + 1), (after, len(done))
        moves = after["moves"]
    fire_once_more(fault_db, case_id, office_id)
    check_consistent(fault_db, case_id)


# --- (b) the database restarting under the app -------------------------------------------------


@pytest.fixture
def own_cluster():
    """A cluster of this test's own: it is stopped and started under a running app."""
    from tests.support.postgres import PostgresCluster, PostgresUnavailable

    try:
        cluster = PostgresCluster()
    except PostgresUnavailable as exc:
        skip_or_fail(f"PostgreSQL is not available: {exc}")
    cluster.start()
    yield cluster
    cluster.stop()


def test_only_an_unreachable_database_is_a_503():
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from web.errors import database_unavailable

    down = OperationalError("SELECT 1", {}, Exception("connection refused"))
    dropped = DBAPIError("SELECT 1", {}, Exception("server closed the connection"),
                         connection_invalidated=True)
    assert database_unavailable(down) and database_unavailable(dropped)
    assert database_unavailable(PoolTimeout("QueuePool limit reached"))
    # A constraint violation or bad SQL is a bug: it stays a 500.
    assert not database_unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not database_unavailable(DBAPIError("SELEC", {}, Exception("syntax error")))


@pytest.mark.slow
@pytest.mark.postgres
def test_database_restart_answers_503_then_recovers_without_restarting_the_app(
        own_cluster, tmp_path):
    from web import create_app
    from web.extensions import db
    from workflow.people.tokens import create_token

    url = own_cluster.create_database("dxflow_outage")
    migrate_and_seed(url)
    case_id, office_id, _requester_id = world(url)
    engine = make_engine(url)
    session = make_session_factory(engine)()
    office = session.get(User, office_id)
    _token, bearer = create_token(session, office, "faults")
    session.close()
    engine.dispose()

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "test-secret-key", "UPLOAD_DIR": str(tmp_path / "uploads"),
                      "DXFLOW_INSTANCE_DIR": str(tmp_path)})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping") is True
    client = app.test_client()
    api = {"Authorization": f"Bearer {bearer}"}
    try:
        assert AuthActions(client).login(office).status_code == 302
        page = client.get(f"/cases/{case_id}")
        assert page.status_code == 200
        token = page.get_data(as_text=True).split('name="csrf_token" value="', 1)[1].split('"')[0]
        version = check_consistent(url, case_id, IN_APP_ONLY)["version"]

        own_cluster.stop_server()
        for path in (f"/cases/{case_id}", "/cases/", "/office/board"):
            response = client.get(path)
            assert response.status_code == 503, (path, response.status_code)
            assert "データベースに接続できません" in response.get_data(as_text=True)
            assert response.headers["Retry-After"]
        english = client.get("/cases/", headers={"Accept-Language": "en"})
        assert english.status_code == 503
        assert "Cannot connect to the database" in english.get_data(as_text=True)
        moved = client.post(f"/cases/{case_id}/transitions/hold",
                            data={"csrf_token": token, "version": version, "comment": "保留"})
        assert moved.status_code == 503
        problem = client.get("/api/v1/cases", headers=api)
        assert problem.status_code == 503
        assert problem.headers["Content-Type"].startswith("application/problem+json")
        assert problem.get_json()["title"] == "データベースに接続できません"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["database"]["ok"] is False

        own_cluster.start_server()
        page = client.get(f"/cases/{case_id}")  # the same app, no restart
        assert page.status_code == 200
        assert client.get("/api/v1/cases", headers=api).status_code == 200
        assert client.get("/healthz").status_code == 200
        # The POST during the outage changed nothing; the same form works now.
        assert check_consistent(url, case_id, IN_APP_ONLY)["version"] == version
        moved = client.post(f"/cases/{case_id}/transitions/hold",
                            data={"csrf_token": token, "version": version, "comment": "保留"})
        assert moved.status_code == 302
        stored = check_consistent(url, case_id, IN_APP_ONLY)
        assert (stored["state"], stored["version"]) == ("on_hold", version + 1)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
