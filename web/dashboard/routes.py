"""Placeholder routes; being built."""

from web.authz import ANY_SIGNED_IN, roles
from web.dashboard import bp


@bp.route("/index")
@roles(*ANY_SIGNED_IN)
def index():
    return "dashboard.index"

