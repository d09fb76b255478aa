"""Behind a reverse proxy: trust its ``X-Forwarded-For`` / ``X-Forwarded-Proto`` (opt-in).

``DXFLOW_PROXY_FIX=1`` (the number of proxies in front of the app, usually 1) wraps the app in
werkzeug's ``ProxyFix``, so ``request.remote_addr`` is the browser's address (sign-in rate
limit, audit log) and ``request.scheme`` is ``https`` when the proxy terminated TLS. Leave it
unset when nothing sits in front of the app: the headers would then come from the browser and
must not be trusted. The proxy must pass the ``Host`` header through unchanged.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from workflow import config as wf_config


class InvalidProxySetting(ValueError):
    pass


def trusted_proxies() -> int:
    """``DXFLOW_PROXY_FIX`` as a number of proxy hops (0 when unset)."""
    raw = (wf_config.env("PROXY_FIX", "0") or "0").strip().lower()
    if raw in {"", "0", "false", "no", "off"}:
        return 0
    if raw in {"true", "yes", "on"}:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 5:
        raise InvalidProxySetting(
            f"DXFLOW_PROXY_FIX must be the number of reverse proxies in front of the app "
            f"(1-5) or 0, not {raw!r}")
    return int(raw)


def apply_proxy_fix(app: Flask, hops: int | None = None) -> Flask:
    """Wrap ``app`` in ProxyFix when ``hops`` (default: ``DXFLOW_PROXY_FIX``) is set."""
    hops = trusted_proxies() if hops is None else hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
        app.config["DXFLOW_PROXY_FIX"] = hops
    return app
