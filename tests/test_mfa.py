"""The TOTP second factor: required for administrators and office managers, optional for
others; enrolment with a local QR code, recovery codes once, lock-out, replay, admin reset."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from web.signin_config import DEFAULT_MFA_ROLES, parse_roles
from workflow import mfa
from workflow.models import AuditEvent, RecoveryCode, User


@pytest.fixture(autouse=True)
def production_policy(app):
    app.config["MFA_REQUIRED_ROLES"] = parse_roles(DEFAULT_MFA_ROLES)


def code(secret: str, steps_ahead: int = 0) -> str:
    """A valid code; ``steps_ahead`` (0 or 1, inside the drift window) avoids the replay
    check when a test signs in twice within one 30-second step."""
    return pyotp.TOTP(secret).at(time.time() + steps_ahead * mfa.STEP_SECONDS)


def enrol(auth, client, steps_ahead: int = 0) -> tuple[str, list[str]]:
    page = client.get("/account/mfa").get_data(as_text=True)
    assert "<svg" in page and "otpauth" not in page.split("<svg", 1)[0]
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = auth.post("/account/mfa", {"code": code(secret, steps_ahead)})
    assert response.status_code == 200
    codes = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", response.get_data(as_text=True))
    assert len(codes) == mfa.RECOVERY_CODE_COUNT
    return secret, codes


def kinds(session, user) -> list[tuple[str, dict | None]]:
    return [(e.kind, e.data) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.id))]


def test_an_administrator_must_enrol_before_the_sign_in_completes(auth, client, people,
                                                                  session):
    admin = people["admin"]
    response = auth.login(admin)
    assert response.headers["Location"].endswith("/account/mfa")
    assert client.get("/admin/users").status_code == 302  # not signed in yet
    secret, codes = enrol(auth, client)
    assert client.get("/admin/users").status_code == 200
    session.expire_all()
    assert session.get(User, admin.id).totp_secret == secret
    stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)
    assert not {c.replace("-", "") for c in codes} & set(stored)
    events = kinds(session, admin)
    assert ("mfa", {"action": "enrol", "ip": "127.0.0.1"}) in events
    assert events[-1][0] == "login" and events[-1][1]["mfa"] == "totp_enrolled"


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_or_replayed_one(auth, client, people,
                                                                       session):
    admin = people["admin"]
    auth.login(admin)
    secret, _ = enrol(auth, client)
    auth.logout()
    assert auth.login(admin).headers["Location"].endswith("/login/mfa")
    wrong = auth.post("/login/mfa", {"code": "000000" if code(secret, 1) != "000000"
                                     else "111111"})
    assert "確認コードが正しくありません" in wrong.get_data(as_text=True)
    good = code(secret, 1)
    assert auth.post("/login/mfa", {"code": good}).headers["Location"].endswith("/admin/users")
    auth.logout()
    auth.login(admin)
    replay = auth.post("/login/mfa", {"code": good})
    assert replay.status_code == 200 and client.get("/admin/users").status_code == 302
    failures = [d for k, d in kinds(session, admin) if k == "login_failed"]
    assert [d["reason"] for d in failures] == ["wrong_code", "wrong_code"]
    assert [d for k, d in kinds(session, admin) if k == "logout"]


def test_repeated_wrong_codes_lock_the_factor(auth, client, people, session):
    admin = people["admin"]
    auth.login(admin)
    secret, _ = enrol(auth, client)
    auth.logout()
    auth.login(admin)
    for _ in range(mfa.MAX_FAILURES):
        auth.post("/login/mfa", {"code": "12345"})
    response = auth.post("/login/mfa", {"code": code(secret, 1)})
    assert "ロックされています" in response.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 302
    reasons = [d["reason"] for k, d in kinds(session, admin) if k == "login_failed"]
    assert reasons[-1] == "mfa_locked"


def test_a_recovery_code_works_once(auth, client, people, session):
    admin = people["admin"]
    auth.login(admin)
    _, codes = enrol(auth, client)
    auth.logout()
    auth.login(admin)
    used = auth.post("/login/mfa", {"code": codes[0].lower()})
    assert used.headers["Location"].endswith("/admin/users")
    auth.logout()
    auth.login(admin)
    assert auth.post("/login/mfa", {"code": codes[0]}).status_code == 200
    assert ("mfa", {"action": "recovery_code_used", "ip": "127.0.0.1", "remaining": 9}) in \
        kinds(session, admin)


def test_admin_reset_is_audited_and_the_user_enrols_again(app, auth, client, people, session,
                                                          make_user):
    lead = people["office_lead"]
    auth.login(lead)
    enrol(auth, client)
    auth.logout()
    other_admin = make_user("admin")
    other_admin.totp_secret = pyotp.random_base32()
    session.commit()
    auth.login(other_admin)
    auth.post("/login/mfa", {"code": code(other_admin.totp_secret)})
    response = auth.post(f"/admin/users/{lead.id}/reset-mfa", form_url=f"/admin/users/{lead.id}")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, lead.id).totp_secret is None
    assert session.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == lead.id)) is None
    reset = kinds(session, other_admin)[-1]
    assert reset == ("user_admin", {"action": "reset_mfa", "target": lead.email})
    audit = client.get("/admin/audit?kind=user_admin").get_data(as_text=True)
    assert "二要素認証のリセット" in audit
    auth.logout()
    assert auth.login(lead).headers["Location"].endswith("/account/mfa")


def test_optional_for_bureau_staff_who_may_turn_it_on_and_off(auth, client, people, session):
    requester = people["requester"]
    assert auth.login(requester).headers["Location"].endswith("/cases/")
    enrol(auth, client)
    auth.logout()
    assert auth.login(requester).headers["Location"].endswith("/login/mfa")
    session.expire_all()
    auth.post("/login/mfa", {"code": code(session.get(User, requester.id).totp_secret, 1)})
    assert auth.post("/account/mfa/disable", form_url="/account").status_code == 302
    session.expire_all()
    assert session.get(User, requester.id).totp_secret is None
    assert ("mfa", {"action": "disable"}) in kinds(session, requester)


def test_a_required_factor_cannot_be_turned_off(auth, client, people, session):
    admin = people["admin"]
    auth.login(admin)
    enrol(auth, client)
    auth.post("/account/mfa/disable", form_url="/account")
    session.expire_all()
    assert session.get(User, admin.id).totp_secret is not None


def test_the_second_factor_page_needs_a_first_factor(client):
    assert client.get("/login/mfa").headers["Location"].endswith("/login")
    token = csrf_token(client)
    response = client.post("/login/mfa", data={"code": "123456", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


@pytest.mark.parametrize("given", ["", "abc", "1234567890123", "１２", "²³", "١٢٣٤٥٦"])
def test_codes_of_the_wrong_shape_are_just_wrong(session, make_user, given):
    user = make_user("requester")
    user.totp_secret = pyotp.random_base32()
    session.commit()
    assert mfa.verify(session, user, given) is None


def test_a_code_typed_full_width_by_a_japanese_ime_is_accepted(session, make_user):
    user = make_user("requester")
    user.totp_secret = pyotp.random_base32()
    session.commit()
    code = pyotp.TOTP(user.totp_secret).now()
    full_width = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert mfa.verify(session, user, f" {full_width[:3]} {full_width[3:]} ") == "totp"
