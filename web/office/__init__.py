from flask import Blueprint

bp = Blueprint("office", __name__, url_prefix="/office")

from web.office import routes  # noqa: E402,F401
