"""Passwords per ASVS 6.2 and headers of signed-in pages (issue 10 §6).

* New passwords: at least 12 characters, not one of the common passwords (zxcvbn's offline
  list and score), not containing the user's name or e-mail parts; real accounts follow it
  (create_user, the account page); the demo's published password is for the demo only.
* Signed-in pages answer ``Cache-Control: no-store``; the sign-in page need not.
* The demo's server sends no ``Server: Werkzeug/... Python/...`` versions.
"""

from __future__ import annotations

import threading
import urllib.request

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD
from web.security import NoVersionRequestHandler
from workflow.errors import InvalidInput
from workflow.people.passwords import password_problems
from workflow.people.users import create_user

ME = ("Hanako Tanaka", "hanako.tanaka@city.example.jp")


@pytest.mark.parametrize("password", ["Short-pw-1", "password1234", "qwertyuiop123",
                                      "iloveyou2024", "aaaaaaaaaaaaaaaa"])
def test_short_and_common_passwords_are_refused(password):
    assert password_problems(password, ME)


@pytest.mark.parametrize("password", ["hanako-sakura-2026!", "Tanaka-no-kuruma-9",
                                      "my-hanako.tanaka-pw"])
def test_passwords_with_the_users_name_or_email_are_refused(password):
    english = [en for _ja, en in password_problems(password, ME)]
    assert "Do not use a part of your name or e-mail address" in english


def test_a_long_unusual_password_is_accepted():
    assert password_problems("Tsukimi-dango-o-taberu-2026", ME) == []


def test_the_demos_published_password_is_refused_for_real_accounts():
    from workflow.demo.people import DEMO_PASSWORD

    assert password_problems(DEMO_PASSWORD, ME)


def test_real_accounts_must_follow_the_policy(session):
    with pytest.raises(InvalidInput) as refused:
        create_user(session, email="new.person@city.example.jp", name="New Person",
                    role="executive", password="password1234")
    assert "password" in refused.value.field_errors
    with pytest.raises(InvalidInput):
        create_user(session, email="new.person@city.example.jp", name="New Person",
                    role="executive", password="new.person-2026-xyz")


def test_the_account_page_refuses_a_weak_new_password(client, auth, people):
    auth.login(people["requester"])
    response = auth.post("/account", {"pw-current": PASSWORD, "pw-new": "password1234",
                                      "pw-confirm": "password1234", "pw-submit": "1"})
    assert response.status_code == 200
    assert "よく使われる" in response.get_data(as_text=True)


def test_signed_in_pages_are_not_stored(client, auth, people):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    auth.login(people["office"])
    for url in ("/account", "/office/board", "/cases/"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_the_demo_server_does_not_tell_its_versions(app):
    server = make_server("127.0.0.1", 0, app, request_handler=NoVersionRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz") as response:  # noqa: S310
            header = response.headers["Server"]
    finally:
        server.shutdown()
    assert header == "dxflow"
    assert "Werkzeug" not in header and "Python" not in header
