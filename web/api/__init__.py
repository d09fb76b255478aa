"""REST API v1 under /api/v1 (token auth, problem+json errors), and the API-token pages.

``bp`` is the API itself: CSRF-exempt because it authenticates by bearer token only and
ignores cookies (see ``web.api.auth``), rate-limited per token. ``account_bp`` holds the
ordinary, session-and-CSRF pages where users create and revoke their tokens.
"""

from web.api import activity, cases, kpis, openapi, reviews  # noqa: F401  (registers the views)
from web.api.blueprint import bp
from web.api.tokens_ui import bp as account_bp

__all__ = ["account_bp", "bp"]
