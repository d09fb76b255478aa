"""Sign-in through a real OpenLDAP directory (tests/support/ldap.py): just-in-time accounts,
role and department from groups and OUs, disabled entries, TLS, and a directory that is down."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD as LOCAL_PASSWORD
from tests.conftest import csrf_token
from tests.support import ldap as city
from web.auth import directory
from workflow.models import AuditEvent, User


@pytest.fixture(scope="module")
def ldap_server():
    server = city.start_or_skip()
    yield server
    server.stop()


@pytest.fixture
def ldap_app(app, ldap_server):
    app.config.update(city.app_config(ldap_server))
    return app


def sign_in(client, email: str, password: str = city.PASSWORD):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client)})


def user_by_email(session, email: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


def events(session, kind: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.kind == kind)
                                .order_by(AuditEvent.id)))


def test_first_sign_in_creates_the_account_from_the_directory(ldap_app, session):
    client = ldap_app.test_client()
    response = sign_in(client, "fukushi.kacho@city.example")
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks/")
    user = user_by_email(session, "fukushi.kacho@city.example")
    assert (user.role, user.department.code, user.auth_source) == ("dept_manager", "welfare",
                                                                   "ldap")
    assert user.name == "福祉 課長" and user.password_hash == ""
    assert user.external_ref.startswith("uid=fukushi.kacho,ou=welfare")
    login = events(session, "login")[-1]
    assert login.actor_id == user.id and login.data["method"] == "ldap"
    assert events(session, "user_admin")[-1].data["action"] == "create"


def test_each_sign_in_brings_role_and_department_up_to_date(ldap_app, session, make_user):
    client = ldap_app.test_client()
    sign_in(client, "kodomo.tanto@city.example")
    user = user_by_email(session, "kodomo.tanto@city.example")
    user.role, user.department_id = "expert", None
    session.commit()
    client = ldap_app.test_client()
    assert sign_in(client, "kodomo.tanto@city.example").status_code == 302
    user = user_by_email(session, "kodomo.tanto@city.example")
    assert (user.role, user.department.code) == ("requester", "children")
    change = events(session, "user_admin")[-1].data
    assert change["action"] == "update" and change["changes"]["role"] == ["expert", "requester"]


@pytest.mark.parametrize("email,password,reason", [
    ("fukushi.tanto@city.example", "wrong-password-1", "wrong_password"),
    ("nobody@city.example", city.PASSWORD, "not_found"),
    ("*)(mail=*", city.PASSWORD, "not_found"),
    ("no.group@city.example", city.PASSWORD, "no_role"),
])
def test_refused_sign_ins_say_nothing_specific_and_are_audited(ldap_app, session, email,
                                                               password, reason):
    client = ldap_app.test_client()
    response = sign_in(client, email, password)
    assert response.status_code == 200
    assert "正しくないか" in response.get_data(as_text=True)
    failed = events(session, "login_failed")[-1]
    assert failed.data["method"] == "ldap" and failed.data["reason"] == reason
    assert user_by_email(session, email) is None
    assert client.get("/tasks/").status_code == 302  # still signed out


def test_a_disabled_directory_entry_deactivates_the_account(ldap_app, session, make_user):
    user = make_user("requester", email="taishoku@city.example")
    user.auth_source = "ldap"
    session.commit()
    response = sign_in(ldap_app.test_client(), "taishoku@city.example")
    assert response.status_code == 200
    user = user_by_email(session, "taishoku@city.example")
    assert not user.active
    assert events(session, "login_failed")[-1].data["reason"] == "directory_disabled"
    deactivated = events(session, "user_admin")[-1].data
    assert deactivated["action"] == "deactivate" and deactivated["source"] == "ldap"


def test_starttls_with_the_city_ca(app, ldap_server, session):
    app.config.update(city.app_config(ldap_server, starttls=True))
    assert sign_in(app.test_client(), "toukatsu.kanri@city.example").status_code == 302
    assert user_by_email(session, "toukatsu.kanri@city.example").role == "office_lead"


def test_a_certificate_not_from_the_configured_ca_is_refused(ldap_server):
    config = city.app_config(ldap_server, LDAP_CA_FILE="/etc/ssl/certs/ca-certificates.crt")
    with pytest.raises(directory.DirectoryUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        directory.authenticate(config, "fukushi.tanto@city.example", city.PASSWORD)


def test_plain_ldap_without_tls_is_refused(ldap_server):
    config = city.app_config(ldap_server, LDAP_URL=ldap_server.url, LDAP_STARTTLS=False)
    with pytest.raises(directory.DirectoryUnavailable, match="plain LDAP"):
        directory.authenticate(config, "fukushi.tanto@city.example", city.PASSWORD)


def test_an_empty_password_is_never_an_anonymous_bind(ldap_server):
    with pytest.raises(directory.BadCredentials, match="empty_password"):
        directory.authenticate(city.app_config(ldap_server), "fukushi.tanto@city.example", "")


def test_a_local_account_keeps_its_password_and_the_directory_cannot_take_it(
        ldap_app, session, make_user):
    local = make_user("requester", email="fukushi.tanto@city.example")
    client = ldap_app.test_client()
    # The directory's password is not this account's: a local account stays local.
    assert sign_in(client, local.email).status_code == 200
    assert sign_in(client, local.email, LOCAL_PASSWORD).status_code == 302
    assert events(session, "login")[-1].data["method"] == "password"
    assert user_by_email(session, local.email).auth_source == "local"


def test_directory_down_clear_message_and_the_local_admin_still_signs_in(
        ldap_app, ldap_server, session, people):
    ldap_server.pause()
    try:
        client = ldap_app.test_client()
        response = sign_in(client, "fukushi.tanto@city.example")
        assert response.status_code == 200
        assert "接続できない" in response.get_data(as_text=True)
        assert events(session, "login_failed")[-1].data["reason"] == "directory_unavailable"
        assert sign_in(client, people["admin"].email, LOCAL_PASSWORD).status_code == 302
    finally:
        ldap_server.resume()


def test_admins_mode_sends_other_local_accounts_to_the_directory(ldap_app, ldap_server,
                                                                 session, make_user):
    ldap_app.config["LOCAL_SIGNIN"] = "admins"
    make_user("requester", email="fukushi.tanto@city.example")
    client = ldap_app.test_client()
    # The dxflow password no longer works while the directory answers ...
    assert sign_in(client, "fukushi.tanto@city.example", LOCAL_PASSWORD).status_code == 200
    # ... the directory password does, and the account becomes a directory account.
    assert sign_in(client, "fukushi.tanto@city.example").status_code == 302
    assert user_by_email(session, "fukushi.tanto@city.example").auth_source == "ldap"


def test_admins_mode_falls_back_to_the_local_password_when_the_directory_is_down(
        ldap_app, ldap_server, make_user):
    ldap_app.config["LOCAL_SIGNIN"] = "admins"
    make_user("requester", email="kodomo.tanto@city.example")
    ldap_server.pause()
    try:
        response = sign_in(ldap_app.test_client(), "kodomo.tanto@city.example", LOCAL_PASSWORD)
        assert response.status_code == 302
    finally:
        ldap_server.resume()
