from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

from web.cases import attachments, routes, transitions  # noqa: E402,F401
