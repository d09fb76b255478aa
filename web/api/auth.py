"""Bearer-token authentication for the API: the token's user, nothing from cookies.

The API is CSRF-exempt, which is only safe because a browser's cookies carry no authority
here: on ``/api/`` the session cookie is neither read nor written (``CookielessApi``) and
``current_user`` is set from the token alone, before anything could consult the cookies.
"""

from __future__ import annotations

from functools import wraps

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSession
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from web.api.problems import ApiProblem
from web.extensions import db, login_manager
from workflow.models import User
from workflow.people import tokens

API_PREFIX = "/api/"
DEFAULT_RATE_LIMIT = "120 per minute"


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


class CookielessApi:
    """Wraps the app's session interface: an empty, never-saved session on /api/ paths."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def open_session(self, app: Flask, req):
        if req.path.startswith(API_PREFIX):
            return SecureCookieSession()
        return self.inner.open_session(app, req)

    def save_session(self, app: Flask, session, response) -> None:
        if not is_api_request():
            self.inner.save_session(app, session, response)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _act_as(user: User | None) -> None:
    # Flask-Login's own way of setting current_user for this request only; unlike login_user
    # it writes nothing to the session, and it stops Flask-Login reading a remember cookie.
    login_manager._update_request_context_with_user(user)


def install(app: Flask) -> None:
    """App-wide pieces of the API: cookieless sessions, anonymous by default on /api/."""
    if not isinstance(app.session_interface, CookielessApi):
        app.session_interface = CookielessApi(app.session_interface)
    app.config.setdefault("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)

    @app.before_request
    def _api_starts_anonymous():
        if is_api_request():
            _act_as(None)


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def rate_limit_key() -> str:
    """Per token (its id, read without the database), else per client address."""
    token_id = tokens.token_id_of(_bearer() or "")
    return f"api-token:{token_id}" if token_id is not None else f"api-ip:{get_remote_address()}"


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


UNAUTHORIZED_DETAILS = {
    "missing": lambda: _("Authorization ヘッダーに「Bearer <APIトークン>」を指定してください。"),
    "malformed": lambda: _("APIトークンの形式が正しくありません（dxf_ で始まる文字列です）。"),
    "unknown": lambda: _("APIトークンが正しくありません。"),
    "revoked": lambda: _("このAPIトークンは無効にされています。"
                         "新しいトークンを作成してください。"),
    "expired": lambda: _("このAPIトークンは有効期限が切れています。"
                         "新しいトークンを作成してください。"),
    "inactive_user": lambda: _("このAPIトークンの利用者は無効になっています。"),
}


def authenticate() -> None:
    """Before every API view: public views pass; the rest need a valid bearer token."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "dxflow_roles", ()) is None:
        return
    presented = _bearer()
    verdict = tokens.authenticate(db.session, presented) if presented else None
    if verdict is None or verdict.token is None:
        problem = "missing" if verdict is None else verdict.problem
        error = "invalid_request" if problem == "missing" else "invalid_token"
        raise ApiProblem(401, str(UNAUTHORIZED_DETAILS[problem]()), code="invalid_token",
                         headers={"WWW-Authenticate": f'Bearer realm="dxflow", error="{error}"'})
    g.api_token = verdict.token
    _act_as(verdict.user)


def api_user() -> User:
    return g.api_token.user


def api_roles(*allowed: str):
    """A token-authenticated view for users whose role is in ``allowed`` (else 403).

    Sets ``dxflow_roles`` like ``web.authz.roles``, so the authorisation matrix sees it, and
    ``dxflow_auth = "token"``: anonymous callers get 401, not a redirect to the sign-in page.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if api_user().role not in allowed:
                raise ApiProblem(403, _("この操作はあなたの役割では利用できません。"),
                                 code="forbidden")
            return view(*args, **kwargs)

        wrapped.dxflow_roles = frozenset(allowed)
        wrapped.dxflow_auth = "token"
        return wrapped

    return decorate
