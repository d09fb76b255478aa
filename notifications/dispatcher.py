"""Delivering queued notifications with retries, exponential back-off and dead letters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.channels import DeliveryError, EmailChannel, WebhookChannel
from notifications.settings import NotificationSettings
from workflow.models import Notification, utcnow


@dataclass
class FlushResult:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


def _claim_one(session: Session, now: datetime) -> Notification | None:
    """The next due row, locked until this transaction commits (one row per transaction, so
    a lock is never released while its row is still waiting to be sent)."""
    stmt = (select(Notification)
            .where(Notification.status == "pending", Notification.next_attempt_at <= now)
            .order_by(Notification.next_attempt_at, Notification.id).limit(1))
    if session.get_bind().dialect.name == "postgresql":
        # Several dispatchers may run; each takes a row the others have not locked.
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalar(stmt)


def flush_outbox(session: Session, settings: NotificationSettings, *, now: datetime | None = None,
                 limit: int = 200, channels: dict | None = None) -> FlushResult:
    """Send what is due; a failure schedules a retry at base × 2^attempts, and after
    ``max_attempts`` failures the row is dead-lettered for an admin to look at."""
    now = now or utcnow()
    channels = channels or {"email": EmailChannel(settings), "webhook": WebhookChannel(settings)}
    result = FlushResult()
    for _ in range(limit):
        notification = _claim_one(session, now)
        if notification is None:
            break
        channel = channels.get(notification.channel)
        try:
            if channel is None:
                raise DeliveryError(f"no channel '{notification.channel}'")
            channel.send(notification, notification.recipient)
        except DeliveryError as exc:
            notification.attempts += 1
            notification.last_error = str(exc)[:2000]
            if notification.attempts >= settings.max_attempts:
                notification.status = "dead"
                result.dead += 1
            else:
                delay = settings.retry_base_seconds * 2 ** (notification.attempts - 1)
                notification.next_attempt_at = now + timedelta(seconds=delay)
                result.retried += 1
            result.errors.append(str(exc))
        else:
            notification.status, notification.sent_at = "sent", now
            notification.attempts += 1
            result.sent += 1
        # Commit per row: a crash after sending re-sends at most this one message.
        session.commit()
    return result


def retry_dead(session: Session, notification: Notification, now: datetime | None = None) -> None:
    """Put a dead letter back in the queue (an admin's decision after fixing the cause)."""
    notification.status, notification.attempts = "pending", 0
    notification.next_attempt_at = now or utcnow()
    session.commit()
