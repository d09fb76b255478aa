"""Placeholder routes; being built."""

from web.authz import ANY_SIGNED_IN, roles
from web.admin import bp


@bp.route("/users")
@roles(*ANY_SIGNED_IN)
def users():
    return "admin.users"


@bp.route("/departments")
@roles(*ANY_SIGNED_IN)
def departments():
    return "admin.departments"


@bp.route("/audit")
@roles(*ANY_SIGNED_IN)
def audit():
    return "admin.audit"

