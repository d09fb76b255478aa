"""The ``dashboard`` blueprint, kept apart from the views that import it (no import cycle)."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
