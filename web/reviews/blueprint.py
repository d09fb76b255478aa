"""The ``reviews`` blueprint, kept apart from the views that import it (no import cycle)."""

from flask import Blueprint

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
