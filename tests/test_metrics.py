"""The support KPIs per fiscal year and the flow figures, from cases driven through the engine."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.workflow_helpers import fire_as, new_case, walk_to
from workflow.fiscal import TOKYO
from workflow.models import Supporter
from workflow.reports import metrics


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


NOW = jst(2025, 6, 2, 10, 0)  # FY2025


def decided(session, people, at: datetime, **fields):
    """A case whose manager decided to go ahead (decide_go) at ``at``."""
    case = new_case(session, people["requester"], now=at - timedelta(days=1), **fields)
    walk_to(session, case, "consultation_study", people, now=at - timedelta(days=1))
    fire_as(session, case, "decide_go", people["dept_manager"], now=at)
    return case


def support(session, case, kind: str, at: datetime, organization: str = "") -> None:
    session.add(Supporter(case_id=case.id, kind=kind, organization=organization or kind,
                          added_at=at))
    session.commit()


def series(figures, key: str) -> dict[int, tuple[int, int]]:
    return {y.fiscal_year: (y.cumulative, y.added) for y in figures[key]}


@pytest.fixture
def portfolio(session, people):
    """Cases around the fiscal-year boundaries, each counting (or not) for a support KPI."""
    # Decided one minute before and exactly at the start of FY2025 (Tokyo time).
    decided(session, people, jst(2025, 3, 31, 23, 59), title="年度末に決定")
    decided(session, people, jst(2025, 4, 1, 0, 0), title="年度初日に決定")
    # FY2023 decision, plan approved in FY2024 with a consulting firm: counts for both.
    with_firm = decided(session, people, jst(2023, 10, 2, 10))
    support(session, with_firm, "consultant", jst(2024, 5, 1, 10), "株式会社コンサル")
    walk_to(session, with_firm, "planning_approval", people, now=jst(2024, 6, 1, 10))
    fire_as(session, with_firm, "approve_plan", people["dept_manager"], now=jst(2024, 6, 3, 10))
    # Plan approved (FY2024) without a consulting firm: an initiative, not a consulting plan.
    no_firm = decided(session, people, jst(2024, 7, 1, 10))
    walk_to(session, no_firm, "planning_approval", people, now=jst(2024, 7, 2, 10))
    fire_as(session, no_firm, "approve_plan", people["dept_manager"], now=jst(2024, 7, 3, 10))
    # Decided in FY2022, withdrawn, reopened and decided again in FY2025: counted once, in FY2022.
    again = decided(session, people, jst(2023, 3, 15, 10))
    fire_as(session, again, "withdraw", people["dept_manager"], now=jst(2023, 3, 20, 10))
    fire_as(session, again, "reopen", people["office_lead"], now=jst(2025, 5, 1, 10))
    walk_to(session, again, "consultation_study", people, now=jst(2025, 5, 1, 10))
    fire_as(session, again, "decide_go", people["dept_manager"], now=jst(2025, 5, 2, 10))
    # A consulting firm on a case whose plan was never approved: not counted.
    firm_only = new_case(session, people["requester"], now=jst(2024, 4, 10))
    walk_to(session, firm_only, "consultation_hearing", people, now=jst(2024, 4, 10))
    support(session, firm_only, "consultant", jst(2024, 4, 11), "別のコンサル")
    # External experts: one joined in FY2023; another case had two, first in FY2024.
    expert_early = new_case(session, people["requester"], now=jst(2023, 5, 1))
    walk_to(session, expert_early, "consultation_hearing", people, now=jst(2023, 5, 1))
    support(session, expert_early, "expert", jst(2023, 5, 8), "専門人材A")
    support(session, with_firm, "expert", jst(2025, 3, 31, 23, 0), "専門人材B")
    support(session, with_firm, "expert", jst(2025, 4, 2, 9, 0), "専門人材C")
    # An adviser is not an external expert.
    support(session, no_firm, "adviser", jst(2024, 8, 1), "有識者")


def test_supported_initiatives_are_counted_cumulatively_by_first_decision(session, portfolio):
    figures = metrics.portfolio_figures(session, now=NOW).support
    # (cumulative at FY end, added in the FY)
    assert series(figures, "supported_initiatives") == {
        2023: (2, 1),  # FY2022's decision is in the running total; FY2023 adds one
        2024: (4, 2),  # includes the decision at 23:59 on 2025-03-31 JST
        2025: (5, 1),  # 00:00 on 2025-04-01 JST is FY2025; the re-decision adds nothing
        2026: (5, 0),
    }


def test_consulting_plans_need_both_an_approved_plan_and_a_firm(session, portfolio):
    figures = metrics.portfolio_figures(session, now=NOW).support
    assert series(figures, "consulting_plans") == {
        2023: (0, 0), 2024: (1, 1), 2025: (1, 0), 2026: (1, 0)}


def test_expert_initiatives_count_each_case_once_at_the_first_expert(session, portfolio):
    figures = metrics.portfolio_figures(session, now=NOW).support
    assert series(figures, "expert_initiatives") == {
        2023: (1, 1), 2024: (2, 1), 2025: (2, 0), 2026: (2, 0)}


def test_targets_status_and_achievement(session, portfolio):
    figures = metrics.portfolio_figures(session, now=NOW).support
    experts = {y.fiscal_year: y for y in figures["expert_initiatives"]}
    assert experts[2023].target == metrics.Target(12, original=6)
    assert experts[2023].target.is_revised
    assert [y.status for y in figures["supported_initiatives"]] == [
        "past", "past", "current", "future"]
    initiatives = {y.fiscal_year: y for y in figures["supported_initiatives"]}
    assert initiatives[2024].achievement == pytest.approx(4 / 80)
    assert initiatives[2026].target.value is None
    assert initiatives[2026].achievement is None  # no target, and the year has not begun


def test_plan_targets_are_the_action_plans():
    targets = metrics.SUPPORT_KPI_TARGETS
    assert [targets["supported_initiatives"][y].value for y in metrics.PLAN_YEARS] == [
        53, 80, 100, None]
    assert [targets["consulting_plans"][y].value for y in metrics.PLAN_YEARS] == [2, 4, 6, None]
    assert [targets["expert_initiatives"][y].value for y in metrics.PLAN_YEARS] == [
        12, 24, 36, 48]
    assert targets["expert_initiatives"][2023].original == 6


def test_no_cases_gives_zeros_not_errors(session):
    figures = metrics.portfolio_figures(session, now=NOW).support
    assert all(y.cumulative == 0 and y.added == 0 for ys in figures.values() for y in ys)
    flow = metrics.portfolio_figures(session, now=NOW).flow
    assert not flow.has_cases
    assert flow.open_total == 0
    assert all(d.median_days is None and d.cases == 0 for d in flow.durations)


# --- the flow --------------------------------------------------------------------------------

D0 = jst(2025, 5, 1, 9, 0)


def day(n: int) -> datetime:
    return D0 + timedelta(days=n)


@pytest.fixture
def flow(session, people, make_user):
    """Four submitted cases with known stays in each phase, and a draft that never counts."""
    # P: consultation 10 days, planning 20, solution 10, review 10 (still in review at day 50).
    p = new_case(session, people["requester"], now=day(0), title="P")
    walk_to(session, p, "consultation_study", people, now=day(0))
    walk_to(session, p, "planning_approval", people, now=day(10))
    fire_as(session, p, "approve_plan", people["dept_manager"], now=day(30))
    walk_to(session, p, "solution_rollout", people, now=day(30))
    fire_as(session, p, "go_live", people["office"], now=day(40))
    # Q (Environment Bureau, ICT consultation): in consultation since day 0.
    env = dict(people, requester=make_user("requester", "environment"))
    q = new_case(session, env["requester"], now=day(0), title="Q", case_type="ict_consultation")
    walk_to(session, q, "consultation_hearing", env, now=day(0))
    # R: straight to planning on day 0, on hold from day 1 to day 2 (time on hold is no
    # phase's), then in planning again: 1 + 48 days.
    r = new_case(session, people["requester"], now=day(0), title="R")
    walk_to(session, r, "planning_as_is", people, now=day(0), satisfy=False)
    fire_as(session, r, "hold", people["office"], now=day(1))
    fire_as(session, r, "resume", people["office"], now=day(2))
    # S: consultation 5 days, then withdrawn.
    s = new_case(session, people["requester"], now=day(0), title="S")
    walk_to(session, s, "consultation_submitted", people, now=day(0))
    fire_as(session, s, "withdraw", people["requester"], now=day(5))
    new_case(session, people["requester"], now=day(0), title="draft")
    return {"P": p, "Q": q, "R": r, "S": s}


def test_open_cases_per_phase_and_bureau(session, flow):
    snap = metrics.portfolio_figures(session, now=day(50)).flow
    assert snap.open_by_phase == {
        "consultation": 1, "planning": 1, "solution": 0, "review": 1, "on_hold": 0}
    assert snap.open_total == 3
    by_dept = [(d.name, d.total, d.by_phase["review"]) for d in snap.open_by_department]
    assert by_dept == [("福祉局", 2, 1), ("環境局", 1, 0)]
    assert snap.open_by_department[0].label("en") == "Welfare Bureau"


def test_conversion_counts_the_furthest_stage_each_case_reached(session, flow):
    snap = metrics.portfolio_figures(session, now=day(50)).flow
    assert snap.reached == {
        "consultation": 4, "planning": 2, "solution": 1, "review": 1, "completed": 0}


def test_median_days_per_phase(session, flow):
    durations = {d.phase: (d.median_days, d.cases)
                 for d in metrics.median_days_in_phase(session, now=day(50))}
    # consultation: P 10, Q 50, R 0, S 5 -> median of [0, 5, 10, 50] = 7.5
    # planning: P 20, R 1 (as-is) + 48 (since resuming) = 49 -> 34.5
    assert durations == {
        "consultation": (7.5, 4), "planning": (34.5, 2), "solution": (10.0, 1),
        "review": (10.0, 1)}


def test_case_types_count_submitted_cases(session, flow):
    snap = metrics.portfolio_figures(session, now=day(50)).flow
    assert [(t.case_type, t.total, t.open) for t in snap.case_types] == [
        ("dx_project", 3, 2), ("ict_consultation", 1, 1)]


def test_all_figures_take_five_statements(session, engine, flow):
    from sqlalchemy import event

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        metrics.portfolio_figures(session, now=day(50))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 5


def test_data_version_moves_with_every_recorded_change(session, people, flow):
    before = metrics.data_version(session)
    fire_as(session, flow["Q"], "draft_proposal", people["office"], now=day(51))
    after_transition = metrics.data_version(session)
    assert after_transition != before
    support(session, flow["Q"], "expert", day(52), "専門人材")
    assert metrics.data_version(session) != after_transition
