"""The ``tasks`` blueprint, kept apart from the views that import it (no import cycle)."""

from flask import Blueprint

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
