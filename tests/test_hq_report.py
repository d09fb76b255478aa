"""The DX HQ meeting workbook (DX推進本部会議 資料): it opens with openpyxl, says as of when,
and its figures match the database as it stood at the end of that day."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.workflow_helpers import NOW, fire_as, new_case, walk_to
from web.commands import main
from workflow.models import Case
from workflow.office import add_supporter
from workflow.plans import KpiInput, plan_for, save_actual, save_kpi
from workflow.reports import metrics
from workflow.reports.hq_report import (
    as_of_label,
    bucket,
    default_as_of,
    hq_data,
)
from workflow.reports.hq_workbook import build_hq_report

AS_OF = date(2026, 7, 31)
LATER = datetime(2026, 8, 10, 1, 0, tzinfo=UTC)  # after the report's date


@pytest.fixture
def portfolio(session, people, make_user):
    built = {}
    office = people["office"]
    initiative = new_case(session, people["requester"], title="窓口手続のオンライン化")
    walk_to(session, initiative, "planning_as_is", people)
    add_supporter(session, initiative, office, kind="consultant", organization="DXコンサル株式会社",
                  now=NOW)
    add_supporter(session, initiative, office, kind="expert", user=people["expert"], now=NOW)
    walk_to(session, initiative, "review_monitoring", people)
    kpi = plan_for(session, initiative).kpis[0]
    save_kpi(session, initiative, office, KpiInput(
        name=kpi.name, unit=kpi.unit, baseline=kpi.baseline, baseline_label=kpi.baseline_label,
        targets={2025: Decimal(350), 2026: Decimal(500)}), kpi_id=kpi.id, now=NOW)
    save_actual(session, initiative, office, kpi.id, 2025, Decimal(320), now=NOW)
    save_actual(session, initiative, office, kpi.id, 2026, Decimal(999), now=LATER)  # too late
    # walk_to left a submitted FY2024 review behind (what ``complete`` needs).
    built["initiative"] = initiative
    moving = new_case(session, people["requester"], title="あとで提案に進む相談")
    walk_to(session, moving, "consultation_hearing", people)
    fire_as(session, moving, "draft_proposal", office, now=LATER)
    built["moving"] = moving
    builder = make_user("requester", "construction")
    road = new_case(session, builder, title="道路点検の効率化")
    built["road"] = walk_to(session, road, "closed_rejected", {**people, "requester": builder})
    built["late"] = walk_to(session, new_case(session, builder, title="8月の新しい相談", now=LATER),
                            "consultation_submitted", {**people, "requester": builder}, LATER)
    built["draft"] = new_case(session, people["requester"], title="下書き")
    return built


def workbook(session, as_of=AS_OF, **kwargs):
    return load_workbook(io.BytesIO(build_hq_report(session, as_of, **kwargs)))


def summary_rows(ws) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in ws.iter_rows(values_only=True) if row[0]}


def initiative_rows(ws) -> dict[str, tuple]:
    """Rows of the initiatives sheet by case number (a KPI row under its initiative's first)."""
    rows = {}
    for row in ws.iter_rows(min_row=6, values_only=True):
        if row[1]:
            rows[row[1]] = row
    return rows


def test_the_workbook_opens_and_says_as_of_when(session, portfolio):
    wb = workbook(session)
    assert wb.sheetnames == ["概要", "取組一覧"]
    summary, initiatives = wb["概要"], wb["取組一覧"]
    assert summary["A1"].value == "DX推進本部会議 資料"
    assert summary["A2"].value == "DX取組の進捗状況（2026年7月末時点）"
    assert initiatives["A2"].value == "DX取組一覧（2026年7月末時点）"
    assert initiatives.freeze_panes == "D6"
    assert initiatives.print_title_rows == "$4:$5"
    assert initiatives.page_setup.orientation == "landscape"
    assert initiatives.column_dimensions["C"].width >= 25
    assert [c.value for c in initiatives[4][:4]] == ["No.", "案件番号", "取組名", "所管部局"]


def test_counts_by_phase_and_bureau_match_the_database_as_of_the_date(session, portfolio):
    session.expire_all()
    expected = Counter()
    for case in session.scalars(select(Case).where(Case.state != "draft")):
        if case.title == "8月の新しい相談":
            continue  # created after the report's date
        state = "consultation_hearing" if case.title == "あとで提案に進む相談" else case.state
        expected[bucket(state)] += 1
    rows = summary_rows(workbook(session)["概要"])
    assert rows["相談"][0] == expected["consultation"] == 1
    assert rows["KPI評価"][0] == expected["review"] == 1
    assert rows["完了：対象外"][0] == expected["closed_rejected"] == 1
    assert rows["合計"][0] == sum(expected.values()) == 3
    assert rows["福祉局"][:7] == (1, 0, 0, 1, 0, 0, 2)
    assert rows["建設局"][:7] == (0, 0, 0, 0, 0, 1, 1)


def test_support_kpis_match_the_dashboard_figures(session, portfolio):
    as_of = date(2026, 3, 31)  # the end of FY2025: the dashboard's FY2025 column
    rows = summary_rows(workbook(session, as_of)["概要"])
    header = next(r for r in workbook(session, as_of)["概要"].iter_rows(values_only=True)
                  if r[0] == "指標")
    column = header.index("2025年度（令和7年度）")
    figures = metrics.portfolio_figures(session, now=datetime(2026, 4, 1, tzinfo=UTC))
    for key, years in figures.support.items():
        fy2025 = next(y for y in years if y.fiscal_year == 2025)
        row = rows[metrics.support_kpi_label(key)]
        assert row[column - 1] == fy2025.cumulative == 1
        assert row[column] == fy2025.target.value
    # FY2026 had not begun on 2026-03-31.
    assert rows[metrics.support_kpi_label("supported_initiatives")][column + 2] == "－"


def test_each_initiative_with_its_kpis_targets_and_actuals(session, portfolio):
    initiative = portfolio["initiative"]
    ws = workbook(session)["取組一覧"]
    row = initiative_rows(ws)[initiative.number]
    header_years = [c.value for c in ws[4]]
    fy2025 = header_years.index("2025年度（令和7年度）")
    fy2026 = header_years.index("2026年度（令和8年度）")
    plan = plan_for(session, initiative)
    kpi = plan.kpis[0]
    assert row[2:7] == ("窓口手続のオンライン化", "福祉局", "KPI評価", "KPI評価：KPIモニタリング",
                        plan.kgi)
    assert row[7:11] == (kpi.name, kpi.unit, 120, "2023年度現在")
    assert row[fy2025:fy2025 + 3] == (350, 300, 320)  # revised target, original, actual
    assert row[fy2026:fy2026 + 3] == (500, None, None)  # the FY2026 actual came in August
    assert row[-2] == "2024年度：達成" and row[-1] == "目標を達成した"
    numbers = initiative_rows(ws)
    assert portfolio["late"].number not in numbers and portfolio["draft"].number not in numbers
    assert ws.cell(list(numbers).index(portfolio["moving"].number) + 6, 6).value == \
        "相談：ヒアリング"


def test_as_of_now_uses_the_current_states(session, portfolio):
    data = hq_data(session, date(2026, 8, 31))
    states = {i.case.title: i.state for i in data.initiatives}
    assert states["あとで提案に進む相談"] == "consultation_proposing"
    assert "8月の新しい相談" in states


def test_dates_and_labels():
    assert as_of_label(date(2026, 7, 31)) == "2026年7月末時点"
    assert as_of_label(date(2026, 7, 15)) == "2026年7月15日時点"
    assert default_as_of(date(2026, 8, 3)) == date(2026, 7, 31)
    assert default_as_of(date(2026, 1, 10)) == date(2025, 12, 31)


# --- the command and the dashboard -----------------------------------------------------------


@pytest.fixture
def cli(app):
    try:
        runner = app.test_cli_runner(mix_stderr=False)
    except TypeError:
        runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def test_cli_report_hq(cli, portfolio, tmp_path):
    path = tmp_path / "hq.xlsx"
    result = cli("report", "hq", "--as-of", "2026-07-31", "--output", path)
    assert result.exit_code == 0, result.output + result.stderr
    assert load_workbook(path)["概要"]["A2"].value.endswith("（2026年7月末時点）")
    bad = cli("report", "hq", "--as-of", "7月末", "--output", path)
    assert bad.exit_code == 2 and "2026-07-31" in bad.stderr


@pytest.mark.parametrize("role", ["executive", "office_lead", "office"])
def test_download_from_the_dashboard(auth, people, portfolio, role):
    auth.login(people[role])
    page = auth.client.get("/dashboard/").get_data(as_text=True)
    assert "/data/hq-report" in page and "本部会議資料" in page
    response = auth.client.get("/data/hq-report?month=2026-07")
    assert response.status_code == 200
    assert response.headers["X-Report-As-Of"] == "2026-07-31"
    assert "attachment" in response.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.data))["概要"]
    assert ws["A2"].value == "DX取組の進捗状況（2026年7月末時点）"


def test_bad_or_future_dates_come_back_with_a_reason(auth, people, portfolio):
    auth.login(people["executive"])
    bad = auth.client.get("/data/hq-report?as_of=31-07-2026", follow_redirects=True)
    assert "日付の形式が正しくありません" in bad.get_data(as_text=True)
    future = auth.client.get("/data/hq-report?as_of=2999-01-31", follow_redirects=True)
    assert "未来の日付" in future.get_data(as_text=True)


@pytest.mark.parametrize("role", ["requester", "dept_manager", "expert", "admin"])
def test_bureau_roles_cannot_download_it(auth, people, role):
    auth.login(people[role])
    assert auth.client.get("/data/hq-report").status_code == 403


def test_titles_and_kpi_names_never_become_formulas(session, people):
    """A requester titled a case =HYPERLINK(...): the executives' workbook shows it as text."""
    hostile = '=HYPERLINK("http://x","y")'
    case = new_case(session, people["requester"], title=hostile)
    walk_to(session, case, "review_monitoring", people)
    kpi = plan_for(session, case).kpis[0]
    save_kpi(session, case, people["office"], KpiInput(
        name="＝1+1", unit=kpi.unit, baseline=kpi.baseline, baseline_label="@SUM(A1)",
        targets={2025: Decimal(350)}), kpi_id=kpi.id, now=NOW)
    book = workbook(session)
    cells = [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    for value in (hostile, "＝1+1", "@SUM(A1)"):
        assert texts[value].data_type == "s" and texts[value].quotePrefix, value
