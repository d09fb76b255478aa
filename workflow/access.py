"""Who may see and change which case: enforced in queries, not only in templates."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from workflow.models import BUREAU_ROLES, Case, Supporter

# Roles that read the whole portfolio; drafts stay private to their bureau until submitted.
PORTFOLIO_ROLES = frozenset({"office", "office_lead", "executive", "admin"})
# Roles that never change a case (experts comment only).
READ_ONLY_ROLES = frozenset({"executive", "admin", "expert"})


# Clauses are immutable: built once, not on every request that loads a case.
_SUBMITTED = Case.state != "draft"


@lru_cache(maxsize=1024)
def _in_department(department_id: int) -> ColumnElement[bool]:
    return Case.department_id == department_id


def visibility_clause(user) -> ColumnElement[bool]:
    """A WHERE clause selecting the cases ``user`` may see."""
    if user is None or not getattr(user, "active", True):
        return false()
    if user.role in PORTFOLIO_ROLES:
        return _SUBMITTED
    if user.role in BUREAU_ROLES:
        if user.department_id is None:
            return false()
        return _in_department(user.department_id)
    if user.role == "expert":
        return exists().where(Supporter.case_id == Case.id, Supporter.user_id == user.id)
    return false()


def visible_to_any(users) -> ColumnElement[bool]:
    """Cases visible to at least one of ``users`` (a substitute sees their principals' cases)."""
    clauses = [visibility_clause(u) for u in users]
    return or_(*clauses) if clauses else false()


def can_see(session: Session, user, case: Case) -> bool:
    if user is None or not getattr(user, "active", True):
        return False
    if user.role in PORTFOLIO_ROLES:
        return case.state != "draft"
    if user.role in BUREAU_ROLES:
        return user.department_id is not None and case.department_id == user.department_id
    if user.role == "expert":
        return bool(session.scalar(select(exists().where(
            and_(Supporter.case_id == case.id, Supporter.user_id == user.id)
        ))))
    return False


def can_change(session: Session, user, case: Case) -> bool:
    """May ``user`` change ``case`` at all (fields, plan, transitions)? Roles still apply per
    action."""
    return user is not None and user.role not in READ_ONLY_ROLES and can_see(session, user, case)


def can_comment(session: Session, user, case: Case) -> bool:
    """Experts comment on the cases they support; executives and admins only read."""
    if user is None or user.role in {"executive", "admin"}:
        return False
    return can_see(session, user, case)


__all__ = [
    "PORTFOLIO_ROLES", "READ_ONLY_ROLES", "can_change", "can_comment", "can_see",
    "visibility_clause", "visible_to_any",
]
