"""Signing in through the city directory (a throw-away slapd) and with a TOTP second factor,
in Chromium: enrolment from the QR page's key, recovery codes, then a code at next sign-in."""

from __future__ import annotations

import importlib.util
import re
import time

import pytest

from tests.support import running_in_ci

if importlib.util.find_spec("playwright") is None:
    MISSING = "Playwright for Python is not installed (pip install -e '.[test]')"
    if running_in_ci():
        pytest.fail(MISSING, pytrace=False)
    pytest.skip(MISSING, allow_module_level=True)

import pyotp  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from tests.browser.conftest import VIEWPORT, Account, Person  # noqa: E402
from tests.support import ldap as city  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def directory_app(live_server):
    """The live app signing in through a directory, with the production second-factor rule."""
    from web.extensions import limiter
    from web.signin_config import DEFAULT_MFA_ROLES, parse_roles

    server = city.start_or_skip()
    settings = {**city.app_config(server), "MFA_REQUIRED_ROLES": parse_roles(DEFAULT_MFA_ROLES)}
    saved = {key: live_server.app.config.get(key) for key in settings}
    live_server.app.config.update(settings)
    # The other browser tests' sign-ins count against the same per-address limit.
    with live_server.app.app_context():  # the limiter's storage is the app's database
        limiter.reset()
    yield live_server
    live_server.app.config.update(saved)
    server.stop()


def visitor(chromium, live_server, email: str, name: str) -> Person:
    context = chromium.new_context(viewport=VIEWPORT, locale="ja-JP", timezone_id="Asia/Tokyo")
    return Person(Account(role="directory", id=0, email=email, name=name), context, live_server)


def sign_in_form(person: Person, email: str) -> None:
    page = person.goto("/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(city.PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def test_bureau_staff_sign_in_with_their_directory_password(chromium, directory_app):
    person = visitor(chromium, directory_app, "fukushi.tanto@city.example", "福祉 太郎")
    try:
        sign_in_form(person, "fukushi.tanto@city.example")
        person.page.wait_for_url(person.url("/cases/"))
        expect(person.page.locator(".user-name")).to_contain_text("福祉 太郎")
        person.screenshot("signin-directory")
        person.assert_clean()
    finally:
        person.context.close()


def test_an_office_lead_enrols_totp_then_signs_in_with_a_code(chromium, directory_app):
    person = visitor(chromium, directory_app, "toukatsu.kanri@city.example", "統括 管理")
    page = person.page
    try:
        sign_in_form(person, "toukatsu.kanri@city.example")
        page.wait_for_url(person.url("/account/mfa"))
        expect(page.locator(".qr-code svg")).to_be_visible()
        person.screenshot("signin-mfa-enrol")
        secret = page.locator(".totp-secret").inner_text().strip()
        totp = pyotp.TOTP(secret)
        page.get_by_label("確認コード").fill(totp.now())
        page.get_by_role("button", name="確認する").click()
        codes = page.locator(".recovery-codes code")
        expect(codes).to_have_count(10)
        assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", codes.first.inner_text())
        page.get_by_role("link", name="控えました。続ける").click()
        page.wait_for_url(person.url("/office/board"))

        page.get_by_role("button", name="ログアウト").click()
        page.wait_for_url(re.compile(r".*/login$"))
        sign_in_form(person, "toukatsu.kanri@city.example")
        page.wait_for_url(person.url("/login/mfa"))
        # The next step's code: the one just used for enrolment is never accepted twice.
        page.get_by_label("確認コード").fill(totp.at(time.time() + 30))
        page.get_by_role("button", name="確認する").click()
        page.wait_for_url(person.url("/office/board"))
        expect(page.locator(".user-name")).to_contain_text("統括 管理")
        person.assert_clean()
    finally:
        person.context.close()
