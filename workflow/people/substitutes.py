"""Substitutes (代理者): a colleague who sees and does someone's work while they are away.

While a substitution runs (``starts_on`` to ``ends_on``, both inclusive, Tokyo dates) the
substitute sees the principal's tasks and may act with the principal's authority; the engine
then records both ("A on behalf of B": ``actor_id`` and ``on_behalf_of_id``). When the
substitute may do something in their own right they act as themselves.

Who may stand in for whom (our choice; DOMAIN.md is silent):

- bureau staff (requester, dept_manager): a colleague of the same bureau in either role. A
  deputy (課長代理) standing in for the manager on leave is the usual 代決; another bureau's
  staff would gain access to cases that are none of their business.
- Digital Office staff (office, office_lead): another Digital Office member.
- external experts: another expert (they only read and comment).
- executives and administrators: nobody. They have no case work to hand over, and a
  substitute would inherit portfolio-wide or administrator access.

A period is at most a year and may not end in the past; the same substitute is not named twice
for overlapping days. Substitution is one level deep: a substitute's own substitute does not
see the first principal's work.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from workflow.errors import AccessDenied, InvalidInput
from workflow.fiscal import TOKYO
from workflow.models import BUREAU_ROLES, OFFICE_ROLES, Substitution, User, utcnow
from workflow.people.audit import record
from workflow.states import Reason

MAX_NOTE = 200
NO_SUBSTITUTE_ROLES = frozenset({"executive", "admin"})


def _today() -> date:
    return utcnow().astimezone(TOKYO).date()


def _one_year_after(d: date) -> date:
    """The last day of a one-year period starting on ``d`` (2025-04-01 -> 2026-03-31)."""
    try:
        return d.replace(year=d.year + 1) - timedelta(days=1)
    except ValueError:  # February 29
        return date(d.year + 1, 2, 28)


def may_substitute(principal: User, candidate: User) -> bool:
    """Does the role rule allow ``candidate`` to stand in for ``principal``?"""
    if principal.role in NO_SUBSTITUTE_ROLES or candidate.id == principal.id:
        return False
    if principal.role in BUREAU_ROLES:
        return (candidate.role in BUREAU_ROLES and principal.department_id is not None
                and candidate.department_id == principal.department_id)
    if principal.role in OFFICE_ROLES:
        return candidate.role in OFFICE_ROLES
    return candidate.role == principal.role


def eligible_substitutes(session: Session, principal: User) -> list[User]:
    """Active colleagues who may stand in for ``principal``, by name."""
    if principal.role in NO_SUBSTITUTE_ROLES:
        return []
    if principal.role in BUREAU_ROLES:
        if principal.department_id is None:
            return []
        clause = (User.role.in_(BUREAU_ROLES)) & (User.department_id == principal.department_id)
    elif principal.role in OFFICE_ROLES:
        clause = User.role.in_(OFFICE_ROLES)
    else:
        clause = User.role == principal.role
    return list(session.scalars(
        select(User).where(clause, User.active.is_(True), User.id != principal.id)
        .order_by(User.name, User.id)
    ))


def _error(errors: dict, field: str, code: str, ja: str, en: str) -> None:
    errors.setdefault(field, []).append(Reason(code, ja, en))


def _check(session: Session, principal: User, substitute: User | None, starts_on, ends_on,
           note: str, today: date) -> dict:
    errors: dict[str, list[Reason]] = {}
    if principal.role in NO_SUBSTITUTE_ROLES:
        _error(errors, "substitute_id", "role_has_no_substitute",
               "この役割では代理者を設定できません", "This role cannot name a substitute")
    elif substitute is None:
        _error(errors, "substitute_id", "missing_substitute", "代理者を選んでください",
               "Choose a substitute")
    elif substitute.id == principal.id:
        _error(errors, "substitute_id", "self_substitute", "自分自身を代理者にすることはできません",
               "You cannot be your own substitute")
    elif not substitute.active:
        _error(errors, "substitute_id", "inactive_substitute",
               "利用停止中のユーザーは代理者にできません", "This user's account is not active")
    elif not may_substitute(principal, substitute):
        _error(errors, "substitute_id", "substitute_not_colleague",
               "代理者には同じ部局（デジタル統括室の方は統括室）の職員を選んでください",
               "Choose a colleague from your own department (or the Digital Office)")
    if starts_on is None:
        _error(errors, "starts_on", "missing_start", "開始日を入力してください",
               "Enter a start date")
    if ends_on is None:
        _error(errors, "ends_on", "missing_end", "終了日を入力してください", "Enter an end date")
    if starts_on is not None and ends_on is not None:
        if ends_on < starts_on:
            _error(errors, "ends_on", "end_before_start", "終了日は開始日以降の日付にしてください",
                   "The end date must not be before the start date")
        elif ends_on > _one_year_after(starts_on):
            _error(errors, "ends_on", "period_too_long", "代理の期間は1年以内にしてください",
                   "A substitution may last at most one year")
        elif ends_on < today:
            _error(errors, "ends_on", "end_in_past", "終了日が過去の日付です",
                   "The end date is in the past")
    if len(note) > MAX_NOTE:
        _error(errors, "note", "note_too_long", f"メモは{MAX_NOTE}文字以内にしてください",
               f"Keep the note within {MAX_NOTE} characters")
    if not errors and session.scalar(select(Substitution.id).where(
        Substitution.principal_id == principal.id, Substitution.substitute_id == substitute.id,
        Substitution.starts_on <= ends_on, Substitution.ends_on >= starts_on,
    )):
        _error(errors, "substitute_id", "overlapping_substitution",
               "この期間には既に同じ方が代理者に設定されています",
               "This colleague is already your substitute for part of this period")
    return errors


def _data(action: str, s: Substitution, principal: User, substitute: User) -> dict:
    return {"action": action, "principal": principal.email, "substitute": substitute.email,
            "principal_id": principal.id, "substitute_id": substitute.id,
            "starts_on": s.starts_on.isoformat(), "ends_on": s.ends_on.isoformat(),
            "substitution_id": s.id}


def name_substitute(session: Session, principal: User, substitute: User | None, starts_on: date,
                    ends_on: date, note: str = "", actor: User | None = None, *,
                    today: date | None = None, now: datetime | None = None) -> Substitution:
    """Name ``substitute`` for ``principal`` from ``starts_on`` to ``ends_on`` (inclusive).

    Raises ``InvalidInput`` per field (substitute_id, starts_on, ends_on, note) and
    ``AccessDenied`` when ``actor`` is neither the principal nor an administrator.
    """
    actor = actor or principal
    if actor.id != principal.id and actor.role != "admin":
        raise AccessDenied("他の人の代理者は設定できません",
                           "You may only name your own substitute")
    note = (note or "").strip()
    errors = _check(session, principal, substitute, starts_on, ends_on, note, today or _today())
    if errors:
        raise InvalidInput(errors)
    substitution = Substitution(principal_id=principal.id, substitute_id=substitute.id,
                                starts_on=starts_on, ends_on=ends_on, note=note,
                                created_at=now or utcnow())
    session.add(substitution)
    session.flush()
    record(session, "substitution", actor, now=now,
           data=_data("named", substitution, principal, substitute), comment=note or None)
    session.commit()
    return substitution


def end_substitution(session: Session, substitution: Substitution, actor: User, *,
                     today: date | None = None, now: datetime | None = None) -> None:
    """End a substitution now: the principal, the substitute (declining) or an administrator.

    A running one ends yesterday, so it no longer applies today; one that had not begun
    before today is removed. The audit event keeps the period either way.
    """
    today = today or _today()
    if actor.id not in (substitution.principal_id, substitution.substitute_id) \
            and actor.role != "admin":
        raise AccessDenied("この代理設定を終了する権限がありません",
                           "You may not end this substitution")
    if substitution.ends_on < today:
        raise InvalidInput({"substitution": [Reason(
            "already_ended", "この代理設定は既に終了しています",
            "This substitution has already ended")]})
    data = _data("ended", substitution, substitution.principal, substitution.substitute)
    if substitution.starts_on < today:
        substitution.ends_on = today - timedelta(days=1)
        data["ends_on"] = substitution.ends_on.isoformat()
    else:
        session.delete(substitution)
        data["action"] = "cancelled"
    record(session, "substitution", actor, now=now, data=data)
    session.commit()


def active_substitutions(session: Session, today: date, *, principal: User | None = None,
                         substitute: User | None = None) -> list[Substitution]:
    """Substitutions running on ``today`` (optionally of one principal or one substitute)."""
    stmt = _with_people(select(Substitution)).where(
        Substitution.starts_on <= today, Substitution.ends_on >= today)
    if principal is not None:
        stmt = stmt.where(Substitution.principal_id == principal.id)
    if substitute is not None:
        stmt = stmt.where(Substitution.substitute_id == substitute.id)
    return list(session.scalars(stmt.order_by(Substitution.starts_on, Substitution.id)))


def current_and_upcoming(session: Session, user: User, today: date) -> list[Substitution]:
    """Substitutions not yet over in which ``user`` is the principal or the substitute."""
    return list(session.scalars(
        _with_people(select(Substitution))
        .where(Substitution.ends_on >= today,
               or_(Substitution.principal_id == user.id, Substitution.substitute_id == user.id))
        .order_by(Substitution.starts_on, Substitution.id)
    ))


def _with_people(stmt):
    return stmt.options(joinedload(Substitution.principal), joinedload(Substitution.substitute))


__all__ = ["active_substitutions", "current_and_upcoming", "eligible_substitutes",
           "end_substitution", "may_substitute", "name_substitute"]
