"""Random sequences of (trigger, role) on one case keep the engine's promises.

Hypothesis drives a ``RuleBasedStateMachine``; the database is the test's own (``session``
fixture), and every example works on a case of its own in it, so the function-scoped fixtures
are set up once for the whole run (``run_state_machine_as_test`` inside a plain test).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from tests.workflow_helpers import (
    HAPPY_STATES,
    NOW,
    case_events,
    new_case,
    satisfy_guards,
    snapshot,
    walk_to,
)
from workflow.engine import fire
from workflow.errors import (
    AccessDenied,
    RoleNotAllowed,
    StaleVersion,
    UnknownTrigger,
    WorkflowError,
)
from workflow.models import ROLES, AuditEvent, Case
from workflow.states import BY_TRIGGER, STATES, TRANSITIONS

TRIGGERS = [t.trigger for t in TRANSITIONS]
ACTORS = (*ROLES, "outsider")  # outsider: a requester of another bureau
BEFORE_VERSION_CHECK = UnknownTrigger | RoleNotAllowed | AccessDenied


def triggers_from(state: str) -> list[str]:
    return [t.trigger for t in TRANSITIONS if state in t.sources]


def replay(events: list[AuditEvent]) -> str:
    """The state the audit log says the case is in: 'created', then every transition."""
    created, *rest = events
    assert created.kind == "created"
    state = created.to_state
    for event in rest:
        if event.kind == "transition":
            assert event.from_state == state, (event.trigger, event.from_state, state)
            state = event.to_state
    return state


class OneCase(RuleBasedStateMachine):
    """One case, fired at by random people with random triggers."""

    def __init__(self, session, people) -> None:
        super().__init__()
        self.session, self.people = session, people
        self.case = new_case(session, people["requester"])
        self.state, self.version, self.events = snapshot(session, self.case)
        self.fired = 0
        self.random_fired = 0  # successful random moves (not the walk of start_somewhere)

    @initialize(start=st.sampled_from([*HAPPY_STATES[:-1], "on_hold"]))
    def start_somewhere(self, start):
        """Start from a state along the way (walked there through the engine), so that short
        random walks reach every phase."""
        walk_to(self.session, self.case, start, self.people, NOW,
                satisfy=start != "review_monitoring")
        self.state, self.version, self.events = snapshot(self.session, self.case)
        self.fired = len(case_events(self.session, self.case, "transition"))

    def _fire(self, trigger: str, actor_name: str, comment: bool, stale: bool) -> None:
        # What the case was before is what this machine tracks: the invariants below check
        # after every step that the database agrees with it.
        before = (self.state, self.version, self.events)
        try:
            result = fire(self.session, self.case, trigger, self.people[actor_name],
                          comment="理由" if comment else None, now=NOW,
                          expected_version=self.version - 1 if stale else None)
        except WorkflowError as exc:
            # A stale version is refused before state and guards are looked at.
            assert not stale or isinstance(exc, BEFORE_VERSION_CHECK | StaleVersion), exc
            assert snapshot(self.session, self.case) == before, (trigger, actor_name, exc)
            return
        assert not stale, "a stale version must never fire"
        after = snapshot(self.session, self.case)
        assert after == (result.to_state, before[1] + 1, before[2] + 1)
        assert (result.from_state, result.version) == (before[0], before[1] + 1)
        assert (self.case.state, self.case.version) == after[:2]
        self.state, self.version, self.events = after
        self.fired += 1
        self.random_fired += 1

    @rule(trigger=st.sampled_from([*TRIGGERS, "teleport"]), actor=st.sampled_from(ACTORS),
          comment=st.booleans(), stale=st.integers(0, 9))
    def fire_anything(self, trigger, actor, comment, stale):
        self._fire(trigger, actor, comment, stale == 0)

    @rule(data=st.data(), comment=st.integers(0, 4))
    def fire_from_this_state(self, data, comment):
        """Mostly moves that exist here, often by someone allowed to: walks get somewhere."""
        trigger = data.draw(st.sampled_from(triggers_from(self.state)), label="trigger")
        allowed = sorted(BY_TRIGGER[trigger].roles)
        actor = data.draw(st.sampled_from(allowed) | st.sampled_from(ACTORS), label="actor")
        self._fire(trigger, actor, comment != 0, False)

    @precondition(lambda self: self.state not in {"draft", "on_hold"}
                  and not self.state.startswith("closed"))
    @rule()
    def satisfy_guards(self):
        """Fill in what the guards of this state ask for (edits bump the version too)."""
        satisfy_guards(self.session, self.case, self.people, NOW)
        state, version, events = snapshot(self.session, self.case)
        assert state == self.state and version >= self.version and events >= self.events
        assert version - self.version == events - self.events  # one audit event per edit
        self.version, self.events = version, events

    @invariant()
    def audit_log_replays_to_the_current_state(self):
        assert self.case.state in STATES
        events = list(self.session.scalars(select(AuditEvent).where(
            AuditEvent.case_id == self.case.id).order_by(AuditEvent.id)))
        assert len(events) == self.events
        transitions = [e for e in events if e.kind == "transition"]
        assert len(transitions) == self.fired
        assert all(e.to_state in STATES for e in transitions)
        stored = self.session.execute(select(Case.state, Case.version)
                                      .where(Case.id == self.case.id)).one()
        assert replay(events) == stored.state == self.state
        versions = [e.case_version for e in events]
        assert versions == sorted(set(versions)), "versions strictly increase along the log"
        assert versions[-1] == stored.version == self.version


def test_random_walks_keep_the_engine_promises(session, people, make_user):
    people = {**people, "outsider": make_user("requester", "finance")}
    machines: list[OneCase] = []

    def factory() -> OneCase:
        machine = OneCase(session, people)
        machines.append(machine)
        return machine

    run_state_machine_as_test(factory, settings=settings(
        max_examples=30, stateful_step_count=25, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow],
    ))
    # The random steps were not all refusals: the engine really moved the cases (usually
    # about a hundred times; hypothesis sometimes spends a run on short examples).
    assert sum(m.random_fired for m in machines) > 0
