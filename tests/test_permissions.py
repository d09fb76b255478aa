"""Who may fire what: the whole trigger × role matrix, and which cases each user reaches at all."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.workflow_helpers import NOW, fire_as, new_case, snapshot, walk_to
from workflow import access
from workflow.engine import available_transitions
from workflow.errors import AccessDenied, RoleNotAllowed
from workflow.models import BUREAU_ROLES, ROLES, Case, Supporter
from workflow.states import BY_TRIGGER, OPEN_STATES, TRANSITIONS

OPEN_AFTER_DRAFT = OPEN_STATES - {"on_hold"}
CLOSED = {"closed_completed", "closed_withdrawn", "closed_rejected"}

# DESIGN.md, "The process, transition by transition": trigger -> (from, to, who).
# Written out by hand so that a change to the machine that the client did not ask for fails.
DESIGN = {
    "submit": ({"draft"}, "consultation_submitted", {"requester"}),
    "send_back": ({"consultation_submitted"}, "draft", {"office"}),
    "accept": ({"consultation_submitted"}, "consultation_hearing", {"office", "office_lead"}),
    "reject": ({"consultation_submitted", "consultation_hearing"}, "closed_rejected",
               {"office_lead"}),
    "draft_proposal": ({"consultation_hearing"}, "consultation_proposing", {"office"}),
    "send_proposal": ({"consultation_proposing"}, "consultation_study", {"office"}),
    "ask_revision": ({"consultation_study"}, "consultation_proposing",
                     {"requester", "dept_manager"}),
    "decide_go": ({"consultation_study"}, "planning_as_is", {"dept_manager"}),
    "decide_no": ({"consultation_study"}, "closed_withdrawn", {"dept_manager"}),
    "finish_as_is": ({"planning_as_is"}, "planning_to_be", {"requester", "office"}),
    "finish_to_be": ({"planning_to_be"}, "planning_plan", {"requester", "office"}),
    "submit_plan": ({"planning_plan"}, "planning_approval", {"requester", "office"}),
    "return_plan": ({"planning_approval"}, "planning_plan", {"dept_manager"}),
    "approve_plan": ({"planning_approval"}, "solution_selection", {"dept_manager"}),
    "start_poc": ({"solution_selection"}, "solution_poc", {"office"}),
    "start_rollout": ({"solution_selection", "solution_poc"}, "solution_rollout", {"office"}),
    "go_live": ({"solution_rollout"}, "review_monitoring", {"office", "dept_manager"}),
    "improve": ({"review_monitoring"}, "planning_to_be", {"dept_manager", "office_lead"}),
    "complete": ({"review_monitoring"}, "closed_completed", {"dept_manager", "office_lead"}),
    "withdraw": (OPEN_AFTER_DRAFT | {"on_hold"}, "closed_withdrawn", {"requester", "dept_manager"}),
    "hold": (OPEN_AFTER_DRAFT, "on_hold", {"office", "office_lead"}),
    "resume": ({"on_hold"}, None, {"office", "office_lead"}),
    "reopen": (CLOSED, "consultation_hearing", {"office_lead"}),
}
COMMENT_REQUIRED = {"send_back", "reject", "ask_revision", "decide_no", "return_plan",
                    "improve", "withdraw", "hold", "reopen"}


def test_the_transition_table_is_the_one_in_the_design():
    actual = {t.trigger: (set(t.sources), t.dest, set(t.roles)) for t in TRANSITIONS}
    assert actual == DESIGN
    assert {t.trigger for t in TRANSITIONS if t.comment_required} == COMMENT_REQUIRED
    assert all(set(t.roles) <= set(ROLES) for t in TRANSITIONS)


def source_of(trigger: str) -> str:
    """A source state of ``trigger`` that ``walk_to`` reaches (the first one declared)."""
    return BY_TRIGGER[trigger].sources[0]


@pytest.mark.parametrize("trigger", [t.trigger for t in TRANSITIONS])
def test_permission_matrix(session, people, trigger):
    """Every role against every trigger, from a valid source state with its guards passing."""
    t = BY_TRIGGER[trigger]
    outcomes: dict[str, str] = {}
    case = None
    for role in ROLES:
        if case is None:  # a fresh case whenever the previous one moved on
            case = walk_to(session, new_case(session, people["requester"]),
                           source_of(trigger), people)
        before = snapshot(session, case)
        try:
            result = fire_as(session, case, trigger, people[role])
        except RoleNotAllowed as exc:
            assert exc.allowed == sorted(t.roles)
            assert snapshot(session, case) == before
            outcomes[role] = "refused"
        else:
            assert result.from_state == before[0]
            assert snapshot(session, case) == (result.to_state, before[1] + 1, before[2] + 1)
            outcomes[role] = "fired"
            case = None
    expected = {role: "fired" if role in t.roles else "refused" for role in ROLES}
    assert outcomes == expected


@pytest.mark.parametrize("trigger", [t.trigger for t in TRANSITIONS if t.roles & BUREAU_ROLES])
def test_another_bureau_cannot_fire_what_its_role_allows(session, people, make_user, trigger):
    case = walk_to(session, new_case(session, people["requester"]), source_of(trigger), people)
    before = snapshot(session, case)
    for role in sorted(BY_TRIGGER[trigger].roles & BUREAU_ROLES):
        outsider = make_user(role, "finance")
        with pytest.raises(AccessDenied):
            fire_as(session, case, trigger, outsider)
        assert snapshot(session, case) == before
        assert available_transitions(session, case, outsider, now=NOW) == []
    # The same move by the case's own bureau still works.
    allowed = sorted(BY_TRIGGER[trigger].roles & BUREAU_ROLES)[0]
    assert fire_as(session, case, trigger, people[allowed]).version == before[1] + 1


def test_a_bureau_user_without_a_department_reaches_nothing(session, people, make_user):
    case = walk_to(session, new_case(session, people["requester"]), "consultation_study", people)
    loose = make_user("dept_manager")
    loose.department_id = None
    session.commit()
    with pytest.raises(AccessDenied):
        fire_as(session, case, "decide_go", loose)


# --- which cases a user sees ---------------------------------------------------------------


@pytest.fixture
def portfolio(session, people, make_user):
    """Welfare: a draft and a submitted case; Finance: the same; one finance case has an expert."""
    finance_requester = make_user("requester", "finance")
    cases = {
        "welfare_draft": new_case(session, people["requester"], title="福祉の下書き"),
        "welfare_open": new_case(session, people["requester"], title="福祉の相談"),
        "finance_draft": new_case(session, finance_requester, title="財政の下書き"),
        "finance_open": new_case(session, finance_requester, title="財政の相談"),
    }
    walk_to(session, cases["welfare_open"], "planning_as_is", people)
    fire_as(session, cases["finance_open"], "submit", finance_requester)
    return cases


def visible(session, user) -> set[str]:
    titles = session.scalars(select(Case.title).where(access.visibility_clause(user)))
    names = {"福祉の下書き": "welfare_draft", "福祉の相談": "welfare_open",
             "財政の下書き": "finance_draft", "財政の相談": "finance_open"}
    return {names[t] for t in titles}


@pytest.mark.parametrize(("role", "dept", "expected"), [
    ("requester", None, {"welfare_draft", "welfare_open"}),
    ("dept_manager", None, {"welfare_draft", "welfare_open"}),
    ("requester", "finance", {"finance_draft", "finance_open"}),
    ("dept_manager", "finance", {"finance_draft", "finance_open"}),
    ("office", None, {"welfare_open", "finance_open"}),
    ("office_lead", None, {"welfare_open", "finance_open"}),
    ("executive", None, {"welfare_open", "finance_open"}),
    ("admin", None, {"welfare_open", "finance_open"}),
    ("expert", None, set()),
])
def test_visibility_per_role(session, portfolio, make_user, role, dept, expected):
    user = make_user(role, dept)
    assert visible(session, user) == expected
    # The per-object check agrees with the query.
    for name, case in portfolio.items():
        assert access.can_see(session, user, case) == (name in expected), name


def test_an_expert_sees_only_the_cases_they_support(session, people, portfolio, make_user):
    expert = people["expert"]
    session.add(Supporter(case_id=portfolio["finance_open"].id, kind="expert", user_id=expert.id,
                          organization="○○総研"))
    # Another expert on another case does not widen what this one sees.
    session.add(Supporter(case_id=portfolio["welfare_open"].id, kind="expert",
                          user_id=make_user("expert").id))
    session.commit()
    assert visible(session, expert) == {"finance_open"}
    assert access.can_see(session, expert, portfolio["finance_open"])
    assert not access.can_see(session, expert, portfolio["welfare_open"])
    # Seeing is not changing: an expert comments, but fires nothing.
    assert access.can_comment(session, expert, portfolio["finance_open"])
    assert not access.can_change(session, expert, portfolio["finance_open"])
    assert available_transitions(session, portfolio["finance_open"], expert, now=NOW) == []


def test_an_inactive_user_sees_nothing(session, people, portfolio):
    user = people["office_lead"]
    user.active = False
    session.commit()
    assert visible(session, user) == set()


def test_visible_to_any_is_the_union(session, people, portfolio, make_user):
    finance = make_user("dept_manager", "finance")
    clause = access.visible_to_any([people["dept_manager"], finance])
    titles = set(session.scalars(select(Case.title).where(clause)))
    assert titles == {case.title for case in portfolio.values()}
    assert list(session.scalars(select(Case.id).where(access.visible_to_any([])))) == []
