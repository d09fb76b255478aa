"""The engine: the process end to end, every way it refuses, and what it writes when it does not."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.workflow_helpers import (
    HAPPY_PATH,
    KPI_NAME,
    NOW,
    case_events,
    complete_plan,
    fire_as,
    new_case,
    satisfy_guards,
    snapshot,
    submit_review,
    walk_to,
)
from workflow import effects
from workflow.cases import create_case, update_case
from workflow.engine import available_transitions, fire
from workflow.errors import (
    AccessDenied,
    GuardFailed,
    NotAllowedInState,
    RoleNotAllowed,
    StaleVersion,
    UnknownTrigger,
    WorkflowError,
)
from workflow.models import Case, Comment, Kpi, User
from workflow.plans import KpiInput, plan_for, save_kpi, update_plan
from workflow.states import BY_TRIGGER, CLOSED_STATES, OPEN_STATES, STATES
from workflow.vocabulary import SECURITY_CHECKLIST

ACTING_ROLES = ("requester", "dept_manager", "office", "office_lead")
OPEN_AFTER_DRAFT = sorted(OPEN_STATES - {"on_hold"}, key=STATES.index)


@pytest.fixture
def case(session, people) -> Case:
    return new_case(session, people["requester"])


def reload(session, case: Case) -> Case:
    """The row as committed, not what the session remembers."""
    session.expire(case)
    return session.get(Case, case.id)


def codes(exc: WorkflowError) -> list[str]:
    return [r.code for r in exc.reasons]


# --- the process ---------------------------------------------------------------------------


def test_happy_path_from_draft_to_completed(session, people, case):
    assert case.state == "draft" and case.version == 1
    for step, (trigger, role, to_state) in enumerate(HAPPY_PATH):
        satisfy_guards(session, case, people)
        from_state, version = case.state, case.version
        result = fire_as(session, case, trigger, people[role], now=NOW + timedelta(minutes=step))
        assert (result.from_state, result.to_state) == (from_state, to_state)
        assert result.version == version + 1
        stored = reload(session, case)
        assert (stored.state, stored.version) == (to_state, version + 1)
        event = case_events(session, case)[-1]
        assert (event.kind, event.trigger, event.from_state, event.to_state) == (
            "transition", trigger, from_state, to_state)
        assert event.id == result.event_id and event.case_version == version + 1
        assert event.actor_id == people[role].id and event.on_behalf_of_id is None
        assert event.created_at == NOW + timedelta(minutes=step)

    stored = reload(session, case)
    assert stored.state == "closed_completed"
    assert stored.submitted_at == NOW
    assert stored.closed_at == NOW + timedelta(minutes=len(HAPPY_PATH) - 1)
    transitions = case_events(session, case, "transition")
    assert [e.trigger for e in transitions] == [t for t, _r, _s in HAPPY_PATH]


def test_every_happy_path_step_refuses_the_other_bureau_and_office_roles(session, people, case):
    """The happy path's roles are not interchangeable: the requester cannot approve, etc."""
    for trigger, role, _to in HAPPY_PATH:
        satisfy_guards(session, case, people)
        wrong = [r for r in ACTING_ROLES if r not in BY_TRIGGER[trigger].roles]
        assert wrong, trigger
        for other in wrong:
            with pytest.raises(RoleNotAllowed):
                fire_as(session, case, trigger, people[other])
        fire_as(session, case, trigger, people[role])
    assert case.state == "closed_completed"


def test_improvement_loop_goes_back_to_planning_and_round_again(session, people, case):
    walk_to(session, case, "review_monitoring", people)
    result = fire(session, case, "improve", people["dept_manager"], comment="KPIが伸びていない",
                  now=NOW)
    assert result.to_state == "planning_to_be"
    assert case_events(session, case)[-1].comment == "KPIが伸びていない"

    # Round the loop again with other hands where the table allows them.
    satisfy_guards(session, case, people)
    for trigger, role, to_state in [
        ("finish_to_be", "office", "planning_plan"),
        ("submit_plan", "office", "planning_approval"),
        ("approve_plan", "dept_manager", "solution_selection"),
        ("start_rollout", "office", "solution_rollout"),
        ("go_live", "dept_manager", "review_monitoring"),
    ]:
        assert fire(session, case, trigger, people[role], now=NOW).to_state == to_state
    fire(session, case, "improve", people["office_lead"], comment="もう一度", now=NOW)
    assert case.state == "planning_to_be"
    walk_to(session, case, "closed_completed", people)
    triggers = [e.trigger for e in case_events(session, case, "transition")]
    assert triggers.count("improve") == 2 and triggers.count("go_live") == 3


@pytest.mark.parametrize("state", OPEN_AFTER_DRAFT)
def test_hold_and_resume_return_to_the_exact_substate(session, people, case, state):
    walk_to(session, case, state, people)
    result = fire(session, case, "hold", people["office"], comment="予算待ち", now=NOW)
    assert (result.from_state, result.to_state) == (state, "on_hold")
    stored = reload(session, case)
    assert stored.state == "on_hold" and stored.hold_return_state == state

    offered = {o.trigger for o in available_transitions(session, stored, people["office_lead"],
                                                         now=NOW)}
    assert offered == {"resume"}
    with pytest.raises(NotAllowedInState):
        fire_as(session, stored, "hold", people["office"])

    result = fire(session, stored, "resume", people["office_lead"], now=NOW)
    assert (result.from_state, result.to_state) == ("on_hold", state)
    stored = reload(session, case)
    assert stored.state == state and stored.hold_return_state is None
    events = case_events(session, case, "transition")[-2:]
    assert [(e.from_state, e.to_state) for e in events] == [(state, "on_hold"), ("on_hold", state)]


def test_resume_goes_back_to_where_the_case_left_even_after_a_second_hold(session, people, case):
    walk_to(session, case, "planning_plan", people)
    fire_as(session, case, "hold", people["office"])
    fire_as(session, case, "resume", people["office"])
    walk_to(session, case, "solution_poc", people)
    fire_as(session, case, "hold", people["office_lead"])
    assert fire_as(session, case, "resume", people["office"]).to_state == "solution_poc"


@pytest.mark.parametrize("closed", ["closed_completed", "closed_withdrawn", "closed_rejected"])
def test_reopen_returns_a_closed_case_to_hearing(session, people, case, closed):
    walk_to(session, case, closed, people)
    assert reload(session, case).closed_at == NOW
    with pytest.raises(RoleNotAllowed):
        fire_as(session, case, "reopen", people["office"])
    with pytest.raises(GuardFailed) as excinfo:
        fire(session, case, "reopen", people["office_lead"], comment="  ", now=NOW)
    assert codes(excinfo.value) == ["comment_required"]
    result = fire(session, case, "reopen", people["office_lead"], comment="再相談", now=NOW)
    assert (result.from_state, result.to_state) == (closed, "consultation_hearing")
    stored = reload(session, case)
    assert stored.state == "consultation_hearing" and stored.closed_at is None


@pytest.mark.parametrize("state", [*OPEN_AFTER_DRAFT, "on_hold"])
@pytest.mark.parametrize("role", ["requester", "dept_manager"])
def test_withdraw_from_any_open_state(session, people, case, state, role):
    walk_to(session, case, state, people)
    result = fire(session, case, "withdraw", people[role], comment="事業見直しのため", now=NOW)
    assert (result.from_state, result.to_state) == (state, "closed_withdrawn")
    assert reload(session, case).closed_at == NOW


def test_withdraw_is_not_possible_from_a_draft(session, people, case):
    with pytest.raises(NotAllowedInState):
        fire_as(session, case, "withdraw", people["requester"])


@pytest.mark.parametrize("state", ["consultation_submitted", "consultation_hearing"])
def test_office_lead_rejects_a_consultation(session, people, case, state):
    walk_to(session, case, state, people)
    result = fire(session, case, "reject", people["office_lead"], comment="対象外", now=NOW)
    assert result.to_state == "closed_rejected"
    assert case_events(session, case)[-1].comment == "対象外"


def test_send_back_returns_to_draft_for_more_information(session, people, case):
    walk_to(session, case, "consultation_submitted", people)
    with pytest.raises(GuardFailed) as excinfo:
        fire(session, case, "send_back", people["office"], now=NOW)
    assert codes(excinfo.value) == ["comment_required"]
    fire(session, case, "send_back", people["office"], comment="予算額を追記してください", now=NOW)
    stored = reload(session, case)
    assert stored.state == "draft"
    # The requester completes the draft and submits again; the first submission date stays.
    update_case(session, stored, people["requester"], {"description": "予算額は300万円"},
                now=NOW + timedelta(days=1))
    fire(session, stored, "submit", people["requester"], now=NOW + timedelta(days=2))
    stored = reload(session, case)
    assert stored.state == "consultation_submitted" and stored.submitted_at == NOW


def test_the_bureau_asks_for_a_revised_proposal_or_declines(session, people, case):
    walk_to(session, case, "consultation_study", people)
    fire(session, case, "ask_revision", people["requester"], comment="費用を再検討", now=NOW)
    assert case.state == "consultation_proposing"
    fire_as(session, case, "send_proposal", people["office"])  # proposal text still there
    fire(session, case, "decide_no", people["dept_manager"], comment="今年度は見送り", now=NOW)
    assert reload(session, case).state == "closed_withdrawn"


# --- the audit trail and what moves with the state ---------------------------------------------


def test_a_substitute_is_recorded_with_the_principal(session, people, make_user, case):
    walk_to(session, case, "consultation_study", people)
    deputy = make_user("requester")  # same bureau, acting for the manager on leave
    with pytest.raises(RoleNotAllowed):
        fire_as(session, case, "decide_go", deputy)
    before = len(case_events(session, case))
    fire(session, case, "decide_go", deputy, on_behalf_of=people["dept_manager"], now=NOW)
    events = case_events(session, case)
    assert len(events) == before + 1
    event = events[-1]
    assert event.actor_id == deputy.id
    assert event.on_behalf_of_id == people["dept_manager"].id
    assert (event.from_state, event.to_state, event.case_version) == (
        "consultation_study", "planning_as_is", case.version)


def test_accept_assigns_the_accepting_office_member_when_nobody_is_assigned(session, people, case):
    walk_to(session, case, "consultation_submitted", people)
    assert case.assignee_id is None
    fire_as(session, case, "accept", people["office_lead"])
    assert reload(session, case).assignee_id == people["office_lead"].id


def test_accept_keeps_an_assignee_chosen_before(session, people, make_user, case):
    walk_to(session, case, "consultation_submitted", people)
    colleague = make_user("office")
    update_case(session, case, people["office_lead"], {"assignee_id": colleague.id}, now=NOW)
    fire_as(session, case, "accept", people["office"])
    assert reload(session, case).assignee_id == colleague.id


def test_approve_plan_records_the_approval_on_the_plan(session, people, case):
    walk_to(session, case, "planning_approval", people)
    assert plan_for(session, case).approved_at is None
    fire(session, case, "approve_plan", people["dept_manager"], now=NOW)
    session.expire_all()
    plan = plan_for(session, case)
    assert plan.approved_at == NOW and plan.approved_by_id == people["dept_manager"].id
    # From now on a changed target is a revision that keeps the original figure.
    kpi = plan.kpis[0]
    save_kpi(session, case, people["office"], KpiInput(
        name=KPI_NAME, unit="件", baseline=Decimal(120), targets={2025: Decimal(250)}),
        kpi_id=kpi.id, now=NOW + timedelta(days=200))
    target = session.get(Kpi, kpi.id).target_for(2025)
    assert target.value == Decimal(250) and target.original_value == Decimal(300)
    assert target.is_revised


# --- refusals ------------------------------------------------------------------------------


def test_unknown_trigger(session, people, case):
    with pytest.raises(UnknownTrigger) as excinfo:
        fire(session, case, "teleport", people["requester"], now=NOW)
    assert "teleport" in str(excinfo.value) and "teleport" in excinfo.value.message("ja")


def test_not_allowed_in_state_names_the_state(session, people, case):
    with pytest.raises(NotAllowedInState) as excinfo:
        fire_as(session, case, "ask_revision", people["requester"])
    assert excinfo.value.state == "draft"
    assert "draft" in str(excinfo.value) and "下書き" in excinfo.value.message("ja")


@pytest.mark.parametrize(("trigger", "role", "allowed"), [
    ("submit", "office", "requester"),
    ("accept", "requester", "office, office_lead"),
    ("complete", "office", "dept_manager, office_lead"),
    ("decide_go", "executive", "dept_manager"),
])
def test_role_not_allowed_lists_the_roles_that_are(session, people, case, trigger, role, allowed):
    state = {"submit": "draft", "accept": "consultation_submitted",
             "complete": "review_monitoring", "decide_go": "consultation_study"}[trigger]
    walk_to(session, case, state, people)
    with pytest.raises(RoleNotAllowed) as excinfo:
        fire_as(session, case, trigger, people[role])
    assert excinfo.value.role == role
    assert ", ".join(excinfo.value.allowed) == allowed
    assert f"allowed roles: {allowed}" in str(excinfo.value)
    assert allowed in excinfo.value.message("ja")


def test_submit_lists_every_missing_field(session, people):
    case = create_case(session, people["requester"], {"title": "相談"}, now=NOW)
    with pytest.raises(GuardFailed) as excinfo:
        fire(session, case, "submit", people["requester"], now=NOW)
    assert codes(excinfo.value) == ["missing_description", "missing_current_problem",
                                    "missing_desired_outcome"]
    assert "Enter the description" in str(excinfo.value)


def test_a_proposal_cannot_be_sent_without_its_text(session, people, case):
    walk_to(session, case, "consultation_proposing", people, satisfy=False)
    with pytest.raises(GuardFailed) as excinfo:
        fire_as(session, case, "send_proposal", people["office"])
    assert codes(excinfo.value) == ["missing_proposal"]


def test_a_comment_required_move_says_so_with_its_other_reasons(session, people, case):
    walk_to(session, case, "consultation_submitted", people)
    with pytest.raises(GuardFailed) as excinfo:
        fire(session, case, "reject", people["office_lead"], comment="   ", now=NOW)
    assert codes(excinfo.value) == ["comment_required"]


@pytest.mark.parametrize(("trigger", "code"), [
    ("finish_as_is", "missing_as_is"), ("finish_to_be", "missing_to_be"),
])
def test_planning_notes_are_required(session, people, case, trigger, code):
    state = {"finish_as_is": "planning_as_is", "finish_to_be": "planning_to_be"}[trigger]
    walk_to(session, case, "planning_as_is", people, satisfy=False)
    if state == "planning_to_be":
        update_plan(session, case, people["requester"], {"as_is_notes": "紙の申請"}, now=NOW)
        fire_as(session, case, "finish_as_is", people["requester"])
    with pytest.raises(GuardFailed) as excinfo:
        fire_as(session, case, trigger, people["requester"])
    assert codes(excinfo.value) == [code]


def _to_plan_state(session, people, case) -> None:
    walk_to(session, case, "planning_as_is", people, satisfy=False)
    update_plan(session, case, people["requester"],
                {"as_is_notes": "現状", "to_be_notes": "あるべき姿"}, now=NOW)
    fire_as(session, case, "finish_as_is", people["requester"])
    fire_as(session, case, "finish_to_be", people["requester"])
    assert case.state == "planning_plan"


def test_an_incomplete_plan_lists_every_reason(session, people, case):
    _to_plan_state(session, people, case)
    save_kpi(session, case, people["requester"], KpiInput(name=KPI_NAME, unit="件"), now=NOW)
    with pytest.raises(GuardFailed) as excinfo:
        fire_as(session, case, "submit_plan", people["requester"])
    reasons = excinfo.value.reasons
    assert [r.code for r in reasons] == ["missing_kgi", "kpi_no_baseline", "kpi_no_target",
                                         "security_unanswered"]
    by_code = {r.code: r for r in reasons}
    assert KPI_NAME in by_code["kpi_no_baseline"].en
    assert by_code["kpi_no_target"].en == f"KPI '{KPI_NAME}' has no FY2025 or FY2026 target"
    assert "2025年度" in by_code["kpi_no_target"].ja
    assert by_code["security_unanswered"].en.startswith(f"{len(SECURITY_CHECKLIST)} security")


def test_a_plan_without_kpis_or_a_kpi_with_only_a_past_target(session, people, case):
    _to_plan_state(session, people, case)
    update_plan(session, case, people["requester"], {
        "kgi": "2030年度までにオンライン化率100%",
        "security_checklist": dict.fromkeys(list(SECURITY_CHECKLIST)[:-1], "yes"),
    }, now=NOW)
    with pytest.raises(GuardFailed) as excinfo:
        fire_as(session, case, "submit_plan", people["requester"])
    assert codes(excinfo.value) == ["missing_kpi", "security_unanswered"]
    assert "1 security" in str(excinfo.value)

    save_kpi(session, case, people["requester"], KpiInput(
        name=KPI_NAME, baseline=Decimal(1), targets={2024: Decimal(5)}), now=NOW)
    update_plan(session, case, people["requester"],
                {"security_checklist": dict.fromkeys(SECURITY_CHECKLIST, "not_applicable")},
                now=NOW)
    with pytest.raises(GuardFailed) as excinfo:
        fire_as(session, case, "submit_plan", people["requester"])
    assert codes(excinfo.value) == ["kpi_no_target"]

    # A target for next fiscal year is enough.
    kpi_id = plan_for(session, case).kpis[0].id
    save_kpi(session, case, people["requester"], KpiInput(
        name=KPI_NAME, baseline=Decimal(1), targets={2026: Decimal(5)}), kpi_id=kpi_id, now=NOW)
    result = fire_as(session, case, "submit_plan", people["requester"])
    assert result.to_state == "planning_approval"


def test_one_complete_kpi_is_enough_beside_an_incomplete_one(session, people, case):
    _to_plan_state(session, people, case)
    save_kpi(session, case, people["requester"], KpiInput(name="未定のKPI"), now=NOW)
    complete_plan(session, case, people["requester"])  # adds nothing: a KPI exists
    with pytest.raises(GuardFailed) as excinfo:
        fire_as(session, case, "submit_plan", people["requester"])
    assert codes(excinfo.value) == ["kpi_no_baseline", "kpi_no_target"]
    assert "未定のKPI" in str(excinfo.value)
    save_kpi(session, case, people["requester"], KpiInput(
        name=KPI_NAME, baseline=Decimal(120), targets={2025: Decimal(300)}), now=NOW)
    result = fire_as(session, case, "submit_plan", people["requester"])
    assert result.to_state == "planning_approval"


def test_the_plan_guard_judges_the_fiscal_year_of_now(session, people, case):
    walk_to(session, case, "planning_plan", people)  # target for FY2025 only
    april_2027 = NOW.replace(year=2027, month=4, day=1)
    with pytest.raises(GuardFailed) as excinfo:
        fire_as(session, case, "submit_plan", people["requester"], now=april_2027)
    assert "FY2027 or FY2028" in str(excinfo.value)


def test_approval_needs_an_assigned_office_member(session, people, case):
    walk_to(session, case, "planning_approval", people)
    update_case(session, case, people["office"], {"assignee_id": None}, now=NOW)
    with pytest.raises(GuardFailed) as excinfo:
        fire_as(session, case, "approve_plan", people["dept_manager"])
    assert codes(excinfo.value) == ["missing_assignee"]


def test_complete_needs_a_submitted_review(session, people, case):
    walk_to(session, case, "review_monitoring", people, satisfy=False)
    with pytest.raises(GuardFailed) as excinfo:
        fire_as(session, case, "complete", people["dept_manager"])
    assert codes(excinfo.value) == ["no_review"]
    submit_review(session, case, people["dept_manager"])
    assert fire_as(session, case, "complete", people["office_lead"]).to_state == "closed_completed"


def test_an_open_review_does_not_count(session, people, case):
    walk_to(session, case, "review_monitoring", people, satisfy=False)
    review = submit_review(session, case, people["dept_manager"])
    review.status = "open"
    session.commit()
    with pytest.raises(GuardFailed):
        fire_as(session, case, "complete", people["dept_manager"])


def test_stale_expected_version(session, people, case):
    with pytest.raises(StaleVersion) as excinfo:
        fire(session, case, "submit", people["requester"], expected_version=case.version - 1,
             now=NOW)
    assert (excinfo.value.expected, excinfo.value.actual) == (0, 1)
    assert fire(session, case, "submit", people["requester"], expected_version=1,
                now=NOW).version == 2


def test_stale_row_changed_by_another_session(session, engine, people, case):
    from workflow.db import make_session_factory

    walk_to(session, case, "consultation_submitted", people)
    with make_session_factory(engine)() as other:
        fire(other, other.get(Case, case.id), "accept", other.get(User, people["office"].id),
             now=NOW)
    before = snapshot(session, case)
    assert case.version == before[1] - 1  # this session still holds the old row
    with pytest.raises(StaleVersion):
        fire_as(session, case, "reject", people["office_lead"])
    assert snapshot(session, case) == before
    assert reload(session, case).state == "consultation_hearing"


def test_a_stale_expected_version_beats_the_state_the_case_moved_to(session, engine, people,
                                                                   case):
    """Someone who pressed 'hold' on version v, after another person held the case, is told
    to reload: not that 'hold' is impossible in a state they never saw."""
    from workflow.db import make_session_factory

    walk_to(session, case, "solution_poc", people)
    seen_version = case.version
    fire_as(session, case, "hold", people["office_lead"])
    with make_session_factory(engine)() as other:
        fresh = other.get(Case, case.id)
        assert fresh.state == "on_hold"
        with pytest.raises(StaleVersion) as excinfo:
            fire(other, fresh, "hold", other.get(User, people["office"].id), comment="保留",
                 expected_version=seen_version, now=NOW)
    assert (excinfo.value.expected, excinfo.value.actual) == (seen_version, seen_version + 1)


def test_an_outsider_learns_nothing_about_the_version(session, people, make_user, case):
    outsider = make_user("requester", "finance")
    with pytest.raises(AccessDenied):
        fire(session, case, "submit", outsider, expected_version=case.version + 5, now=NOW)


def test_another_bureaus_requester_is_denied(session, people, make_user, case):
    outsider = make_user("requester", "finance")
    with pytest.raises(AccessDenied):
        fire(session, case, "submit", outsider, now=NOW)
    outsider_manager = make_user("dept_manager", "finance")
    walk_to(session, case, "consultation_study", people)
    with pytest.raises(AccessDenied):
        fire(session, case, "decide_go", outsider_manager, now=NOW)
    assert available_transitions(session, case, outsider_manager, now=NOW) == []


def test_nothing_is_written_on_any_refusal(session, people, make_user, case):
    walk_to(session, case, "consultation_proposing", people, satisfy=False)
    outsider = make_user("requester", "finance")
    attempts = [
        (UnknownTrigger, "teleport", people["office"], {}),
        (NotAllowedInState, "submit", people["requester"], {}),
        (RoleNotAllowed, "send_proposal", people["requester"], {}),
        (AccessDenied, "withdraw", outsider, {"comment": "x"}),
        (GuardFailed, "send_proposal", people["office"], {}),
        (GuardFailed, "hold", people["office"], {}),
        (StaleVersion, "hold", people["office"], {"comment": "x", "expected_version": 1}),
    ]
    before = snapshot(session, case)
    for error, trigger, actor, kwargs in attempts:
        with pytest.raises(error):
            fire(session, case, trigger, actor, now=NOW, **kwargs)
        assert snapshot(session, case) == before, (error, trigger)
        assert (case.state, case.version) == before[:2]


# --- effects -------------------------------------------------------------------------------


@pytest.fixture
def registered():
    """Register effects for one test and remove them afterwards, whatever happens."""
    added = []

    def register(kind, key):
        def decorate(effect):
            added.append(effect)
            return getattr(effects, kind)(key)(effect)

        return decorate

    yield register
    for effect in added:
        effects.unregister(effect)


def test_an_effect_runs_in_the_transition_and_sees_it(session, people, case, registered):
    seen = []

    @registered("on_enter", "planning")
    def note_initiative(fired):
        seen.append((fired.trigger, fired.from_state, fired.to_state, fired.version,
                     fired.actor.id, fired.principal.id))
        fired.session.add(Comment(case_id=fired.case.id, author_id=fired.actor.id,
                                  body="DX取組として登録", created_at=fired.now))

    walk_to(session, case, "planning_as_is", people, satisfy=False)
    assert seen == [("decide_go", "consultation_study", "planning_as_is", case.version,
                     people["dept_manager"].id, people["dept_manager"].id)]
    session.expire_all()
    body = session.scalar(select(Comment.body).where(Comment.case_id == case.id))
    assert body == "DX取組として登録"


def test_a_failing_effect_rolls_the_whole_transition_back(session, people, case, registered):
    walk_to(session, case, "consultation_submitted", people)

    @registered("on_trigger", "accept")
    def boom(fired):
        fired.session.add(Comment(case_id=fired.case.id, body="書かれてはならない"))
        fired.session.flush()
        raise RuntimeError("outbox unavailable")

    before = snapshot(session, case)
    with pytest.raises(RuntimeError, match="outbox unavailable"):
        fire(session, case, "accept", people["office"], now=NOW)
    assert snapshot(session, case) == before
    stored = reload(session, case)
    assert stored.state == "consultation_submitted" and stored.assignee_id is None
    assert session.scalar(select(func.count()).select_from(Comment)) == 0

    effects.unregister(boom)
    assert fire(session, stored, "accept", people["office"], now=NOW).to_state == \
        "consultation_hearing"


def test_unregister_removes_an_effect_from_every_registry():
    def effect(_fired):
        pass

    effects.on_trigger("go_live")(effect)
    effects.on_enter("review_monitoring")(effect)
    effects.on_enter("review")(effect)
    effects.on_any_transition(effect)
    assert effects.effects_for("go_live", "review_monitoring").count(effect) == 4
    effects.unregister(effect)
    assert effect not in effects.effects_for("go_live", "review_monitoring")
    assert effect not in effects.effects_for("submit", "consultation_submitted")


# --- what a user is offered ----------------------------------------------------------------


def options(session, case, user):
    return {o.trigger: [r.code for r in o.reasons]
            for o in available_transitions(session, case, user, now=NOW)}


def test_available_transitions_per_role(session, people, case):
    assert options(session, case, people["requester"]) == {"submit": []}
    assert options(session, case, people["office"]) == {}  # a draft is the bureau's own

    walk_to(session, case, "consultation_proposing", people, satisfy=False)
    assert options(session, case, people["office"]) == {
        "send_proposal": ["missing_proposal"], "hold": []}
    assert options(session, case, people["office_lead"]) == {"hold": []}
    assert options(session, case, people["requester"]) == {"withdraw": []}

    satisfy_guards(session, case, people)
    assert options(session, case, people["office"]) == {"send_proposal": [], "hold": []}
    fire_as(session, case, "send_proposal", people["office"])
    assert options(session, case, people["dept_manager"]) == {
        "ask_revision": [], "decide_go": [], "decide_no": [], "withdraw": []}


def test_available_transitions_show_every_guard_reason(session, people, case):
    _to_plan_state(session, people, case)
    offered = options(session, case, people["office"])
    assert offered == {"submit_plan": ["missing_kgi", "missing_kpi", "security_unanswered"],
                       "hold": []}
    allowed = {o.trigger: o.allowed for o in available_transitions(session, case,
                                                                    people["office"], now=NOW)}
    assert allowed == {"submit_plan": False, "hold": True}


@pytest.mark.parametrize("state", ["draft", "consultation_study", "review_monitoring",
                                   "on_hold", "closed_completed"])
@pytest.mark.parametrize("role", ["executive", "expert", "admin"])
def test_read_only_roles_are_offered_nothing(session, people, case, state, role):
    walk_to(session, case, state, people)
    assert available_transitions(session, case, people[role], now=NOW) == []


def test_closed_cases_offer_only_reopen_to_the_office_lead(session, people, case):
    walk_to(session, case, "closed_rejected", people)
    assert options(session, case, people["office_lead"]) == {"reopen": []}
    for role in ("requester", "dept_manager", "office"):
        assert options(session, case, people[role]) == {}
    assert case.state in CLOSED_STATES
