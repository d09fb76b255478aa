"""Who may open which page: role rules on every endpoint, and loading a case with its access check.

Every view declares its audience with ``@roles(...)`` or ``@public``; the authorisation-matrix
test reads these marks, so a new route without a rule fails the suite.
"""

from __future__ import annotations

from datetime import date
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from web.extensions import db
from workflow import access
from workflow.fiscal import TOKYO
from workflow.models import Case, Substitution, User, utcnow

ALL_ROLES = ("requester", "dept_manager", "office", "office_lead", "expert", "executive", "admin")
ANY_SIGNED_IN = ALL_ROLES


def public(view):
    """Open to anonymous visitors (sign-in page, static assets)."""
    view.dxflow_roles = None
    return view


def roles(*allowed: str):
    """Signed-in users whose role (or a principal's role they substitute for) is in ``allowed``."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not any(p.role in allowed for p in principals()):
                abort(403)
            return view(*args, **kwargs)

        guarded = login_required(wrapped)
        guarded.dxflow_roles = frozenset(allowed)
        return guarded

    return decorate


def today() -> date:
    return utcnow().astimezone(TOKYO).date()


def principals() -> list[User]:
    """The current user first, then everyone they are an active substitute (代理者) for."""
    if not current_user.is_authenticated:
        return []
    cached = getattr(current_user, "_dxflow_principals", None)
    if cached is not None:
        return cached
    day = today()
    others = db.session.scalars(
        select(User).join(Substitution, Substitution.principal_id == User.id).where(
            Substitution.substitute_id == current_user.id,
            Substitution.starts_on <= day, Substitution.ends_on >= day, User.active.is_(True),
        )
    ).all()
    result = [current_user._get_current_object(), *others]
    current_user._dxflow_principals = result
    return result


def visible_cases_clause():
    return access.visible_to_any(principals())


def get_case_or_404(case_id: int, need: str = "view") -> Case:
    """Load a case the user may see (else 404, never revealing it exists); ``need`` = view |
    comment | change (403 when seen but not allowed)."""
    case = db.session.scalar(select(Case).where(Case.id == case_id, visible_cases_clause()))
    if case is None:
        abort(404)
    if need == "comment" and not any(access.can_comment(db.session, p, case) for p in principals()):
        abort(403)
    if need == "change" and not any(access.can_change(db.session, p, case) for p in principals()):
        abort(403)
    return case


def acting_principal(case: Case, allowed_roles=None) -> tuple[User, User | None]:
    """(actor, on_behalf_of): the user themself if they may act, else a principal they stand in
    for."""
    me = current_user._get_current_object()
    for principal in principals():
        if allowed_roles is not None and principal.role not in allowed_roles:
            continue
        if access.can_change(db.session, principal, case):
            return me, (None if principal.id == me.id else principal)
    return me, None
