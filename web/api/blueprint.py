"""The ``api`` blueprint, kept apart from the views that import it (no import cycle)."""

from flask import Blueprint

from web.api import auth, problems
from web.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.record_once(lambda state: auth.install(state.app))
bp.before_request(auth.authenticate)
problems.register(bp)
limiter.shared_limit(auth.rate_limit, scope="api", key_func=auth.rate_limit_key)(bp)
