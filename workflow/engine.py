"""The one way a case changes state.

``fire`` checks trigger, role, access, version, state and guards, then writes the new state
with a version check, exactly one audit event and whatever the registered effects add, in one
transaction. The hot path uses SQLAlchemy Core, one statement per write: the ORM's unit of
work costs about four times the raw floor (see bench/engine.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from workflow import access
from workflow.effects import Fired, effects_for
from workflow.errors import (
    AccessDenied,
    GuardFailed,
    NotAllowedInState,
    RoleNotAllowed,
    StaleVersion,
    UnknownTrigger,
)
from workflow.models import AuditEvent, Case, Plan, utcnow
from workflow.reviews import obligations as _review_obligations  # noqa: F401  (the go-live effect)
from workflow.states import (
    BY_TRIGGER,
    CLOSED_STATES,
    TRANSITIONS,
    GuardContext,
    NoTransition,
    Reason,
    Transition,
    destination,
    state_label,
)

_CASES = Case.__table__
_EVENTS = AuditEvent.__table__
# Built once: a statement object is reused, so SQLAlchemy neither rebuilds it nor recomputes
# its cache key per call. The UPDATE's SET columns come from each call's parameters.
_UPDATE_CASE = update(_CASES).where(
    _CASES.c.id == bindparam("_case_id"), _CASES.c.version == bindparam("_expected_version")
)
_INSERT_EVENT = insert(_EVENTS)
_PLANS = Plan.__table__
_APPROVE_PLAN = (update(_PLANS).where(_PLANS.c.case_id == bindparam("_case_id"))
                 .returning(_PLANS.c.id))
# (state, trigger, return state) -> destination, as the machine once answered it: the machine
# is built once at import and never changes, so each question needs asking only once.
_DESTINATIONS: dict[tuple[str, str, str | None], str] = {}

COMMENT_REQUIRED = Reason("comment_required", "コメントを入力してください", "A comment is required")


@dataclass(frozen=True)
class FireResult:
    case_id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    event_id: int


@dataclass
class Option:
    """A transition offered to a user: allowed now, or blocked by the listed guard reasons."""

    transition: Transition
    reasons: list[Reason] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def trigger(self) -> str:
        return self.transition.trigger


def _transition(trigger: str) -> Transition:
    try:
        return BY_TRIGGER[trigger]
    except KeyError:
        raise UnknownTrigger(trigger) from None


def _destination(t: Transition, state: str, return_state: str | None) -> str:
    key = (state, t.trigger, return_state if t.dest is None else None)
    to_state = _DESTINATIONS.get(key)
    if to_state is None:
        try:
            to_state = destination(state, t.trigger, return_state)
        except NoTransition:
            raise NotAllowedInState(t.trigger, state, state_label(state, "ja"),
                                    state_label(state, "en")) from None
        _DESTINATIONS[key] = to_state
    return to_state


def _check_state(t: Transition, case: Case) -> None:
    if case.state not in t.sources:
        raise NotAllowedInState(
            t.trigger, case.state, state_label(case.state, "ja"), state_label(case.state, "en")
        )


def _check_authority(session: Session, t: Transition, case: Case, principal) -> None:
    if principal.role not in t.roles:
        raise RoleNotAllowed(t.trigger, principal.role, t.roles)
    if not access.can_change(session, principal, case):
        raise AccessDenied()


def guard_reasons(session: Session, t: Transition, case: Case, *, now: datetime,
                  comment: str | None = None, actor=None) -> list[Reason]:
    """Every reason the guards of ``t`` give against firing it on ``case`` now."""
    if not t.guards:
        return []
    ctx = GuardContext(session=session, now=now, comment=comment, actor=actor)
    return [reason for guard in t.guards for reason in guard.reasons(case, ctx)]


def _field_changes(t: Transition, case: Case, to_state: str, principal, now: datetime) -> dict:
    """Columns that move together with the state, written in the same UPDATE."""
    changes: dict = {}
    if t.trigger == "hold":
        changes["hold_return_state"] = case.state
    elif case.state == "on_hold":  # resume, or withdrawn while on hold
        changes["hold_return_state"] = None
    if t.trigger == "submit" and case.submitted_at is None:
        changes["submitted_at"] = now
    if t.trigger == "accept" and case.assignee_id is None:
        changes["assignee_id"] = principal.id  # DESIGN: default assignee is the one accepting
    if to_state in CLOSED_STATES:
        changes["closed_at"] = now
    elif case.state in CLOSED_STATES:
        changes["closed_at"] = None
    return changes


def _record_plan_approval(session: Session, case: Case, principal, now: datetime) -> None:
    """approve_plan: the plan is now the approved execution plan; later target changes are
    revisions (``plans.save_kpi``). One UPDATE; a Plan the session holds is told the values."""
    values = {"approved_at": now, "approved_by_id": principal.id, "updated_at": now}
    for plan_id in session.connection().execute(_APPROVE_PLAN, {"_case_id": case.id, **values}
                                                ).scalars():
        plan = session.identity_map.get(identity_key(Plan, (plan_id,)))
        if plan is not None:
            for key, value in values.items():
                set_committed_value(plan, key, value)


def fire(
    session: Session,
    case: Case,
    trigger: str,
    actor,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
    on_behalf_of=None,
    now: datetime | None = None,
    data: dict | None = None,
    commit: bool = True,
) -> FireResult:
    """Fire ``trigger`` on ``case`` as ``actor`` (optionally a substitute for ``on_behalf_of``).

    Raises a ``WorkflowError`` subclass, with nothing written, when the move is not possible.
    """
    now = now or utcnow()
    principal = on_behalf_of or actor
    t = _transition(trigger)
    _check_authority(session, t, case, principal)
    # Before the state check: whoever fires on a version they did not see gets "reload",
    # not a refusal based on a state they never saw.
    version = case.version if expected_version is None else expected_version
    if version != case.version:
        raise StaleVersion(expected_version, case.version)
    _check_state(t, case)
    comment = (comment or "").strip() or None
    reasons = [COMMENT_REQUIRED] if t.comment_required and not comment else []
    reasons += guard_reasons(session, t, case, now=now, comment=comment, actor=principal)
    if reasons:
        raise GuardFailed(reasons)
    to_state = _destination(t, case.state, case.hold_return_state)

    changes = _field_changes(t, case, to_state, principal, now)
    from_state = case.state
    try:
        conn = session.connection()
        updated = conn.execute(_UPDATE_CASE, {
            "_case_id": case.id, "_expected_version": version,
            "state": to_state, "version": version + 1, "updated_at": now, **changes,
        })
        if updated.rowcount != 1:
            raise StaleVersion(version, None)
        event_id = conn.execute(_INSERT_EVENT, {
            "case_id": case.id, "kind": "transition", "trigger": trigger,
            "from_state": from_state, "to_state": to_state, "case_version": version + 1,
            "actor_id": actor.id,
            "on_behalf_of_id": on_behalf_of.id if on_behalf_of is not None else None,
            "comment": comment, "data": data, "created_at": now,
        }).inserted_primary_key[0]
        if trigger == "approve_plan":
            _record_plan_approval(session, case, principal, now)
        for effect in effects_for(trigger, to_state):
            effect(Fired(session, case, trigger, from_state, to_state, actor, principal,
                         comment, event_id, version + 1, now))
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    # The row was written with Core: tell the ORM object what is now committed.
    for key, value in {"state": to_state, "version": version + 1, "updated_at": now,
                       **changes}.items():
        set_committed_value(case, key, value)
    return FireResult(case.id, trigger, from_state, to_state, version + 1, event_id)


def available_transitions(session: Session, case: Case, user, *, on_behalf_of=None,
                          now: datetime | None = None) -> list[Option]:
    """What ``user`` may fire on ``case`` now, and what only a guard still blocks."""
    principal = on_behalf_of or user
    if principal is None or not access.can_change(session, principal, case):
        return []
    now = now or utcnow()
    return [
        Option(t, guard_reasons(session, t, case, now=now, actor=principal))
        for t in TRANSITIONS
        if case.state in t.sources and principal.role in t.roles
        and (t.dest is not None or case.hold_return_state is not None)
    ]
