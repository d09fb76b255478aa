"""The ``data`` blueprint, kept apart from the views that import it (no import cycle)."""

from flask import Blueprint

bp = Blueprint("data", __name__, url_prefix="/data")
