from flask import Blueprint

bp = Blueprint("auth", __name__)

from web.auth import mfa, oidc, routes  # noqa: E402,F401
