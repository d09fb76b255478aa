"""The ``office`` blueprint, kept apart from the views that import it (no import cycle)."""

from flask import Blueprint

bp = Blueprint("office", __name__, url_prefix="/office")
