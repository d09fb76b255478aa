"""Export of cases and KPIs (CSV with BOM, XLSX): access rights, the list's filters, and the
round trip: exporting and importing into an empty database gives the same cases and KPIs."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.support.databases import clone_database
from tests.workflow_helpers import NOW, new_case, walk_to
from web.commands import main
from workflow.db import make_engine, make_session_factory
from workflow.interchange.exporter import export_cases, visible_cases
from workflow.interchange.importer import import_file
from workflow.models import Case, Plan, Supporter
from workflow.plans import KpiInput, plan_for, save_actual, save_kpi

FORMULA_TITLE = "=HYPERLINK(\"http://example.com\",\"窓口\")"


@pytest.fixture
def empty_session(database_template, tmp_path):
    """A second, empty database (departments only) to import into."""
    url = clone_database(database_template, tmp_path / "empty.sqlite3", prefix="dxflow_roundtrip")
    engine = make_engine(url)
    session = make_session_factory(engine)()
    yield session
    session.close()
    engine.dispose()


@pytest.fixture
def portfolio(session, people, make_user):
    """Cases in many states, with plans, revised targets, actuals, a hold and a closure."""
    built = {}
    planned = new_case(session, people["requester"], title="窓口手続のオンライン化",
                       description="申請を電子化する\n2行目の説明")
    walk_to(session, planned, "solution_selection", people)
    kpi = plan_for(session, planned).kpis[0]
    # After approval a new target is a revision: the original stays (当初設定数値).
    save_kpi(session, planned, people["office"], KpiInput(
        name=kpi.name, unit=kpi.unit, baseline=kpi.baseline, baseline_label=kpi.baseline_label,
        targets={2025: Decimal(350), 2026: "全手続きで実施"}), kpi_id=kpi.id, now=NOW)
    save_actual(session, planned, people["office"], kpi.id, 2024, Decimal("98.5"), now=NOW)
    built["planned"] = planned
    hearing = new_case(session, people["requester"], title=FORMULA_TITLE)
    built["hearing"] = walk_to(session, hearing, "consultation_hearing", people)
    held = new_case(session, people["requester"], title="保留中の取組")
    walk_to(session, held, "planning_as_is", people)
    built["held"] = walk_to(session, held, "on_hold", people)
    withdrawn = new_case(session, people["requester"], title="取り下げた相談")
    built["withdrawn"] = walk_to(session, withdrawn, "closed_withdrawn", people)
    builder = make_user("requester", "construction")
    other = {**people, "requester": builder, "dept_manager": make_user("dept_manager",
                                                                       "construction")}
    road = new_case(session, builder, title="道路点検の効率化", category="city")
    built["road"] = walk_to(session, road, "review_monitoring", other)
    session.add(Supporter(case_id=road.id, kind="expert", user_id=people["expert"].id))
    session.commit()
    built["draft"] = new_case(session, people["requester"], title="まだ下書きの相談")
    return built


def snapshot(session) -> list[tuple]:
    """What a round trip must keep, per case, in a comparable form."""
    session.expire_all()
    result = []
    for case in session.scalars(select(Case).where(Case.state != "draft").order_by(Case.title)):
        plan = session.scalar(select(Plan).where(Plan.case_id == case.id))
        kpis = []
        for k in (plan.kpis if plan else []):
            kpis.append((k.name, k.unit, k.direction, k.baseline, k.baseline_text,
                         k.baseline_label,
                         [(t.fiscal_year, t.value, t.text, t.original_value) for t in k.targets],
                         [(a.fiscal_year, a.value, a.text) for a in k.actuals]))
        result.append((case.title, case.department.name, case.state, case.hold_return_state,
                       case.case_type, case.priority, case.category, case.values,
                       case.description, case.current_problem, plan.kgi if plan else "", kpis))
    return result


@pytest.fixture
def cli(app):
    try:
        runner = app.test_cli_runner(mix_stderr=False)
    except TypeError:
        runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


# --- the round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_into_an_empty_database(cli, session, portfolio, empty_session, tmp_path, fmt):
    path = tmp_path / f"export.{fmt}"
    result = cli("export", "--format", fmt, "--output", path)
    assert result.exit_code == 0, result.output + result.stderr
    assert "Exported 5 case(s)" in result.output  # the draft stays private to its bureau
    report = import_file(empty_session, path.read_bytes(), path.name)
    assert report.written and not report.errors, [i.ja for i in report.issues]
    assert len(report.created) == 5
    before, after = snapshot(session), snapshot(empty_session)
    assert after == before
    titles = [row[0] for row in after]
    assert FORMULA_TITLE in titles
    planned = next(row for row in after if row[0] == "窓口手続のオンライン化")
    targets = planned[-1][0][6]
    assert (2025, Decimal(350), "", Decimal(300)) in targets  # revised, original kept
    assert (2026, None, "全手続きで実施", None) in targets
    # Importing the same export again changes nothing.
    again = import_file(empty_session, path.read_bytes(), path.name)
    assert again.unchanged == 5 and not again.created and not again.updated


def test_csv_is_utf8_with_bom_and_one_row_per_kpi(session, portfolio):
    data = export_cases(session, visible_cases(None).order_by(Case.id), "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    for name in ("案件番号", "件名", "所管部局", "状況", "状態コード", "KGI", "KPI名", "基準値",
                 "2025年度目標", "2025年度当初目標", "2024年度実績"):
        assert name in header
    by_title = {row[header.index("件名")]: row for row in body}
    # Text Excel would run as a formula is neutralised with an apostrophe.
    assert by_title["'" + FORMULA_TITLE][header.index("状態コード")] == "consultation_hearing"
    planned = by_title["窓口手続のオンライン化"]
    assert planned[header.index("2025年度目標")] == "350"
    assert planned[header.index("2025年度当初目標")] == "300"
    assert planned[header.index("2024年度実績")] == "98.5"
    assert planned[header.index("状況")] == "ソリューション導入：選定・調達"


def test_xlsx_opens_with_a_frozen_header_and_numbers_as_numbers(session, portfolio):
    data = export_cases(session, visible_cases(None).order_by(Case.id), "xlsx")
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.freeze_panes == "D2"
    header = [c.value for c in ws[1]]
    rows = {r[header.index("件名")]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[FORMULA_TITLE][header.index("件名")] == FORMULA_TITLE  # text, not a formula
    assert rows["窓口手続のオンライン化"][header.index("2025年度目標")] == 350


# --- access rights and filters --------------------------------------------------------------------


def exported_titles(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("件名")
    return {row[column].removeprefix("'") for row in rows[1:]}


def test_a_requester_exports_only_their_bureau(auth, people, portfolio):
    auth.login(people["requester"])
    titles = exported_titles(auth.client.get("/data/export/cases.csv"))
    assert "道路点検の効率化" not in titles
    assert {"窓口手続のオンライン化", "まだ下書きの相談"} <= titles  # their own draft too


def test_an_expert_exports_only_the_cases_they_support(auth, people, portfolio):
    auth.login(people["expert"])
    assert exported_titles(auth.client.get("/data/export/cases.csv")) == {"道路点検の効率化"}


def test_cli_export_as_a_user(cli, people, portfolio, tmp_path):
    path = tmp_path / "mine.csv"
    result = cli("export", "--output", path, "--as", people["requester"].email)
    assert result.exit_code == 0
    assert "道路点検の効率化" not in path.read_text(encoding="utf-8-sig")
    assert cli("export", "--output", path, "--as", "nobody@example.jp").exit_code == 2


def test_the_lists_filters_apply(auth, people, portfolio, session):
    auth.login(people["office"])
    road = portfolio["road"]
    titles = exported_titles(auth.client.get(
        f"/data/export/cases.csv?department={road.department_id}"))
    assert titles == {"道路点検の効率化"}
    assert exported_titles(auth.client.get("/data/export/cases.csv?phase=planning")) == set()
    assert exported_titles(auth.client.get("/data/export/cases.csv?q=保留")) == {"保留中の取組"}
    xlsx = auth.client.get("/data/export/cases.xlsx?closed=0")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in xlsx.headers["Content-Disposition"]
    assert auth.client.get("/data/export/cases.pdf").status_code == 404


def test_links_from_the_case_list_and_the_board(auth, people, portfolio):
    auth.login(people["requester"])
    page = auth.client.get("/cases/?category=service").get_data(as_text=True)
    assert "/data/export/cases.xlsx?category=service" in page
    auth.logout()
    auth.login(people["office_lead"])
    board = auth.client.get(f"/office/board?department={portfolio['road'].department_id}")
    assert f"/data/export/cases.csv?department={portfolio['road'].department_id}" in \
        board.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/data/export/cases.csv")
    assert response.status_code in (302, 401)



@pytest.mark.parametrize("title", ["＝1+1", " =1+1", "＠SUM(A1)", "－1+2", "＋1"])
def test_full_width_and_blank_led_formulas_are_guarded(session, people, title):
    """Japanese Excel turns a full-width ＝ into a formula; LibreOffice skips leading blanks."""
    case = new_case(session, people["requester"], title="窓口改革")
    walk_to(session, case, "consultation_hearing", people)
    case.description = title  # free text keeps its leading blank (a title is stripped)
    session.commit()
    raw = export_cases(session, visible_cases(None), "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    assert rows[1][rows[0].index("概要")] == "'" + title
