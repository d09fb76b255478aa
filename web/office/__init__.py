from flask import Blueprint

bp = Blueprint("office", __name__, url_prefix="/office")

from web.office import intake, proposal, routes, team  # noqa: E402,F401
