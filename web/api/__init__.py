"""REST API v1 under /api/v1 (token auth, problem+json errors), and the API-token pages.

``bp`` is the API itself: CSRF-exempt because it authenticates by bearer token only and
ignores cookies (see ``web.api.auth``), rate-limited per token. ``account_bp`` holds the
ordinary, session-and-CSRF pages where users create and revoke their tokens.
"""

from flask import Blueprint

from web.api import auth, problems
from web.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.record_once(lambda state: auth.install(state.app))
bp.before_request(auth.authenticate)
problems.register(bp)
limiter.shared_limit(auth.rate_limit, scope="api", key_func=auth.rate_limit_key)(bp)

from web.api import activity, cases, kpis, openapi, reviews  # noqa: E402,F401,I001
from web.api.tokens_ui import bp as account_bp  # noqa: E402

__all__ = ["account_bp", "bp"]
