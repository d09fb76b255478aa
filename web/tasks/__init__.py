from flask import Blueprint

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

from web.tasks import routes  # noqa: E402,F401
