"""Personal API tokens: created on the account page or with ``dxflow tokens``, shown once,
stored hashed, listed with their last use, revocable; every create and revoke is audited."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from tests.api_helpers import ApiClient, assert_problem
from web.commands import main
from workflow.models import ApiToken, AuditEvent
from workflow.people.tokens import create_token

TOKEN_RE = re.compile(r"dxf_\d+_[A-Za-z0-9_-]{40,}")


def token_events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return [e for e in session.scalars(select(AuditEvent).where(AuditEvent.kind == "api_token"))
            if e.data["action"] == action]


# --- on the account page --------------------------------------------------------------------

def test_the_account_page_leads_to_the_token_page(client, auth, people):
    auth.login(people["requester"])
    account = client.get("/account").get_data(as_text=True)
    assert "APIトークン" in account and 'href="/account/api-tokens/"' in account
    page = client.get("/account/api-tokens/").get_data(as_text=True)
    assert "まだAPIトークンはありません" in page
    assert "/api/v1/openapi.json" in page


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client, auth, session, people):
    auth.login(people["requester"])
    response = auth.post("/account/api-tokens/", {"name": "進捗集計マクロ", "lifetime": "30"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "今だけ表示しています" in html
    secret = TOKEN_RE.search(html).group(0)

    token = session.scalar(select(ApiToken))
    assert token.name == "進捗集計マクロ" and token.user_id == people["requester"].id
    assert secret not in {token.secret_hash, token.name}
    assert token.secret_hash == hashlib.sha256(secret.split("_", 2)[2].encode()).hexdigest()
    assert 29 <= (token.expires_at - token.created_at).days <= 30

    listing = client.get("/account/api-tokens/").get_data(as_text=True)
    assert "進捗集計マクロ" in listing and "未使用" in listing
    assert secret not in listing  # never shown again

    assert ApiClient(client, secret).get("/api/v1/cases").status_code == 200
    assert "未使用" not in client.get("/account/api-tokens/").get_data(as_text=True)
    (event,) = token_events(session, "create")
    assert event.actor_id == people["requester"].id and event.data["token_id"] == token.id


def test_a_token_needs_a_name(client, auth, session, people):
    auth.login(people["office"])
    html = auth.post("/account/api-tokens/", {"name": " ", "lifetime": "90"}).get_data(
        as_text=True)
    assert "入力してください" in html
    assert session.scalar(select(ApiToken.id)) is None


def test_creating_a_token_needs_the_csrf_token(client, auth, session, people):
    auth.login(people["office"])
    response = client.post("/account/api-tokens/", data={"name": "CSRFなし", "lifetime": "90"})
    assert response.status_code == 400
    assert session.scalar(select(ApiToken.id)) is None


def test_revoking_on_the_page_stops_the_token_at_once(client, auth, session, people):
    token, secret = create_token(session, people["requester"], "古い連携")
    api = ApiClient(client, secret)
    assert api.get("/api/v1/cases").status_code == 200
    auth.login(people["requester"])
    response = auth.post(f"/account/api-tokens/{token.id}/revoke", {},
                         form_url="/account/api-tokens/", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "APIトークン「古い連携」を無効にしました" in html and "無効にする</button>" not in html
    assert_problem(api.get("/api/v1/cases"), 401)
    (event,) = token_events(session, "revoke")
    assert event.actor_id == people["requester"].id


def test_nobody_revokes_another_users_token_from_the_page(client, auth, session, people):
    token, secret = create_token(session, people["office"], "統括室の連携")
    auth.login(people["requester"])
    response = auth.post(f"/account/api-tokens/{token.id}/revoke", {},
                         form_url="/account/api-tokens/")
    assert response.status_code == 404
    assert ApiClient(client, secret).get("/api/v1/cases").status_code == 200
    assert "統括室の連携" not in client.get("/account/api-tokens/").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/account/api-tokens/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_role_may_manage_tokens(client, auth, people):
    for role, user in people.items():
        auth.login(user)
        assert client.get("/account/api-tokens/").status_code == 200, role
        auth.logout()


def test_too_many_active_tokens_are_refused(session, people):
    from workflow.errors import InvalidInput
    from workflow.people.tokens import MAX_ACTIVE_PER_USER

    for n in range(MAX_ACTIVE_PER_USER):
        create_token(session, people["office"], f"連携{n}")
    with pytest.raises(InvalidInput):
        create_token(session, people["office"], "もう一つ")


# --- dxflow tokens --------------------------------------------------------------------------

@pytest.fixture
def cli(app):
    try:  # click < 8.2 mixes stderr into the output unless told not to
        runner = app.test_cli_runner(mix_stderr=False)
    except TypeError:
        runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, list(args))


def test_cli_creates_lists_and_revokes_a_token(cli, client, session, people):
    email = people["dept_manager"].email
    created = cli("tokens", "create", "--email", email, "--name", "評価の集計", "--days", "7")
    assert created.exit_code == 0, created.output
    secret = TOKEN_RE.search(created.stdout).group(0)
    assert "shown only this once" in created.stderr
    assert ApiClient(client, secret).get("/api/v1/reviews").status_code == 200

    listed = cli("tokens", "list", "--email", email.upper())
    assert listed.exit_code == 0
    token_id = int(secret.split("_")[1])
    assert f"{token_id}\t評価の集計\tactive" in listed.stdout
    assert secret not in listed.stdout

    revoked = cli("tokens", "revoke", str(token_id))
    assert revoked.exit_code == 0 and "Revoked" in revoked.stdout
    assert_problem(ApiClient(client, secret).get("/api/v1/reviews"), 401)
    assert "\trevoked\t" in cli("tokens", "list", "--email", email).stdout
    assert "already revoked" in cli("tokens", "revoke", str(token_id)).stdout
    assert len(token_events(session, "create")) == len(token_events(session, "revoke")) == 1


def test_cli_tokens_never_expiring_and_bad_arguments(cli, people):
    email = people["office"].email
    forever = cli("tokens", "create", "--email", email, "--name", "常時連携", "--days", "0")
    assert forever.exit_code == 0 and "expires: never" in forever.stdout
    for args, fragment in (
        (("tokens", "create", "--email", "nobody@city.example.jp", "--name", "x"), "no user"),
        (("tokens", "create", "--email", email, "--name", " "), "name"),
        (("tokens", "create", "--email", email, "--name", "x", "--days", "99999"), "days"),
        (("tokens", "revoke", "424242"), "no API token"),
    ):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert fragment in result.stderr and "Traceback" not in result.stderr


def test_cli_lists_a_user_without_tokens(cli, people):
    result = cli("tokens", "list", "--email", people["expert"].email)
    assert result.exit_code == 0 and "has no API tokens" in result.stdout

