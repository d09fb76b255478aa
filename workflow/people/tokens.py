"""Personal API tokens: created for a user, shown once, stored hashed, revocable, expiring.

A token reads ``dxf_<id>_<secret>``: the id finds the row without scanning, the secret (32
random bytes) is compared by its sha256 in constant time. Creating and revoking a token
append an audit event (kind ``api_token``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.errors import AccessDenied, InvalidInput
from workflow.models import ApiToken, User, utcnow
from workflow.people.audit import record
from workflow.states import Reason

PREFIX = "dxf_"
TOKEN_RE = re.compile(r"^dxf_(\d{1,12})_([A-Za-z0-9_-]{20,100})$")
MAX_NAME = 100
MAX_DAYS = 3650
MAX_ACTIVE_PER_USER = 20
# Writing last_used_at on every call would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Verdict:
    """The outcome of presenting a token: the token when valid, else why not."""

    token: ApiToken | None
    problem: str | None  # None | "malformed" | "unknown" | "revoked" | "expired" | "inactive_user"

    @property
    def user(self) -> User | None:
        return self.token.user if self.token is not None else None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, user: User, name: str, *, expires_in_days: int | None = 90,
                 actor: User | None = None, now: datetime | None = None) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns the row and the token text (its only appearance)."""
    now = now or utcnow()
    actor = actor or user
    name = (name or "").strip()
    errors: dict[str, list[Reason]] = {}
    if not name:
        errors["name"] = [Reason("missing_name", "トークンの名前を入力してください",
                                 "Enter a name for the token")]
    elif len(name) > MAX_NAME:
        errors["name"] = [Reason("long_name", f"名前は{MAX_NAME}文字以内にしてください",
                                 f"Use at most {MAX_NAME} characters")]
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
        errors["expires_in_days"] = [Reason(
            "invalid_expiry", f"有効期限は1〜{MAX_DAYS}日で指定してください",
            f"The lifetime must be 1 to {MAX_DAYS} days")]
    if not user.active:
        errors["user"] = [Reason("inactive_user", "無効なユーザーにはトークンを発行できません",
                                 "Tokens cannot be issued to an inactive user")]
    elif len(active_tokens(session, user, now)) >= MAX_ACTIVE_PER_USER:
        errors["name"] = [Reason(
            "too_many_tokens",
            f"有効なトークンは{MAX_ACTIVE_PER_USER}個までです。使っていないものを無効にしてください",
            f"At most {MAX_ACTIVE_PER_USER} active tokens; revoke one you no longer use")]
    if errors:
        raise InvalidInput(errors)
    secret = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=expires_in_days) if expires_in_days else None
    try:
        token = ApiToken(user_id=user.id, name=name, secret_hash=_digest(secret), created_at=now,
                         expires_at=expires_at)
        session.add(token)
        session.flush()
        record(session, "api_token", actor, now=now, data={
            "action": "create", "token_id": token.id, "name": name, "user": user.email,
            "expires_at": expires_at.isoformat() if expires_at else None})
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return token, f"{PREFIX}{token.id}_{secret}"


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """All of a user's tokens, newest first (revoked and expired ones too, for the record)."""
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def active_tokens(session: Session, user: User, now: datetime | None = None) -> list[ApiToken]:
    now = now or utcnow()
    return [t for t in tokens_of(session, user) if t.status(now) == "active"]


def revoke_token(session: Session, token: ApiToken, actor: User | None = None, *,
                 now: datetime | None = None) -> bool:
    """Revoke ``token`` (its owner, or an administrator); False when it was already revoked."""
    if actor is not None and actor.id != token.user_id and actor.role != "admin":
        raise AccessDenied("このトークンを無効にする権限がありません",
                           "You may not revoke this token")
    if token.revoked_at is not None:
        return False
    now = now or utcnow()
    token.revoked_at = now
    token.revoked_by_id = actor.id if actor else None
    record(session, "api_token", actor, now=now, data={
        "action": "revoke", "token_id": token.id, "name": token.name,
        "user": token.user.email})
    session.commit()
    return True


def authenticate(session: Session, presented: str, *, now: datetime | None = None) -> Verdict:
    """Check a presented token; a valid one gets its last-used time stamped."""
    match = TOKEN_RE.match((presented or "").strip())
    if match is None:
        return Verdict(None, "malformed")
    token = session.get(ApiToken, int(match.group(1)))
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(match.group(2))):
        return Verdict(None, "unknown")
    now = now or utcnow()
    status = token.status(now)
    if status != "active":
        return Verdict(None, status)
    if not token.user.active:
        return Verdict(None, "inactive_user")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.commit()
    return Verdict(token, None)


def token_id_of(presented: str) -> int | None:
    """The id part of a well-formed token, without touching the database (rate-limit key)."""
    match = TOKEN_RE.match((presented or "").strip())
    return int(match.group(1)) if match else None
