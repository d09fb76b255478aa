"""Audit events that are not transitions: edits, sign-ins, sessions, admin actions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from workflow.models import AuditEvent, User, utcnow


def record(session: Session, kind: str, actor: User | None, *, data: dict | None = None,
           case_id: int | None = None, comment: str | None = None,
           now: datetime | None = None, on_behalf_of: User | None = None,
           case_version: int | None = None) -> None:
    """Append an audit event that is not a transition (edits, sign-ins, admin actions, ...)."""
    session.execute(insert(AuditEvent).values(
        kind=kind, actor_id=actor.id if actor else None, case_id=case_id, data=data,
        comment=comment, created_at=now or utcnow(), case_version=case_version,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
    ))
