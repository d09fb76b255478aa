"""OpenID Connect sign-in against a local provider (tests/support/oidc.py): real HTTP, real
discovery and JWKS, RS256-signed ID tokens checked by Authlib."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from tests.support import oidc as idp
from workflow.models import AuditEvent, User


@pytest.fixture(scope="module")
def provider():
    server = idp.Provider().start()
    yield server
    server.stop()


@pytest.fixture
def oidc_app(app, provider):
    provider.person, provider.forge, provider.audience, provider.deny = (
        "kensetsu.kacho", False, None, False)
    app.config.update(idp.app_config(provider))
    return app


def through_provider(client, start: str = "/login/oidc"):
    """Follow the browser's round trip: our redirect, the IdP's answer, our callback."""
    to_idp = client.get(start)
    assert to_idp.status_code == 302, to_idp.get_data(as_text=True)
    back = requests.get(to_idp.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def last(session, kind: str) -> AuditEvent:
    return session.scalars(select(AuditEvent).where(AuditEvent.kind == kind)
                           .order_by(AuditEvent.id.desc())).first()


def test_the_login_page_offers_the_identity_provider(oidc_app):
    page = oidc_app.test_client().get("/login").get_data(as_text=True)
    assert 'href="/login/oidc' in page


def test_sign_in_creates_the_account_from_the_id_token(oidc_app, session):
    client = oidc_app.test_client()
    response = through_provider(client, "/login/oidc?next=/cases/")
    assert response.status_code == 302 and response.headers["Location"] == "/cases/"
    user = session.scalar(select(User).where(User.email == "kensetsu.kacho@city.example"))
    assert (user.role, user.department.code, user.auth_source) == ("dept_manager",
                                                                   "construction", "oidc")
    assert user.external_ref.endswith("#sub-kensetsu.kacho")
    assert last(session, "login").data["method"] == "oidc"
    assert client.get("/tasks/").status_code == 200


@pytest.mark.parametrize("fault", ["forge", "audience"])
def test_a_token_the_client_must_not_trust_is_refused(oidc_app, provider, session, fault):
    if fault == "forge":
        provider.forge = True
    else:
        provider.audience = "some-other-app"
    client = oidc_app.test_client()
    response = through_provider(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert session.scalar(select(User).where(User.email == "kensetsu.kacho@city.example")) is None
    assert last(session, "login_failed").data["method"] == "oidc"
    assert client.get("/tasks/").status_code == 302


def test_refused_at_the_provider(oidc_app, provider, session):
    provider.deny = True
    response = through_provider(oidc_app.test_client())
    assert response.headers["Location"].endswith("/login")
    assert last(session, "login_failed").data["reason"] == "access_denied"


def test_a_callback_with_a_foreign_state_is_refused(oidc_app, session):
    client = oidc_app.test_client()
    client.get("/login/oidc")
    response = client.get("/login/oidc/callback?code=stolen&state=not-ours")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert last(session, "login_failed").data["method"] == "oidc"


def test_no_mapped_group_no_account(oidc_app, provider, session):
    provider.person = "guest"
    response = through_provider(oidc_app.test_client())
    assert response.headers["Location"].endswith("/login")
    assert last(session, "login_failed").data["reason"] == "no_role"


def test_provider_unreachable_is_a_message_not_an_error(app, session):
    app.config.update({"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "x",
                       "OIDC_CLIENT_SECRET": "y"})
    client = app.test_client()
    response = client.get("/login/oidc")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "認証基盤に接続できない" in client.get("/login").get_data(as_text=True)
    assert last(session, "login_failed").data["reason"] == "provider_unavailable"


def test_without_an_issuer_the_routes_send_back_to_sign_in_with_a_reason(app):
    client = app.test_client()
    for url in ("/login/oidc", "/login/oidc/callback?code=x&state=y"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "OpenID Connect）によるログインは設定されていません" in client.get("/login").get_data(
        as_text=True)
