"""Response headers every page gets: a strict CSP (no inline scripts), no framing, no sniffing."""

from __future__ import annotations

from flask import Flask, g, request
from werkzeug.serving import WSGIRequestHandler

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Only a user this request already loaded: an error page must not query the database.
        user = g.get("_login_user")
        if request.endpoint != "static" and user is not None and user.is_authenticated:
            # A shared PC's back button or a proxy cache must not show a signed-in page again.
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


class NoVersionRequestHandler(WSGIRequestHandler):
    """Werkzeug's server (``dxflow demo``) without ``Server: Werkzeug/x.y Python/x.y``:
    the versions only help an attacker pick an exploit. gunicorn already sends "gunicorn"."""

    def version_string(self) -> str:
        return "dxflow"
