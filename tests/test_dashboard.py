"""The DX HQ dashboard: who may open it, the figures and targets it shows, and its cost."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, insert, select

from tests.workflow_helpers import fire_as, new_case, walk_to
from workflow.fiscal import TOKYO, fiscal_year
from workflow.models import AuditEvent, Case, Department, Supporter

URL = "/dashboard/"
DATA_ISLAND = re.compile(
    r'<script type="application/json" id="dashboard-data">(.*?)</script>', re.S)


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


def page(client, url: str = URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def main_part(html: str) -> str:
    return html[html.index('<main id="main">'):html.index("</main>")]


def kpi_card(html: str, key: str) -> str:
    start = html.index(f'aria-labelledby="kpi-{key}"')
    return html[start:html.index("</article>", start)]


@pytest.fixture
def decided(session, people):
    """Two DX initiatives decided in FY2023 and one in FY2024, one with an expert."""
    cases = []
    for when in (jst(2023, 6, 1, 10), jst(2023, 9, 1, 10), jst(2024, 5, 7, 10)):
        case = new_case(session, people["requester"], now=when - timedelta(days=3))
        walk_to(session, case, "consultation_study", people, now=when - timedelta(days=3))
        fire_as(session, case, "decide_go", people["dept_manager"], now=when)
        cases.append(case)
    session.add(Supporter(case_id=cases[0].id, kind="expert", organization="専門人材",
                          added_at=jst(2024, 4, 10)))
    session.commit()
    return cases


# --- who may open it ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["executive", "office_lead", "office"])
def test_executives_and_the_digital_office_see_the_dashboard(client, auth, people, role):
    auth.login(people[role])
    html = page(client)
    assert "DX推進ダッシュボード" in html


@pytest.mark.parametrize("role", ["requester", "dept_manager", "expert", "admin"])
def test_other_roles_are_refused(client, auth, people, role):
    auth.login(people[role])
    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- what it shows -----------------------------------------------------------------------


def test_shows_the_plans_targets_for_every_year(client, auth, people):
    auth.login(people["executive"])
    html = page(client)
    table = html[html.index('class="card year-table"'):]
    table = table[:table.index("</table>")]
    for year in (2023, 2024, 2025, 2026):
        assert f"{year}年度" in table
    for target in ("53件", "80件", "100件", "2件", "4件", "6件", "24件", "36件", "48件"):
        assert target in table
    assert "12件" in table and "（当初 6件）" in table  # the revised target shows the original


def test_cards_show_the_selected_years_cumulative_figure_against_its_target(
        client, auth, people, decided):
    auth.login(people["executive"])
    html = page(client, f"{URL}?fy=2023")
    card = kpi_card(html, "supported_initiatives")
    assert '<p class="value">2<span class="unit">件</span>' in card
    assert "目標 53件" in card
    assert "達成率 4%" in card  # 2 / 53
    assert "2023年度末時点" in html

    html = page(client, f"{URL}?fy=2024")
    card = kpi_card(html, "supported_initiatives")
    assert '<p class="value">3<span class="unit">件</span>' in card  # cumulative: 2 + 1
    assert "うち2024年度の増加：1件" in card
    assert "目標 80件" in card
    expert = kpi_card(html, "expert_initiatives")
    assert '<p class="value">1<span class="unit">件</span>' in expert
    assert "目標 24件" in expert


def test_the_revised_target_shows_the_original_in_brackets(client, auth, people):
    auth.login(people["executive"])
    card = kpi_card(page(client, f"{URL}?fy=2023"), "expert_initiatives")
    assert "目標 12件" in card and "（当初 6件）" in card


def test_fiscal_year_can_be_given_in_wareki(client, auth, people, decided):
    auth.login(people["executive"])
    html = page(client, f"{URL}?fy=令和5年度")
    assert "2023年度末時点" in html


def test_an_unknown_year_falls_back_to_this_year_with_a_message(client, auth, people):
    auth.login(people["executive"])
    html = page(client, f"{URL}?fy=1999")
    assert "指定された年度は表示できません" in html
    this_year = fiscal_year(datetime.now(TOKYO))
    assert f'<option value="{this_year}" selected>' in html


def test_the_as_of_date_is_shown_in_japanese(client, auth, people):
    auth.login(people["executive"])
    html = page(client)
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d時点の集計です", html)


def test_empty_database_explains_what_will_appear(client, auth, people):
    auth.login(people["executive"])
    html = page(client)
    assert "まだ集計できる案件がありません" in html


def test_charts_have_data_and_table_fallbacks(client, auth, people, decided):
    auth.login(people["executive"])
    html = page(client)
    data = json.loads(DATA_ISLAND.search(html).group(1))
    assert data["phases"]["keys"] == ["consultation", "planning", "solution", "review", "on_hold"]
    assert data["phases"]["values"] == [0, 3, 0, 0, 0]
    assert data["departments"]["labels"] == ["福祉局"]
    planning = next(s for s in data["departments"]["datasets"] if s["key"] == "planning")
    assert planning["values"] == [3]
    assert data["funnel"]["values"] == [3, 3, 0, 0, 0]
    assert data["durations"]["labels"][0] == "相談"
    assert data["case_types"]["labels"] == ["DX取組"]
    for name in ("phases", "departments", "funnel", "durations", "case_types"):
        assert f'data-chart="{name}"' in html
    assert html.count("<summary>表で見る</summary>") == 5
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "js/dashboard.js" in html


def test_page_has_no_inline_script_and_nothing_to_change(client, auth, people, decided):
    auth.login(people["executive"])
    html = page(client)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in html and " onclick=" not in html
    main = main_part(html)
    assert 'method="post"' not in main.lower()


def test_english_readers_get_english_kpi_names(client, auth, make_user):
    auth.login(make_user("executive", language="en"))
    html = page(client)
    assert "DX initiatives supported by the Digital Office (cumulative)" in html
    assert "FY2025" in html


# --- cost --------------------------------------------------------------------------------


def add_cases(session, n: int) -> None:
    """``n`` submitted cases spread over bureaus and phases, with transition events and
    supporters, inserted in bulk (the statement count is the point, not the engine)."""
    departments = session.scalars(select(Department.id).where(Department.kind != "office")).all()
    walk = ["consultation_submitted", "consultation_hearing", "consultation_proposing",
            "consultation_study", "planning_as_is", "planning_to_be", "planning_plan",
            "planning_approval", "solution_selection", "solution_rollout", "review_monitoring",
            "closed_completed"]
    triggers = ["submit", "accept", "draft_proposal", "send_proposal", "decide_go",
                "finish_as_is", "finish_to_be", "submit_plan", "approve_plan", "start_rollout",
                "go_live", "complete"]
    start = jst(2023, 4, 3, 9)
    cases, events, supporters = [], [], []
    first = (session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0) + 1
    for i in range(n):
        case_id = first + i
        steps = i % len(walk) + 1
        created = start + timedelta(days=i % 700)
        cases.append({
            "id": case_id, "number": f"T-{case_id:06d}", "fiscal_year": 2023, "seq": case_id,
            "title": f"案件{i}", "department_id": departments[i % len(departments)],
            "case_type": ["dx_project", "ict_consultation", "urgent_support"][i % 3],
            "state": walk[steps - 1], "version": steps + 1, "created_at": created,
            "updated_at": created})
        events.extend({
            "case_id": case_id, "kind": "transition", "trigger": triggers[k],
            "from_state": "draft" if k == 0 else walk[k - 1], "to_state": walk[k],
            "created_at": created + timedelta(days=7 * k)} for k in range(steps))
        if i % 4 == 0:
            supporters.append({"case_id": case_id, "kind": ["consultant", "expert"][i % 8 // 4],
                               "organization": "支援者", "added_at": created})
    session.execute(insert(Case), cases)
    session.execute(insert(AuditEvent), events)
    if supporters:
        session.execute(insert(Supporter), supporters)
    session.commit()


def statements_for(app, client, url: str) -> list[str]:
    from web.extensions import db

    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_statement_count_does_not_grow_with_the_number_of_cases(
        app, client, auth, session, people):
    auth.login(people["executive"])
    add_cases(session, 10)
    few = statements_for(app, client, URL)
    add_cases(session, 290)
    many = statements_for(app, client, URL)
    assert len(many) == len(few)
    assert len(few) <= 10
    html = page(client)
    data = json.loads(DATA_ISLAND.search(html).group(1))
    assert sum(data["funnel"]["values"][:1]) == 300


def test_a_second_view_reuses_the_figures_until_something_changes(
        app, client, auth, session, people, decided):
    auth.login(people["executive"])
    first = statements_for(app, client, URL)
    again = statements_for(app, client, URL)
    assert len(again) == len(first) - 5  # only the data version is read again
    fire_as(session, decided[0], "hold", people["office"], now=jst(2024, 6, 1, 10))
    assert len(statements_for(app, client, URL)) == len(first)


def test_figures_follow_new_data_at_once(client, auth, session, people):
    auth.login(people["executive"])
    assert "まだ集計できる案件がありません" in page(client)
    case = new_case(session, people["requester"])
    walk_to(session, case, "consultation_hearing", people)
    html = page(client)
    assert "進行中の案件は1件です" in html
    assert json.loads(DATA_ISLAND.search(html).group(1))["phases"]["values"][0] == 1


def test_the_workbook_month_is_a_japanese_month_select(client, auth, people):
    """Not the browser's <input type=month>, which names months in the browser's language."""
    from web.authz import today

    auth.login(people["executive"])
    html = page(client)

    select = re.search(r'<select id="hq-month" name="month">(.*?)</select>', html, re.S)
    assert select and 'type="month"' not in html
    options = re.findall(r'<option value="(\d{4})-(\d{2})">(.*?)</option>', select.group(1))
    with client.application.app_context():
        latest = today().replace(day=1) - timedelta(days=1)  # the meeting's month: the last
    assert options[0] == (f"{latest.year:04d}", f"{latest.month:02d}",
                          f"{latest.year}年{latest.month}月")
    assert len(options) == 24
    year, month = int(options[1][0]), int(options[1][1])
    assert (year * 12 + month) == latest.year * 12 + latest.month - 1  # one month earlier
