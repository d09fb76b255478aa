"""A case's history for reading: audit events and comments merged in time order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from workflow.models import AuditEvent, Case, Comment

# Events users care about on the case page; sign-ins etc. never carry a case id anyway.
SHOWN_KINDS = ("created", "imported", "transition", "updated", "plan", "supporter", "review",
               "attachment", "assigned", "kpi")


@dataclass(frozen=True)
class Entry:
    when: datetime
    kind: str  # "event" | "comment"
    event: AuditEvent | None = None
    comment: Comment | None = None


def case_timeline(session: Session, case: Case, newest_first: bool = True) -> list[Entry]:
    events = session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.on_behalf_of))
        .where(AuditEvent.case_id == case.id, AuditEvent.kind.in_(SHOWN_KINDS))
    ).all()
    comments = session.scalars(
        select(Comment).options(joinedload(Comment.author), joinedload(Comment.on_behalf_of))
        .where(Comment.case_id == case.id)
    ).all()
    entries = [Entry(e.created_at, "event", event=e) for e in events]
    entries += [Entry(c.created_at, "comment", comment=c) for c in comments]
    entries.sort(key=lambda e: (e.when, e.event.id if e.event else 0), reverse=newest_first)
    return entries
