"""The TOTP second factor (RFC 6238) with recovery codes (ASVS 6.3.3, 6.5).

Codes are checked with one step of clock drift either way; a step once accepted is never
accepted again (replay). Repeated wrong codes lock the second factor for a while, whichever
session they come from: the rate limit lives on the account, not on the client.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflow.models import RecoveryCode, User, utcnow
from workflow.people.audit import record

STEP_SECONDS = 30
MAX_FAILURES = 5
LOCK_MINUTES = 15
RECOVERY_CODE_COUNT = 10
# Crockford-like: no 0/O, 1/I/L, so a code read off paper is typed right.
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def enabled(user: User) -> bool:
    return bool(user.totp_secret)


def _step(code: str, secret: str, now: datetime) -> int | None:
    """The time step ``code`` is valid for (now, or one step either side), else None."""
    code = _normalise(code)
    if not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalise(code: str) -> str:
    # NFKC: a Japanese IME often types the six digits full-width (１２３４５６).
    return "".join(unicodedata.normalize("NFKC", code).split()).replace("-", "").upper()


def _digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_recovery_codes(session: Session, user: User, now: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_digest(raw), created_at=now))
    return codes


def confirm_enrolment(session: Session, user: User, secret: str, code: str, *,
                      now: datetime | None = None, ip: str | None = None) -> list[str] | None:
    """Turn the factor on if ``code`` matches ``secret``; returns the recovery codes (shown
    once), or None for a wrong code."""
    now = now or utcnow()
    step = _step(_normalise(code), secret, now)
    if step is None:
        record(session, "mfa", user, now=now, data={"action": "enrol_failed", "ip": ip})
        session.commit()
        return None
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, now, step
    user.mfa_failures, user.mfa_locked_until = 0, None
    codes = _new_recovery_codes(session, user, now)
    record(session, "mfa", user, now=now, data={"action": "enrol", "ip": ip})
    session.commit()
    return codes


def locked(user: User, now: datetime | None = None) -> bool:
    return user.mfa_locked_until is not None and user.mfa_locked_until > (now or utcnow())


def verify(session: Session, user: User, code: str, *, now: datetime | None = None,
           ip: str | None = None) -> str | None:
    """Check a TOTP or recovery code at sign-in: returns "totp" or "recovery_code", or None
    (wrong, replayed, or the factor is locked after too many failures). Audited either way."""
    now = now or utcnow()
    if not enabled(user):
        return None
    if locked(user, now):
        record(session, "login_failed", user, now=now,
               data={"stage": "mfa", "reason": "mfa_locked", "ip": ip})
        session.commit()
        return None
    normal = _normalise(code)
    method = None
    if normal.isdigit():
        step = _step(normal, user.totp_secret, now)
        if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
            user.totp_last_step, method = step, "totp"
    elif len(normal) == 10:
        hit = session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(normal),
            RecoveryCode.used_at.is_(None)))
        if hit is not None:
            hit.used_at, method = now, "recovery_code"
    if method is None:
        user.mfa_failures += 1
        data = {"stage": "mfa", "reason": "wrong_code", "ip": ip}
        if user.mfa_failures >= MAX_FAILURES:
            user.mfa_locked_until, user.mfa_failures = now + timedelta(minutes=LOCK_MINUTES), 0
            data["locked"] = True
        record(session, "login_failed", user, now=now, data=data)
    else:
        user.mfa_failures = 0
        if method == "recovery_code":
            record(session, "mfa", user, now=now, data={
                "action": "recovery_code_used", "ip": ip,
                "remaining": remaining_recovery_codes(session, user)})
    session.commit()
    return method


def remaining_recovery_codes(session: Session, user: User) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def regenerate_recovery_codes(session: Session, user: User, *,
                              now: datetime | None = None) -> list[str]:
    """Fresh recovery codes; the old ones stop working."""
    now = now or utcnow()
    codes = _new_recovery_codes(session, user, now)
    record(session, "mfa", user, now=now, data={"action": "recovery_codes_renewed"})
    session.commit()
    return codes


def _clear(session: Session, user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    user.mfa_failures, user.mfa_locked_until = 0, None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(session: Session, user: User) -> None:
    """The user turns their own (optional) second factor off."""
    _clear(session, user)
    record(session, "mfa", user, data={"action": "disable"})
    session.commit()


def admin_reset(session: Session, user: User, actor: User) -> None:
    """An administrator removes a lost factor; the user enrols again at next sign-in."""
    _clear(session, user)
    record(session, "user_admin", actor, data={"action": "reset_mfa", "target": user.email})
    session.commit()
