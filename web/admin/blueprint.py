"""The ``admin`` blueprint, kept apart from the views that import it (no import cycle)."""

from flask import Blueprint, abort
from flask_login import current_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def only_administrators():
    """Administration is never delegated: a substitute (代理者) for an admin gets no admin page."""
    if current_user.is_authenticated and current_user.role != "admin":
        abort(403)
