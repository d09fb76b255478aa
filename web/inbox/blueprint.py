"""The ``inbox`` blueprint, kept apart from the views that import it (no import cycle)."""

from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
