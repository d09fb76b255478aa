"""Queueing notifications: one row per (recipient, reason, object, stage, channel), never twice.

Rows are inserted with ON CONFLICT DO NOTHING on the unique ``dedupe_key``, in the caller's
transaction, so two sweeps racing each other cannot queue a reminder twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from notifications.messages import Message
from workflow.models import Notification, NotificationPreference, utcnow

_TABLE = Notification.__table__
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# Reasons a user can switch off for e-mail (the in-app inbox always gets them).
EMAIL_REASONS = ("review_due_soon", "review_due", "review_overdue", "review_escalation",
                 "triage_stale", "decision_stale", "transition")


@dataclass(frozen=True)
class Recipient:
    id: int
    name: str
    email: str
    language: str
    email_reminders: bool = True


@dataclass(frozen=True)
class Pending:
    """A notification to queue for one recipient."""

    recipient: Recipient
    reason: str
    object_type: str
    object_id: int
    stage: str  # due date, reminder stage or event id: part of the idempotency key
    message: Message
    due_date: date | None = None
    data: dict | None = None


def dedupe_key(p: Pending, channel: str) -> str:
    return f"{p.recipient.id}:{p.reason}:{p.object_type}:{p.object_id}:{p.stage}:{channel}"[:200]


def email_opt_outs(session: Session, user_ids) -> set[tuple[int, str]]:
    ids = list(set(user_ids))
    if not ids:
        return set()
    rows = session.execute(select(NotificationPreference.user_id, NotificationPreference.reason)
                           .where(NotificationPreference.user_id.in_(ids),
                                  NotificationPreference.email.is_(False)))
    return {(r.user_id, r.reason) for r in rows}


def rows_for(pending: list[Pending], *, email_enabled: bool, opt_outs: set[tuple[int, str]],
             webhook: bool) -> tuple[list[dict], list[dict]]:
    """(inbox rows, rows to deliver); only what differs per row, the rest is set per statement."""
    inbox, deliver = [], []
    for p in pending:
        base = {"recipient_id": p.recipient.id, "reason": p.reason, "object_type": p.object_type,
                "object_id": p.object_id, "due_date": p.due_date, "language": p.recipient.language,
                "subject": p.message.subject, "body": p.message.body, "data": p.data}
        inbox.append({**base, "channel": "inbox", "dedupe_key": dedupe_key(p, "inbox")})
        wants_email = p.recipient.email_reminders and (p.recipient.id, p.reason) not in opt_outs
        if email_enabled and wants_email and p.recipient.email:
            deliver.append({**base, "channel": "email", "dedupe_key": dedupe_key(p, "email")})
        if webhook:
            deliver.append({**base, "channel": "webhook", "dedupe_key": dedupe_key(p, "webhook")})
    return inbox, deliver


_STATEMENTS: dict[str, object] = {}


def _insert_statement(dialect: str):
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING, built once per dialect: every value
    comes from the rows, so one statement serves inbox and delivery rows."""
    stmt = _STATEMENTS.get(dialect)
    if stmt is None:
        stmt = _STATEMENTS[dialect] = _INSERTS[dialect](_TABLE).on_conflict_do_nothing(
            index_elements=["dedupe_key"])
    return stmt


def enqueue(session: Session, pending: list[Pending], *, now: datetime | None = None,
            email_enabled: bool = True, webhook: bool = False,
            opt_outs: set[tuple[int, str]] | None = None) -> int:
    """Queue ``pending`` in the caller's transaction (one statement); returns the
    number of rows offered. ``opt_outs`` (user id, reason) when the caller read them already;
    without e-mail they do not matter, so they are not read."""
    if not pending:
        return 0
    now = now or utcnow()
    if opt_outs is None:
        opt_outs = (email_opt_outs(session, (p.recipient.id for p in pending))
                    if email_enabled else set())
    inbox, deliver = rows_for(pending, email_enabled=email_enabled, opt_outs=opt_outs,
                              webhook=webhook)
    for row in inbox:
        row.update(status="sent", sent_at=now, attempts=0, next_attempt_at=now, created_at=now)
    for row in deliver:
        row.update(status="pending", sent_at=None, attempts=0, next_attempt_at=now,
                   created_at=now)
    conn = session.connection()
    conn.execute(_insert_statement(conn.dialect.name), inbox + deliver)
    return len(inbox) + len(deliver)
