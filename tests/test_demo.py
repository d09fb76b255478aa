"""`dxflow demo`: the action plan's initiatives as cases with a history the engine can replay.

Loading the demo takes seconds, so the command runs once per module (into a copy of the
migrated test database, SQLite or PostgreSQL) and the tests read what it wrote.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.conftest import AuthActions
from tests.support.databases import clone_database
from web.commands import main
from web.commands.demo import DEMO_DATABASE, _database_url
from workflow.db import make_engine, make_session_factory
from workflow.demo.loader import DemoError, load_demo
from workflow.demo.people import DEMO_DOMAIN, DEMO_PASSWORD
from workflow.fiscal import TOKYO
from workflow.models import AuditEvent, Case, Comment, KpiActual, Plan, Review, User
from workflow.portfolio.action_plan import load_action_plan
from workflow.reports.metrics import portfolio_figures

# Saturday 21 November 2026, 12:00 in Tokyo: FY2026, after the FY2025 reviews fell due.
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def _database_copy(database_template, instance) -> tuple[str, dict[str, str]]:
    """A migrated, seeded, empty database for the demo, and the environment pointing at it."""
    # On SQLite the copy goes where `dxflow demo` looks by default.
    url = clone_database(database_template, instance / DEMO_DATABASE, prefix="dxflow_demo")
    return url, ({} if url.startswith("sqlite") else {"DXFLOW_DATABASE_URL": url})


@pytest.fixture(scope="module")
def demo_run(database_template, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    url, env = _database_copy(database_template, instance)
    env = {"DXFLOW_INSTANCE_DIR": str(instance), "DXFLOW_DATABASE_URL": None, **env}
    with time_machine.travel(NOW, tick=False):
        result = CliRunner().invoke(main, ["demo", "--no-serve"], env=env)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return SimpleNamespace(output=result.output, url=url, instance=instance)


@pytest.fixture(scope="module")
def demo_engine(demo_run):
    engine = make_engine(demo_run.url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(demo_engine):
    session = make_session_factory(demo_engine)()
    yield session
    session.close()


def _case(db, title: str) -> Case:
    return db.scalar(select(Case).where(Case.title == title))


def test_demo_command_prints_every_role_with_the_password(demo_run):
    out = demo_run.output
    for role in ("部局担当者", "所属長（課長級）", "デジタル統括室 職員", "デジタル統括室 管理職",
                 "外部専門人材", "DX推進本部", "システム管理者"):
        assert role in out
    for email in ("fukushi.tanto", "fukushi.kacho", "kodomo.tanto", "shimin.tanto",
                  "kensetsu.kacho", "kita.tanto", "toukatsu1", "toukatsu.kanri", "senmon1",
                  "honbu", "admin"):
        assert f"{email}@{DEMO_DOMAIN}" in out
    assert f"パスワード（全員共通）: {DEMO_PASSWORD}" in out
    assert "案件: " in out


def test_every_user_address_is_reserved_for_examples(db):
    emails = db.scalars(select(User.email)).all()
    assert len(emails) >= 18
    assert all(e.endswith("@demo.city.osaka.example") for e in emails)
    assert {r for (r,) in db.execute(select(User.role).distinct())} == {
        "requester", "dept_manager", "office", "office_lead", "expert", "executive", "admin"}


def test_every_initiative_of_the_action_plan_is_a_case(db):
    initiatives = load_action_plan()
    cases = db.scalars(select(Case)).all()
    assert len(cases) >= len(initiatives) == 71
    by_external_id = {c.external_id: c for c in cases if c.external_id}
    for initiative in initiatives:
        case = by_external_id[initiative.external_id]
        assert case.title == initiative.title
        assert case.description == initiative.summary
    categories = Counter(c.category for c in by_external_id.values())
    assert set(categories) == {"service", "city", "administration", "foundation"}


def test_cases_fill_every_column_of_the_board(db):
    states = dict(db.execute(select(Case.state, func.count()).group_by(Case.state)).all())
    phases: Counter[str] = Counter()
    for state, count in states.items():
        phases["on_hold" if state == "on_hold" else state.split("_", 1)[0]] += count
    for phase in ("draft", "consultation", "planning", "solution", "review", "on_hold", "closed"):
        assert phases[phase] >= 1, phase
    for state in ("consultation_submitted", "consultation_hearing", "consultation_proposing",
                  "consultation_study", "planning_approval", "solution_poc", "closed_completed",
                  "closed_withdrawn", "closed_rejected"):
        assert states.get(state, 0) >= 1, state
    assert phases["review"] >= 5 and phases["solution"] >= 5 and phases["planning"] >= 5


def test_initiative_kpis_and_targets_match_the_plan(db):
    case = _case(db, "行政手続きのオンライン化を推進")
    assert case.department.name == "デジタル統括室"  # the plan names no bureau: city-wide
    assert case.category == "service"
    plan = db.scalar(select(Plan).where(Plan.case_id == case.id))
    assert plan.kgi.startswith("全てのライフステージ")
    (kpi,) = plan.kpis
    assert (kpi.name, kpi.unit, kpi.baseline, kpi.baseline_label) == (
        "オンライン化する手続き数", "手続き", Decimal(1000), "2023年度末現在")
    assert {t.fiscal_year: t.value for t in kpi.targets} == {
        2024: Decimal(1300), 2025: Decimal(2000), 2026: Decimal(2000)}


def test_text_targets_and_printed_bureaus_are_kept(db):
    case = _case(db, "設計図書情報の取得をより便利に")
    assert case.department.name == "建設局"
    kpi = db.scalar(select(Plan).where(Plan.case_id == case.id)).kpis[0]
    assert kpi.target_for(2024).text == "システム設計" and kpi.target_for(2024).value is None
    assert _case(db, "消防手続きをオンラインで完結").department.name == "消防局"
    assert _case(db, "住民票などの証明書の取得をスピーディーに").department.name == "北区"


def test_every_case_history_replays_to_its_state(db):
    events = db.scalars(select(AuditEvent).where(AuditEvent.case_id.is_not(None))
                        .order_by(AuditEvent.case_id, AuditEvent.id)).all()
    history: dict[int, list[AuditEvent]] = {}
    for event in events:
        history.setdefault(event.case_id, []).append(event)
    cases = db.scalars(select(Case)).all()
    for case in cases:
        trail = history[case.id]
        assert trail[0].kind == "created" and trail[0].to_state == "draft"
        state = "draft"
        for event in (e for e in trail if e.kind == "transition"):
            assert event.from_state == state, (case.number, event.trigger)
            state = event.to_state
        assert state == case.state, case.number
        versions = [e.case_version for e in trail if e.case_version is not None]
        assert versions == sorted(versions) and versions[-1] == case.version
        times = [e.created_at for e in trail]
        assert times == sorted(times) and times[-1] <= NOW


def test_history_spans_fiscal_2023_to_2026(db):
    numbers = db.scalars(select(Case.number)).all()
    assert {n.split("-")[1] for n in numbers} >= {"2023", "2024", "2025"}
    moves = db.scalars(select(AuditEvent.created_at).where(AuditEvent.kind == "transition")).all()
    hours = {m.astimezone(TOKYO).hour for m in moves}
    assert min(hours) >= 9 and max(hours) <= 18  # people work office hours
    assert all(m.astimezone(TOKYO).weekday() < 5 for m in moves)


def test_support_kpis_have_realistic_counts_every_year(db):
    figures = portfolio_figures(db, now=NOW).support
    cases = db.scalar(select(func.count()).select_from(Case))
    supported = [y.cumulative for y in figures["supported_initiatives"]]
    consulting = [y.cumulative for y in figures["consulting_plans"]]
    experts = [y.cumulative for y in figures["expert_initiatives"]]
    assert supported == sorted(supported) and 5 <= supported[0] and 40 <= supported[-1] <= cases
    assert consulting[-1] >= 2 and consulting[-1] <= 10
    assert experts[0] >= 1 and 0.1 * cases <= experts[-1] <= 0.3 * cases
    assert all(y.added > 0 for y in figures["supported_initiatives"])  # history in every FY


def test_reviews_are_open_overdue_and_submitted_with_actuals(db):
    reviews = db.scalars(select(Review)).all()
    today = NOW.astimezone(TOKYO).date()
    assert any(r.status == "open" and r.due_date < today for r in reviews)  # overdue
    assert any(r.status == "open" and r.due_date >= today for r in reviews)
    submitted = [r for r in reviews if r.status == "submitted"]
    assert submitted and all(r.assessment and r.submitted_at for r in submitted)
    assert db.scalar(select(func.count()).select_from(KpiActual)) >= len(submitted) // 2
    for case in db.scalars(select(Case).where(Case.state == "closed_completed")):
        assert any(r.case_id == case.id for r in submitted)
    improved = db.scalars(select(AuditEvent).where(AuditEvent.trigger == "improve")).all()
    assert improved and all(e.to_state == "planning_to_be" for e in improved)  # 改善 cycle


def test_new_consultations_read_like_real_requests(db):
    kaigo = _case(db, "介護保険の申請書類を電子化したい")
    assert (kaigo.department.name, kaigo.state) == ("福祉局", "consultation_submitted")
    assert kaigo.requester.email == f"fukushi.tanto@{DEMO_DOMAIN}"
    drafts = db.scalars(select(Case).where(Case.state == "draft")).all()
    assert len(drafts) >= 2
    sent_back = _case(db, "保育所入所選考の点数計算を自動化したい")
    back = db.scalar(select(AuditEvent).where(AuditEvent.case_id == sent_back.id,
                                              AuditEvent.trigger == "send_back"))
    assert sent_back.state == "draft" and "追記" in back.comment
    assert db.scalar(select(func.count()).select_from(Comment)) >= 5


def test_loading_again_changes_nothing(db):
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    summary = load_demo(db, now=NOW)
    assert summary.already_loaded
    assert summary.cases == db.scalar(select(func.count()).select_from(Case))
    assert any(u.email == f"fukushi.tanto@{DEMO_DOMAIN}" for u in summary.users)
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_running_the_command_again_reuses_the_demo(demo_run):
    env = {"DXFLOW_INSTANCE_DIR": str(demo_run.instance)}
    if not demo_run.url.startswith("sqlite"):
        env["DXFLOW_DATABASE_URL"] = demo_run.url
    result = CliRunner().invoke(main, ["demo", "--no-serve"], env=env)
    assert result.exit_code == 0, result.output
    assert "既存のデモデータを使います" in result.output


def test_a_demo_user_signs_in_and_sees_their_bureau(demo_run, instance_dir):
    from web import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": demo_run.url,
                      "SECRET_KEY": "test-secret-key", "DXFLOW_INSTANCE_DIR": str(instance_dir)})
    client = app.test_client()
    user = SimpleNamespace(email=f"fukushi.tanto@{DEMO_DOMAIN}")
    response = AuthActions(client).login(user, password=DEMO_PASSWORD)
    assert response.status_code == 302
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert page.status_code == 200
    assert "介護保険の申請書類を電子化したい" in page.get_data(as_text=True)
    with app.app_context():
        from web.extensions import db as flask_db

        flask_db.session.remove()
        flask_db.engine.dispose()


def _serve_demo(demo_run, monkeypatch, host: str):
    """Run ``dxflow demo --host HOST`` up to serving, without a server or scheduler."""
    import flask

    import web.commands.demo

    served = []
    monkeypatch.setattr(flask.Flask, "run", lambda app, **kw: served.append(kw))
    monkeypatch.setattr(web.commands.demo, "_start_scheduler",
                        lambda url: SimpleNamespace(shutdown=lambda wait: None))
    env = {"DXFLOW_INSTANCE_DIR": str(demo_run.instance)}
    if not demo_run.url.startswith("sqlite"):
        env["DXFLOW_DATABASE_URL"] = demo_run.url
    result = CliRunner().invoke(main, ["demo", "--host", host], env=env)
    assert result.exit_code == 0, result.output
    assert served and served[0]["host"] == host
    return result


def test_serving_the_demo_beyond_this_machine_warns_about_the_shared_password(demo_run,
                                                                              monkeypatch):
    output = _serve_demo(demo_run, monkeypatch, "0.0.0.0").output  # noqa: S104
    assert "WARNING" in output and "警告" in output
    assert f"shares the published password {DEMO_PASSWORD}" in output


def test_the_demo_on_loopback_does_not_warn(demo_run, monkeypatch):
    assert "WARNING" not in _serve_demo(demo_run, monkeypatch, "127.0.0.1").output


def test_the_demo_signs_with_its_own_key_file(demo_run):
    key = (demo_run.instance / "secret_key").read_text().strip()
    assert len(key) == 64 and (demo_run.instance / "secret_key").stat().st_mode & 0o077 == 0


# --- refusals, on the ordinary test database -------------------------------------------------

def test_load_demo_refuses_a_partial_demo(session, make_user):
    make_user("admin", email=f"admin@{DEMO_DOMAIN}")
    with pytest.raises(DemoError):
        load_demo(session, now=NOW)


def test_load_demo_needs_a_year_of_history(session):
    with pytest.raises(ValueError):
        load_demo(session, now=datetime(2023, 6, 1, tzinfo=UTC))


def test_demo_command_never_mixes_into_other_data(db_url, people, tmp_path):
    env = {"DXFLOW_INSTANCE_DIR": str(tmp_path), "DXFLOW_DATABASE_URL": db_url}
    result = CliRunner().invoke(main, ["demo", "--no-serve"], env=env)
    assert result.exit_code == 2
    assert "not the demo's" in result.output


def test_reset_deletes_only_a_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DXFLOW_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("DXFLOW_DATABASE_URL", raising=False)
    (tmp_path / DEMO_DATABASE).write_text("old demo")
    (tmp_path / f"{DEMO_DATABASE}-wal").write_text("old wal")
    assert _database_url(reset=True) == f"sqlite:///{tmp_path / DEMO_DATABASE}"
    assert not any(tmp_path.iterdir())
    monkeypatch.setenv("DXFLOW_DATABASE_URL", "postgresql+psycopg://dxflow@db.example/dxflow")
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--reset"])
    assert result.exit_code == 2 and "only deletes a SQLite file" in result.output
