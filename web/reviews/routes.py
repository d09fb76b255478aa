"""Placeholder routes; being built."""

from web.authz import ANY_SIGNED_IN, roles
from web.reviews import bp


@bp.route("/index")
@roles(*ANY_SIGNED_IN)
def index():
    return "reviews.index"


@bp.route("/overview")
@roles(*ANY_SIGNED_IN)
def overview():
    return "reviews.overview"

