"""Sign-in lock-outs per (account, source address) with exponential back-off.

Failures are counted per account *and* source, so an attacker guessing from one address
locks only that pair: the owner still signs in from their own desk, even behind the same
city-office NAT as long as their own attempts succeed. Each lock of the same pair lasts
twice as long as the one before (up to a ceiling) until a success clears the pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.models import LoginLockout, User, utcnow
from workflow.people.audit import record

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass(frozen=True)
class Policy:
    max_failures: int = 5
    first_lock: timedelta = timedelta(minutes=5)
    longest_lock: timedelta = timedelta(hours=4)

    def lock_for(self, lock_count: int) -> timedelta:
        """The length of the ``lock_count``-th lock in a row (1, 2, ...)."""
        return min(self.first_lock * (2 ** min(lock_count - 1, 20)), self.longest_lock)


def _source(source: str | None) -> str:
    return (source or "unknown")[:45]


def is_locked(session: Session, user: User, source: str | None,
              now: datetime | None = None) -> bool:
    now = now or utcnow()
    until = session.scalar(select(LoginLockout.locked_until).where(
        LoginLockout.user_id == user.id, LoginLockout.source == _source(source)))
    return until is not None and until > now


def note_failure(session: Session, user: User, source: str | None, policy: Policy,
                 now: datetime | None = None) -> timedelta | None:
    """Count a failed sign-in (caller commits); returns the lock's length when one starts."""
    now = now or utcnow()
    source = _source(source)
    insert = _INSERTS[session.get_bind().dialect.name]
    # Two failures racing for a new pair must not both insert it.
    session.execute(insert(LoginLockout).values(
        user_id=user.id, source=source, failures=0, lock_count=0, last_failure_at=now,
    ).on_conflict_do_nothing(index_elements=["user_id", "source"]))
    row = session.scalars(select(LoginLockout).where(
        LoginLockout.user_id == user.id, LoginLockout.source == source)
        .with_for_update()).one()
    row.failures += 1
    row.last_failure_at = now
    if row.failures < policy.max_failures:
        return None
    row.failures = 0
    row.lock_count += 1
    length = policy.lock_for(row.lock_count)
    row.locked_until = now + length
    record(session, "login_locked", None, now=now, data={
        "target": user.email, "source": source, "minutes": int(length.total_seconds() // 60),
        "locks_in_a_row": row.lock_count})
    return length


def note_success(session: Session, user: User, source: str | None) -> None:
    """A correct password from this source clears its count and back-off (caller commits)."""
    session.execute(delete(LoginLockout).where(LoginLockout.user_id == user.id,
                                               LoginLockout.source == _source(source)))


def clear(session: Session, user: User) -> None:
    """Lift every lock of ``user`` (an administrator's unlock; caller commits)."""
    session.execute(delete(LoginLockout).where(LoginLockout.user_id == user.id))


def active_locks(session: Session, user: User, now: datetime | None = None) -> list[LoginLockout]:
    now = now or utcnow()
    return list(session.scalars(select(LoginLockout).where(
        LoginLockout.user_id == user.id, LoginLockout.locked_until > now)
        .order_by(LoginLockout.locked_until.desc())))


def recent_failures(session: Session, user: User) -> int:
    """Failures not yet followed by a lock or a success, over all sources."""
    return sum(session.scalars(select(LoginLockout.failures)
                               .where(LoginLockout.user_id == user.id)))
