"""The ``cases`` blueprint, kept apart from the views that import it (no import cycle)."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")
