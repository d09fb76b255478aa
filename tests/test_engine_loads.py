"""The engine path reads what it needs in the statements it issues itself: no lazy load.

Each step of the happy path fires on a case loaded the way a request loads it (a fresh row,
nothing of its plan in the session), and every ORM load the fire triggers is recorded: a
relationship or column loaded lazily (a KPI list read one plan at a time, a target list one
KPI at a time) fails the test with the statement that did it.
"""

from __future__ import annotations

from sqlalchemy import event, select

from tests.workflow_helpers import HAPPY_PATH, NOW, fire_as, new_case, satisfy_guards
from workflow.models import Case, Review


def test_no_lazy_load_on_the_whole_happy_path(session, people):
    case = new_case(session, people["requester"])
    lazy = []

    @event.listens_for(session, "do_orm_execute")
    def _record(state):
        if state.is_relationship_load or state.is_column_load:
            lazy.append(str(state.statement).split("\n")[0])

    for trigger, role, to_state in HAPPY_PATH:
        satisfy_guards(session, case, people, NOW)
        session.expire_all()  # as a new request: only the case row and the user are loaded
        for user in people.values():
            session.refresh(user)
        case = session.scalar(select(Case).where(Case.id == case.id))
        lazy.clear()
        result = fire_as(session, case, trigger, people[role], NOW)
        assert result.to_state == to_state
        assert lazy == [], f"{trigger} loaded lazily: {lazy}"
    # The path really went through the plan guards and the go-live obligations.
    assert session.scalar(select(Review.id).where(Review.case_id == case.id,
                                                  Review.status == "open")) is not None
