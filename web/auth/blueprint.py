"""The ``auth`` blueprint, kept apart from the views that import it (no import cycle)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
