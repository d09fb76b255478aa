"""The one way a case changes state.

``fire`` checks trigger, state, role, access and guards, then writes the new state with a
version check, exactly one audit event and whatever the registered effects add, in one
transaction. The hot path uses SQLAlchemy Core, one statement per write: the ORM's unit of
work costs about four times the raw floor (see bench/engine.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

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
from workflow.models import AuditEvent, Case, utcnow
from workflow.states import BY_TRIGGER, CLOSED_STATES, TRANSITIONS, Reason, Transition
from workflow.states import GuardContext, NoTransition, destination, state_label

_CASES = Case.__table__
_EVENTS = AuditEvent.__table__

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
    ctx = GuardContext(session=session, now=now, comment=comment, actor=actor)
    return [reason for guard in t.guards for reason in guard.reasons(case, ctx)]


def _field_changes(t: Transition, case: Case, to_state: str, principal, now: datetime) -> dict:
    """Columns that move together with the state, written in the same UPDATE."""
    changes: dict = {}
    if t.trigger == "hold":
        changes["hold_return_state"] = case.state
    elif t.trigger == "resume":
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
    _check_state(t, case)
    _check_authority(session, t, case, principal)
    comment = (comment or "").strip() or None
    reasons = [COMMENT_REQUIRED] if t.comment_required and not comment else []
    reasons += guard_reasons(session, t, case, now=now, comment=comment, actor=principal)
    if reasons:
        raise GuardFailed(reasons)
    version = case.version if expected_version is None else expected_version
    if version != case.version:
        raise StaleVersion(expected_version, case.version)
    try:
        to_state = destination(case.state, trigger, case.hold_return_state)
    except NoTransition:
        raise NotAllowedInState(trigger, case.state, state_label(case.state, "ja"),
                                state_label(case.state, "en")) from None

    changes = _field_changes(t, case, to_state, principal, now)
    from_state = case.state
    try:
        conn = session.connection()
        updated = conn.execute(
            update(_CASES)
            .where(_CASES.c.id == case.id, _CASES.c.version == version)
            .values(state=to_state, version=version + 1, updated_at=now, **changes)
        )
        if updated.rowcount != 1:
            raise StaleVersion(version, None)
        event_id = conn.execute(
            insert(_EVENTS).values(
                case_id=case.id, kind="transition", trigger=trigger, from_state=from_state,
                to_state=to_state, case_version=version + 1, actor_id=actor.id,
                on_behalf_of_id=on_behalf_of.id if on_behalf_of is not None else None,
                comment=comment, data=data, created_at=now,
            )
        ).inserted_primary_key[0]
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
