"""My tasks: who owes what across cases, due dates on city business days, and the page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, insert

from tests.workflow_helpers import fire_as, new_case, walk_to
from web.authz import today as web_today
from workflow.models import AuditEvent, Case, Review, utcnow
from workflow.queries.tasks import tasks_for

# 2025-05-01 (Thu) 10:00 JST, just before Golden Week: 5/3-5/6 are holidays (5/6 振替休日).
GW = datetime(2025, 5, 1, 1, 0, tzinfo=UTC)


def kinds(session, user, today=date(2025, 6, 2)) -> set[tuple[str, int]]:
    return {(t.kind, t.case.id) for t in tasks_for(session, user, today)}


def add_review(session, case, owner=None, *, due: date, status: str = "open", fy: int = 2023):
    review = Review(case_id=case.id, owner_id=owner.id if owner else None, fiscal_year=fy,
                    period="FY", due_date=due, status=status)
    session.add(review)
    session.commit()
    return review


@pytest.fixture
def welfare(session, people):
    """One Welfare Bureau case in each state that puts work on somebody."""
    cases = {}
    for state in ("draft", "consultation_submitted", "consultation_hearing",
                  "consultation_proposing", "consultation_study", "planning_plan",
                  "planning_approval", "solution_poc", "review_monitoring"):
        case = new_case(session, people["requester"], title=f"福祉局 {state}")
        cases[state] = walk_to(session, case, state, people, satisfy=False)
    # Going live created the FY2025 review, owned by the bureau's manager; add one nobody owns.
    cases["review"] = add_review(session, cases["review_monitoring"], due=date(2025, 7, 31))
    return cases


def submitted(session, people) -> Case:
    return walk_to(session, new_case(session, people["requester"]), "consultation_submitted",
                   people)


# --- who owes what ----------------------------------------------------------------------------


def test_each_kind_of_task_reaches_its_owner(session, people, welfare):
    c = {state: case.id for state, case in welfare.items() if state != "review"}
    assert kinds(session, people["requester"]) == {
        ("draft", c["draft"]), ("planning", c["planning_plan"])}
    assert kinds(session, people["dept_manager"]) == {
        ("decision", c["consultation_study"]), ("plan_approval", c["planning_approval"]),
        ("review", c["review_monitoring"])}
    # people["office"] accepted every case, so it is the assignee of all of them.
    assert kinds(session, people["office"]) == {
        ("triage", c["consultation_submitted"]), ("proposal", c["consultation_hearing"]),
        ("proposal", c["consultation_proposing"]), ("planning", c["planning_plan"]),
        ("solution", c["solution_poc"])}
    assert kinds(session, people["office_lead"]) == {("triage", c["consultation_submitted"])}


def test_nobody_else_gets_them(session, people, make_user, welfare):
    other_office = make_user("office")
    # Another office member still sees the unassigned new consultation, nothing assigned to others.
    assert kinds(session, other_office) == {("triage", welfare["consultation_submitted"].id)}
    for user in (make_user("requester", "health"), make_user("dept_manager", "health"),
                 people["expert"], people["executive"], people["admin"]):
        assert tasks_for(session, user, date(2025, 6, 2)) == [], user.role


def test_a_triaged_case_belongs_to_its_assignee_only(session, people, make_user):
    colleague = make_user("office")
    case = submitted(session, people)
    session.execute(Case.__table__.update().where(Case.__table__.c.id == case.id)
                    .values(assignee_id=colleague.id))
    session.commit()
    assert kinds(session, colleague) == {("triage", case.id)}
    assert kinds(session, people["office"]) == set()
    assert kinds(session, people["office_lead"]) == {("triage", case.id)}


def test_review_owner_gets_it_and_other_managers_do_not(session, people, make_user, welfare):
    deputy_manager = make_user("dept_manager")  # same bureau, but the review is not theirs
    owned = add_review(session, welfare["review_monitoring"], deputy_manager,
                       due=date(2025, 8, 31), fy=2022)
    tasks = [t for t in tasks_for(session, deputy_manager, date(2025, 6, 2)) if t.kind == "review"]
    # Their own, and the one nobody owns (any manager of the bureau may submit it).
    assert sorted(t.review_id for t in tasks) == sorted([owned.id, welfare["review"].id])
    mine = [t for t in tasks_for(session, people["dept_manager"], date(2025, 6, 2))
            if t.kind == "review"]
    # The unowned one and the FY2025 one going live gave them, not the deputy's.
    assert [(t.label("ja"), t.due) for t in mine] == [
        ("KPI評価（2023年度）", date(2025, 7, 31)), ("KPI評価（2025年度）", mine[1].due)]
    assert mine[1].due > date(2026, 3, 31)


def test_submitted_reviews_and_closed_cases_are_not_tasks(session, people, welfare):
    add_review(session, welfare["review_monitoring"], people["dept_manager"],
               due=date(2025, 5, 31), status="submitted", fy=2022)
    walk_to(session, welfare["review_monitoring"], "closed_completed", people)
    assert not [t for t in tasks_for(session, people["dept_manager"], date(2025, 6, 2))
                if t.kind == "review"]


def test_a_draft_sent_back_asks_for_resubmission(session, people):
    case = submitted(session, people)
    fire_as(session, case, "send_back", people["office"])
    [task] = tasks_for(session, people["requester"], date(2025, 6, 2))
    assert (task.kind, task.label("ja")) == ("draft", "差し戻された相談の再提出")


# --- due dates on business days -----------------------------------------------------------------


def test_triage_is_due_three_business_days_after_submission(session, people):
    case = walk_to(session, new_case(session, people["requester"], now=GW),
                   "consultation_submitted", people, now=GW)
    [task] = tasks_for(session, people["office_lead"], date(2025, 5, 1))
    assert task.case.id == case.id
    assert task.due == date(2025, 5, 8)  # 5/2, (Golden Week,) 5/7, 5/8
    assert (task.overdue, task.due_soon) == (False, True)
    [later] = tasks_for(session, people["office_lead"], date(2025, 5, 9))
    assert (later.overdue, later.due_soon) == (True, False)
    [early] = tasks_for(session, people["office_lead"], date(2025, 4, 24))
    assert (early.overdue, early.due_soon) == (False, False)


def test_a_submission_counts_on_its_tokyo_day(session, people):
    late = datetime(2025, 5, 1, 16, 0, tzinfo=UTC)  # 5/2 01:00 in Tokyo
    walk_to(session, new_case(session, people["requester"], now=late),
            "consultation_submitted", people, now=late)
    [task] = tasks_for(session, people["office_lead"], date(2025, 5, 2))
    assert task.due == date(2025, 5, 9)


def test_decision_is_due_ten_business_days_after_the_proposal_was_sent(session, people):
    case = new_case(session, people["requester"], now=GW - timedelta(days=10))
    walk_to(session, case, "consultation_proposing", people, now=GW - timedelta(days=10))
    walk_to(session, case, "consultation_study", people, now=GW)
    [task] = tasks_for(session, people["dept_manager"], date(2025, 5, 20))
    assert (task.kind, task.due, task.overdue) == ("decision", date(2025, 5, 19), True)


def test_plan_approval_is_due_ten_business_days_after_submit_plan(session, people):
    case = walk_to(session, new_case(session, people["requester"], now=GW - timedelta(days=20)),
                   "planning_plan", people, now=GW - timedelta(days=20))
    walk_to(session, case, "planning_approval", people, now=GW)
    [task] = tasks_for(session, people["dept_manager"], date(2025, 5, 19))
    assert (task.kind, task.due, task.overdue, task.due_soon) == (
        "plan_approval", date(2025, 5, 19), False, True)


def test_reviews_keep_their_own_due_date_and_work_without_a_rule_has_none(session, people,
                                                                         welfare):
    tasks = {t.review_id: t for t in tasks_for(session, people["dept_manager"], date(2025, 8, 1))}
    review = tasks[welfare["review"].id]
    assert (review.due, review.overdue) == (date(2025, 7, 31), True)
    office = tasks_for(session, people["office"], date(2025, 6, 2))
    assert {t.kind for t in office if t.due is None} == {"proposal", "planning", "solution"}


def test_soonest_due_comes_first_and_undated_last(session, people, welfare):
    tasks = tasks_for(session, people["office"], date(2025, 6, 2))
    assert tasks[0].kind == "triage"
    assert all(t.due is None for t in tasks[1:])


# --- constant query count -----------------------------------------------------------------------

BULK_STATES = ("draft", "consultation_submitted", "consultation_hearing", "consultation_study",
               "planning_plan", "planning_approval", "solution_rollout")
CLOCKS = {"consultation_submitted": "submit", "consultation_study": "send_proposal",
          "planning_approval": "submit_plan"}


def bulk_cases(session, people, n: int, start: int) -> None:
    """``n`` Welfare cases cycling through the states that make work, with clock events and
    reviews, written with Core (the query count is the point, not how they got there)."""
    now = utcnow()
    dept = people["requester"].department_id
    rows = [{"id": start + i, "number": f"T-{start + i:06d}", "fiscal_year": 2099,
             "seq": start + i, "title": f"案件 {i}", "department_id": dept,
             "requester_id": people["requester"].id, "assignee_id": people["office"].id,
             "state": BULK_STATES[i % len(BULK_STATES)], "submitted_at": now,
             "created_at": now, "updated_at": now, "version": 1, "case_type": "dx_project",
             "priority": "normal", "values": [], "description": "", "current_problem": "",
             "desired_outcome": "", "proposal_text": ""}
            for i in range(n)]
    session.execute(insert(Case.__table__), rows)
    session.execute(insert(AuditEvent.__table__), [
        {"case_id": r["id"], "kind": "transition", "trigger": CLOCKS[r["state"]], "created_at": now}
        for r in rows if r["state"] in CLOCKS])
    session.execute(insert(Review.__table__), [
        {"case_id": r["id"], "fiscal_year": 2024, "period": "FY",
         "due_date": date(2026, 1, 30), "status": "open", "created_at": now}
        for r in rows[::3]])
    session.commit()


def count_statements(engine, fn) -> int:
    statements = []

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_query_count_does_not_grow_with_the_number_of_cases(session, engine, people):
    def measure():
        session.expire_all()
        counts, found = {}, {}
        for role in ("requester", "dept_manager", "office", "office_lead"):
            user = people[role]
            found_now: list = []
            counts[role] = count_statements(engine, lambda u=user, out=found_now: out.extend(
                tasks_for(session, u, date(2026, 1, 5))))
            found[role] = len(found_now)
        return counts, found

    bulk_cases(session, people, 10, 1000)
    small, small_found = measure()
    bulk_cases(session, people, 190, 2000)
    large, large_found = measure()
    assert small == large
    assert all(n <= 3 for n in large.values()), large
    assert large_found["office"] > 10 * small_found["office"] / 2  # the list really grew
    assert large_found["dept_manager"] > small_found["dept_manager"]


# --- the page -----------------------------------------------------------------------------------


def page(client, url="/tasks/") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_requester_sees_their_draft_with_a_link_to_finish_it(client, auth, session, people):
    case = new_case(session, people["requester"], title="子育て手当の電子申請")
    auth.login(people["requester"])
    html = page(client)
    assert "子育て手当の電子申請" in html
    assert "下書きの提出" in html
    assert f'href="/cases/{case.id}/edit"' in html
    assert "期限なし" in html


def test_manager_gets_decisions_on_top_and_a_link_to_the_bureau_cases(client, auth, session,
                                                                    people, welfare):
    auth.login(people["dept_manager"])
    html = page(client)
    decisions, others = html.split("その他の業務")
    assert "判断待ち" in decisions
    assert "福祉局 consultation_study" in decisions and "福祉局 planning_approval" in decisions
    assert "KPI評価（2023年度）" in others and "福祉局 consultation_study" not in others
    assert 'href="/cases/"' in html and "自部局の案件" in html
    assert "期限超過" in html  # proposals sent in 2025 are long overdue


def test_another_bureau_sees_an_empty_list(client, auth, make_user, welfare):
    auth.login(make_user("dept_manager", "health"))
    html = page(client)
    assert "現在、対応が必要な業務はありません" in html
    assert "福祉局" not in html


@pytest.mark.parametrize("role", ["executive", "admin"])
def test_executives_and_admins_get_a_friendly_page(client, auth, people, role):
    auth.login(people[role])
    html = page(client)
    assert "現在、対応が必要な業務はありません" in html
    assert "ホーム画面へ" in html


def test_every_working_role_can_open_the_page_and_the_substitutes_page(client, auth, people,
                                                                        welfare):
    for role in ("requester", "dept_manager", "office", "office_lead", "expert"):
        auth.login(people[role])
        page(client)
        page(client, "/tasks/substitutes")
        auth.logout()


def test_office_filters_and_sorts_the_list(client, auth, session, people, welfare):
    fresh = new_case(session, people["requester"], title="新着の相談", now=utcnow())
    walk_to(session, fresh, "consultation_submitted", people, now=utcnow())
    auth.login(people["office"])
    everything = page(client)
    assert "新着の相談" in everything and "福祉局 solution_poc" in everything

    triage = page(client, "/tasks/?kind=triage")
    assert "新着の相談" in triage and "福祉局 consultation_submitted" in triage
    assert "福祉局 solution_poc" not in triage and "福祉局 consultation_hearing" not in triage

    overdue = page(client, "/tasks/?overdue=1")
    assert "福祉局 consultation_submitted" in overdue  # submitted in 2025: overdue
    assert "新着の相談" not in overdue  # due in 3 business days
    assert "福祉局 solution_poc" not in overdue  # no due date, never overdue

    def order(html):
        return re.findall(r'class="case-number">([^<]+)<', html)

    by_number = order(page(client, "/tasks/?sort=number"))
    assert by_number == sorted(by_number) and len(by_number) == 6
    by_due = order(page(client, "/tasks/?sort=due"))
    assert by_due[:2] == [welfare["consultation_submitted"].number, fresh.number]
    assert "条件に合う業務はありません" in page(client, "/tasks/?kind=decision")


def test_planning_work_links_to_the_plan_editor(client, auth, people, welfare):
    auth.login(people["requester"])
    html = page(client)
    assert f'href="/cases/{welfare["planning_plan"].id}/plan"' in html


def test_page_query_count_does_not_grow_with_the_number_of_cases(app, client, auth, session,
                                                                  people):
    from web.extensions import db

    auth.login(people["office"])
    bulk_cases(session, people, 10, 1000)
    with app.app_context():
        engine = db.engine
    small = count_statements(engine, lambda: page(client))
    bulk_cases(session, people, 190, 2000)
    large = count_statements(engine, lambda: page(client))
    assert small == large


def test_due_soon_is_amber_within_three_business_days(client, auth, session, people, welfare):
    day = web_today()
    add_review(session, welfare["review_monitoring"], people["dept_manager"], fy=2022,
               due=day + timedelta(days=1))
    auth.login(people["dept_manager"])
    html = page(client, "/tasks/?kind=review")
    assert 'class="badge soon"' in html and "期限間近" in html


def test_domain_labels_follow_the_users_language(client, auth, make_user, welfare):
    auth.login(make_user("dept_manager", language="en"))
    html = page(client)
    assert re.search(r'class="task-action"[^>]*>Decision on a proposal<', html)
    assert "Welfare Bureau" in html and '<option value="review" >KPI review</option>' in html
