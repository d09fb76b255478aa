"""A DX consultation case and what hangs off it: supporters, comments, attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, utcnow
from .org import Department, User


class CaseNumberCounter(Base):
    """Last number handed out per fiscal year; one row locked per creation keeps numbers
    gap-free."""

    __tablename__ = "case_number_counters"

    fiscal_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)


class Case(Base, Timestamped):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "seq", name="uq_cases_fiscal_year_seq"),
        Index("ix_cases_department_state", "department_id", "state"),
        # Lists sort by last update; the dashboard reads max(updated_at) as its data version.
        Index("ix_cases_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    fiscal_year: Mapped[int]
    seq: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    case_type: Mapped[str] = mapped_column(String(30), default="dx_project")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    category: Mapped[str | None] = mapped_column(String(20))
    values: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    current_problem: Mapped[str] = mapped_column(Text, default="")
    desired_outcome: Mapped[str] = mapped_column(Text, default="")
    proposal_text: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(40), default="draft", index=True)
    # Where on_hold resumes to: the exact sub-state the case left.
    hold_return_state: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    submitted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    department: Mapped[Department] = relationship()
    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    supporters: Mapped[list[Supporter]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Supporter.id"
    )

    @property
    def phase(self) -> str:
        return self.state.split("_", 1)[0] if self.state != "on_hold" else "on_hold"

    def __repr__(self) -> str:
        return f"<Case {self.number} {self.state} v{self.version}>"


class Supporter(Base):
    """Someone supporting a case: office staff, a consulting firm, an external expert or adviser."""

    __tablename__ = "supporters"
    __table_args__ = (UniqueConstraint("case_id", "kind", "user_id", "organization"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    organization: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="supporters")
    user: Mapped[User | None] = relationship()

    @property
    def display_name(self) -> str:
        if self.user is not None:
            return self.user.name + (f"（{self.organization}）" if self.organization else "")
        return self.organization


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "comment", or "advice" from an outside adviser (外部有識者の助言), logged as such.
    kind: Mapped[str] = mapped_column(String(20), default="comment")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()
