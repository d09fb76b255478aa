"""The append-only audit log: every state change, edit, sign-in and admin action."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .org import User


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_case_id_id", "case_id", "id"),
        Index("ix_audit_events_kind_created_at", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # transition | created | updated | imported | comment | supporter | kpi | review
    # | login | login_failed | logout | password | user_admin | department_admin | ...
    kind: Mapped[str] = mapped_column(String(30))
    trigger: Mapped[str | None] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    case_version: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Set when a substitute (代理者) acted: actor acted on behalf of this user.
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])


class AuditLogIsAppendOnly(Exception):
    pass


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be deleted")
