"""Decisions that commit a bureau show what they agree to, and take an optional comment, in a
confirm panel on the case page (no other page)."""

from __future__ import annotations

import re

from tests.test_office_board import make_case, reload
from tests.workflow_helpers import case_events
from workflow.models import utcnow


def panel(html: str, trigger: str) -> str:
    opening = f'<details class="action confirm-panel" id="confirm-{trigger}">'
    match = re.search(re.escape(opening) + "(.*?)</details>", html, re.S)
    assert match, f"no confirm panel for {trigger}"
    return match.group(1)


def test_plan_approval_panel_shows_the_plan_and_records_the_comment(
        client, auth, session, people):
    # Planned now: the plan's KPI targets must cover the current fiscal year to be approvable.
    case = make_case(session, people, "planning_approval", title="介護認定業務のBPR", now=utcnow())
    auth.login(people["dept_manager"])

    html = client.get(f"/cases/{case.id}").get_data(as_text=True)

    approve = panel(html, "approve_plan")
    assert "2030年度までに行政手続のオンライン化率100%" in approve  # the KGI being approved
    assert "介護認定業務のBPR" in approve
    assert "コメント（任意）" in approve and "required" not in approve.split("<textarea")[1]
    response = auth.post(f"/cases/{case.id}/transitions/approve_plan",
                         {"version": str(case.version), "comment": "予算の範囲内で進めてください"},
                         form_url=f"/cases/{case.id}")
    assert response.status_code == 302
    assert reload(session, case).state == "solution_selection"
    event = case_events(session, case, "transition")[-1]
    assert event.trigger == "approve_plan" and event.comment == "予算の範囲内で進めてください"


def test_go_decision_panel_shows_the_proposal(client, auth, session, people):
    case = make_case(session, people, "consultation_study")
    case_text = reload(session, case).proposal_text
    auth.login(people["dept_manager"])

    html = client.get(f"/cases/{case.id}").get_data(as_text=True)

    go = panel(html, "decide_go")
    assert "デジタル統括室からの提案" in go
    assert case_text and case_text.strip().splitlines()[0].lstrip("#- ").strip() in go
    assert 'name="comment"' in go
    # Saying no still needs a reason.
    assert "required" in panel(html, "decide_no").split("<textarea")[1].split(">")[0]
