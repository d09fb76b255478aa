"""Server-side sign-in sessions: started at sign-in, ended by logout, by an administrator or
by a change that must sign the user out everywhere (password, role, deactivation).

The browser's signed cookie holds only a random token; its sha256 names the row here. A
session counts only while its row is not ended and younger than the session lifetime, so a
cookie copied before logout is worthless afterwards, in every app process. Every end is an
audit event (kind ``session_end``) naming the session, the reason and who ended it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.models import User, UserSession, utcnow
from workflow.people.audit import record

END_REASONS = ("logout", "everywhere", "password", "password_reset", "role", "deactivated",
               "admin")
# Writing last_seen_at on every page view would turn each read into a write.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, user: User, *, ip: str | None, user_agent: str | None,
          now: datetime | None = None) -> tuple[str, UserSession]:
    """Add a session for ``user`` (caller commits); returns (cookie token, row)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=_hash(token), created_at=now,
                      last_seen_at=now, ip=(ip or "")[:45] or None,
                      user_agent=(user_agent or "")[:200] or None)
    session.add(row)
    session.flush()
    return token, row


def find_active(session: Session, token: str | None, user_id: int, *, lifetime: timedelta,
                now: datetime | None = None) -> UserSession | None:
    """The live session ``token`` names for ``user_id``, or None (ended, expired, unknown)."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    now = now or utcnow()
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return None
    if row.created_at + lifetime <= now:
        return None
    return row


def touch(row: UserSession, now: datetime | None = None) -> bool:
    """Note activity at most once per ``TOUCH_EVERY``; True when the row changed."""
    now = now or utcnow()
    if now - row.last_seen_at < TOUCH_EVERY:
        return False
    row.last_seen_at = now
    return True


def active_sessions(session: Session, user: User, *, lifetime: timedelta,
                    now: datetime | None = None) -> list[UserSession]:
    now = now or utcnow()
    return list(session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None),
               UserSession.created_at > now - lifetime)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def end(session: Session, row: UserSession, *, reason: str, actor: User | None,
        now: datetime | None = None) -> bool:
    """End one session with its audit event (caller commits); False when already ended."""
    if reason not in END_REASONS:
        raise ValueError(f"unknown session end reason {reason!r}")
    if row.ended_at is not None:
        return False
    now = now or utcnow()
    row.ended_at, row.end_reason = now, reason
    row.ended_by_id = actor.id if actor else None
    owner = row.user or session.get(User, row.user_id)
    record(session, "session_end", actor, now=now, data={
        "target": owner.email, "session": row.id, "reason": reason, "ip": row.ip})
    return True


def end_all(session: Session, user: User, *, reason: str, actor: User | None,
            keep: UserSession | None = None, now: datetime | None = None) -> int:
    """End every open session of ``user`` except ``keep``; returns how many ended."""
    now = now or utcnow()
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                     UserSession.ended_at.is_(None))).all()
    return sum(end(session, row, reason=reason, actor=actor, now=now)
               for row in rows if keep is None or row.id != keep.id)
