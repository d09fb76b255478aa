"""Sign-in throttling state shared by every app process: lock-outs and rate-limit counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class LoginLockout(Base):
    """Failed sign-ins for one account from one source address, and its back-off lock.

    Keyed by (account, source) so that guessing from one address cannot lock the owner out
    from their own desk.
    """

    __tablename__ = "login_lockouts"
    __table_args__ = (UniqueConstraint("user_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(45))
    failures: Mapped[int] = mapped_column(default=0)
    # Locks in a row without a success in between: each one lasts twice as long.
    lock_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)


class RateLimitCounter(Base):
    """A fixed-window counter of Flask-Limiter's ``database://`` storage."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    # Seconds since the epoch, as the limits library counts them.
    expires_at: Mapped[float] = mapped_column(Float)
