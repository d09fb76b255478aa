"""Accounts whose identity lives in the city's directory or identity provider.

The directory is the source of truth for who may sign in, their role and their department:
the account is created at first sign-in (just in time) and brought up to date at every
sign-in; a directory entry that is disabled, or no longer in any dxflow group, deactivates it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.models import BUREAU_ROLES, ROLES, User, utcnow
from workflow.people.users import find_department, record


@dataclass(frozen=True)
class DirectoryIdentity:
    """What the directory says about a person who just proved who they are."""

    source: str  # ldap | oidc
    ref: str  # DN or OIDC subject
    email: str
    name: str
    role: str | None  # None: in no group mapped to a dxflow role
    department: str | None  # code or name of a dxflow department
    disabled: bool = False


class Refused(Exception):
    """The directory does not allow this person into dxflow; ``reason`` goes to the audit log."""

    def __init__(self, reason: str, user: User | None = None) -> None:
        super().__init__(reason)
        self.reason, self.user = reason, user


def role_for(groups: list[str], mapping: dict[str, str]) -> str | None:
    """The most privileged dxflow role among the mapped groups (``ROLES`` order, last wins)."""
    wanted = {mapping[g.lower()] for g in groups if g.lower() in mapping}
    ranked = [r for r in ROLES if r in wanted]
    return ranked[-1] if ranked else None


def sync_account(session: Session, identity: DirectoryIdentity, *,
                 take_over_local: bool = False) -> User:
    """Create or update the account for ``identity``; raises ``Refused``. Commits.

    An existing local (password) account with the same address is taken over only with
    ``take_over_local``, and never an administrator's: that is the way in when the
    directory is down or misconfigured.
    """
    email = identity.email.strip().lower()
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None and user.auth_source == "local" and (
            not take_over_local or user.role == "admin"):
        raise Refused("local_account", user)
    if user is not None and not user.active and not identity.disabled:
        # Deactivated in dxflow by an administrator: the directory does not overrule that.
        raise Refused("account_inactive", user)
    if identity.disabled or identity.role is None:
        reason = "directory_disabled" if identity.disabled else "no_role"
        if user is not None and user.active and user.auth_source == identity.source:
            user.active = False
            record(session, "user_admin", None, data={
                "action": "deactivate", "target": email, "source": identity.source,
                "reason": reason})
            session.commit()
        raise Refused(reason, user)
    department = find_department(session, identity.department) if identity.department else None
    if identity.role in BUREAU_ROLES and department is None:
        raise Refused("unknown_department", user)
    name = (identity.name.strip() or email)[:100]
    if user is None:
        user = User(email=email, name=name, role=identity.role, password_hash="",
                    department_id=department.id if department else None,
                    auth_source=identity.source, external_ref=identity.ref[:500])
        session.add(user)
        session.flush()
        record(session, "user_admin", None, data={
            "action": "create", "target": email, "source": identity.source,
            "role": identity.role, "department": department.name if department else None})
        session.commit()
        return user
    changes: dict[str, list] = {}
    if user.auth_source != identity.source:
        changes["auth_source"] = [user.auth_source, identity.source]
        user.auth_source = identity.source
    for field, value in (("name", name), ("role", identity.role)):
        if getattr(user, field) != value:
            changes[field] = [getattr(user, field), value]
            setattr(user, field, value)
    new_department_id = department.id if department else None
    if user.department_id != new_department_id:
        changes["department"] = [user.department.name if user.department else None,
                                 department.name if department else None]
        user.department_id, user.department = new_department_id, department
    user.external_ref = identity.ref[:500]
    if changes:
        record(session, "user_admin", None, data={
            "action": "update", "target": email, "source": identity.source, "changes": changes})
    user.last_login_at = utcnow()
    session.commit()
    return user
