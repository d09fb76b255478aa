"""No public signing key: production needs its own, the demo makes one per instance folder.

* ``create_app`` without ``DXFLOW_SECRET_KEY`` refuses to start unless debugging, testing,
  running a CLI command or the demo; a published key is refused even when configured.
* The demo writes a random key to ``<instance>/secret_key`` (mode 0600) once and reuses it.
* A cookie signed with the old public development key is not accepted by a demo.
"""

from __future__ import annotations

import stat

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_login import utils as login_utils

import web
from tests.web_world import cheap_user, close_app
from web import create_app
from web.secret_key import KEY_FILE

OLD_PUBLIC_KEY = "dev-only-not-secret"  # noqa: S105 - the key an attacker would try


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    for name in ("DXFLOW_SECRET_KEY", "DXFLOW_DEMO", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "DXFLOW_INSTANCE_DIR": str(tmp_path / "instance")}


def test_refuses_to_start_without_a_secret_key(production_env):
    with pytest.raises(web.InsecureConfiguration, match="DXFLOW_SECRET_KEY"):
        create_app(production_env)


@pytest.mark.parametrize("extra", [{}, {"DXFLOW_DEMO": True}, {"TESTING": True}],
                         ids=["production", "demo", "testing"])
def test_the_old_public_key_is_refused_even_when_configured(production_env, extra):
    with pytest.raises(web.InsecureConfiguration, match="published"):
        create_app({**production_env, **extra, "SECRET_KEY": OLD_PUBLIC_KEY})


def test_starts_with_a_real_key_from_the_environment(production_env, monkeypatch):
    monkeypatch.setenv("DXFLOW_SECRET_KEY", "a" * 64)
    app = create_app(production_env)
    assert app.config["SECRET_KEY"] == "a" * 64
    close_app(app)


@pytest.mark.parametrize("relaxed", [{"DEBUG": True}, {"TESTING": True}, {"DXFLOW_CLI": True}],
                         ids=["debug", "testing", "cli"])
def test_debug_testing_and_cli_get_a_random_key_per_process(production_env, relaxed):
    first, second = create_app({**production_env, **relaxed}), create_app(
        {**production_env, **relaxed})
    try:
        assert len(first.config["SECRET_KEY"]) >= 32
        assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    finally:
        close_app(first)
        close_app(second)


def test_the_demo_makes_a_private_key_once_per_instance_folder(production_env, tmp_path):
    first = create_app({**production_env, "DXFLOW_DEMO": True})
    key_file = tmp_path / "instance" / KEY_FILE
    try:
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key_file.read_text().strip() == first.config["SECRET_KEY"]
        assert len(first.config["SECRET_KEY"]) >= 32
        again = create_app({**production_env, "DXFLOW_DEMO": True})
        assert again.config["SECRET_KEY"] == first.config["SECRET_KEY"]
        close_app(again)
        other = create_app({**production_env, "DXFLOW_DEMO": True,
                            "DXFLOW_INSTANCE_DIR": str(tmp_path / "other")})
        assert other.config["SECRET_KEY"] != first.config["SECRET_KEY"]
        close_app(other)
    finally:
        close_app(first)


def test_a_loose_key_file_is_made_private_again(production_env, tmp_path):
    (tmp_path / "instance").mkdir()
    key_file = tmp_path / "instance" / KEY_FILE
    key_file.write_text("b" * 64)
    key_file.chmod(0o644)
    app = create_app({**production_env, "DXFLOW_DEMO": True})
    try:
        assert app.config["SECRET_KEY"] == "b" * 64
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    finally:
        close_app(app)


def _cookie_signed_with(key: str, data: dict) -> str:
    signer = Flask("forger")
    signer.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(signer).dumps(data)


def test_a_cookie_signed_with_the_old_public_key_is_refused(monkeypatch, db_url, tmp_path):
    monkeypatch.delenv("DXFLOW_SECRET_KEY", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "DXFLOW_DEMO": True,
                      "DXFLOW_INSTANCE_DIR": str(tmp_path / "instance")})
    try:
        with app.app_context():
            from web.extensions import db
            admin = cheap_user(db.session, "admin", None, "forged-admin")
            admin_id = admin.id
        client = app.test_client()
        with app.test_request_context(headers={"User-Agent": "forger"},
                                      environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            # What Flask-Login's "strong" protection expects for the test client's address.
            identifier = login_utils._create_identifier()
        forged = {"_user_id": str(admin_id), "_fresh": True, "_id": identifier}
        client.set_cookie("session", _cookie_signed_with(OLD_PUBLIC_KEY, forged))
        response = client.get("/admin/users", headers={"User-Agent": "forger"})
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    finally:
        close_app(app)
