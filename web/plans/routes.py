"""Placeholder routes; being built."""

from web.authz import ANY_SIGNED_IN, roles
from web.plans import bp


@bp.route("/<int:case_id>/plan")
@roles(*ANY_SIGNED_IN)
def edit(case_id):
    return "plans.edit"
