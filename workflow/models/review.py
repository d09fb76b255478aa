"""KPI review obligations: a manager reviews FY N's actuals against the targets by a due date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .org import User


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("case_id", "fiscal_year", "period"),
        Index("ix_reviews_status_due_date", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    fiscal_year: Mapped[int]
    period: Mapped[str] = mapped_column(String(4), default="FY")
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | submitted
    assessment: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    next_actions: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The last reminder stage sent (e.g. "before-14", "due", "overdue-2", "escalation"): a sweep
    # sends a stage once, and a missed sweep is caught up by the next one.
    last_reminder_stage: Mapped[str | None] = mapped_column(String(30))
    last_reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
