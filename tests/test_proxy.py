"""``DXFLOW_PROXY_FIX``: behind a reverse proxy the app sees the browser's address and scheme."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from web.proxy import InvalidProxySetting, apply_proxy_fix, trusted_proxies
from workflow.models import AuditEvent

REPO = Path(__file__).resolve().parent.parent
FORWARDED = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7", "X-Forwarded-Proto": "https"}


def failed_sign_in_ip(client, session, headers: dict) -> str:
    token = csrf_token(client, "/login")
    response = client.post("/login", headers=headers, data={
        "email": "nobody@city.example.jp", "password": "wrong-password-1", "csrf_token": token})
    assert response.status_code == 200
    event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "login_failed")
                            .order_by(AuditEvent.id.desc())).first()
    return event.data["ip"]


def problem_type_uri(client, headers: dict) -> str:
    return client.get("/api/v1/problems/stale_version", headers=headers).get_json()["type"]


def test_without_the_setting_forwarded_headers_are_ignored(app, client, session, monkeypatch):
    monkeypatch.delenv("DXFLOW_PROXY_FIX", raising=False)
    apply_proxy_fix(app)
    assert failed_sign_in_ip(client, session, FORWARDED) == "127.0.0.1"
    assert problem_type_uri(client, FORWARDED).startswith("http://localhost/")


def test_behind_one_proxy_the_browser_address_and_https_are_seen(app, client, session,
                                                                  monkeypatch):
    monkeypatch.setenv("DXFLOW_PROXY_FIX", "1")
    apply_proxy_fix(app)
    # Only the address the (one) proxy appended is trusted, not what the browser claimed.
    headers = {**FORWARDED, "Referer": "https://localhost/login"}
    assert failed_sign_in_ip(client, session, headers) == "203.0.113.7"
    assert problem_type_uri(client, FORWARDED).startswith("https://localhost/")


def test_the_setting_is_a_small_number_of_hops(monkeypatch):
    for raw, hops in (("", 0), ("0", 0), ("off", 0), ("1", 1), ("true", 1), ("2", 2)):
        monkeypatch.setenv("DXFLOW_PROXY_FIX", raw)
        assert trusted_proxies() == hops
    for raw in ("-1", "6", "nginx"):
        monkeypatch.setenv("DXFLOW_PROXY_FIX", raw)
        with pytest.raises(InvalidProxySetting):
            trusted_proxies()


def test_the_wsgi_entry_point_applies_it(tmp_path):
    env = {**os.environ, "DXFLOW_PROXY_FIX": "1", "DXFLOW_SECRET_KEY": "x" * 64,
           "DXFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.sqlite3'}",
           "DXFLOW_INSTANCE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    code = ("from werkzeug.middleware.proxy_fix import ProxyFix; import web.wsgi as w; "
            "print(isinstance(w.app.wsgi_app, ProxyFix))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert out.strip().splitlines()[-1] == "True"
