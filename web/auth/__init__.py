from web.auth import mfa, oidc, routes  # noqa: F401  (registers the views)
from web.auth.blueprint import bp

__all__ = ["bp"]
