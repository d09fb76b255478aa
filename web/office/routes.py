"""Placeholder routes; being built."""

from web.authz import ANY_SIGNED_IN, roles
from web.office import bp


@bp.route("/board")
@roles(*ANY_SIGNED_IN)
def board():
    return "office.board"


@bp.route("/triage")
@roles(*ANY_SIGNED_IN)
def triage():
    return "office.triage"

