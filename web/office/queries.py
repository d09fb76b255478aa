"""The board's two queries (tiles, counts) and the triage queue, none growing with the cases.

Tiles come from one statement: a window function numbers the cases of each column so every
column is cut at its limit inside the database, and a correlated subquery finds when each
case entered its current state (the latest audit event that set a state).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import Request
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from web.authz import visible_cases_clause
from web.cases.queries import CaseFilters, visible_cases
from web.extensions import db
from web.request_input import page_number
from workflow.fiscal import TOKYO
from workflow.models import OFFICE_ROLES, AuditEvent, Case, Department, User

COLUMNS = ("consultation", "planning", "solution", "review", "on_hold", "closed")
OPEN_COLUMN_LIMIT = 30
CLOSED_COLUMN_LIMIT = 10

PHASE = case(
    (Case.state == "on_hold", "on_hold"),
    *((Case.state.startswith(f"{name}_", autoescape=True), name)
      for name in COLUMNS if name != "on_hold"),
    else_="draft",
)


@dataclass
class BoardFilters(CaseFilters):
    """The case list's filters, plus "unassigned" (assignee=none) for the office."""

    unassigned: bool = False

    @classmethod
    def from_request(cls, request: Request) -> BoardFilters:
        base = CaseFilters.from_request(request)
        return cls(**vars(base), unassigned=request.args.get("assignee") == "none")

    def apply(self, stmt):
        stmt = super().apply(stmt)
        return stmt.where(Case.assignee_id.is_(None)) if self.unassigned else stmt

    def args(self) -> dict:
        """The filters as query arguments, for links and for coming back after a POST."""
        values = {"q": self.q, "department": self.department_id, "case_type": self.case_type,
                  "category": self.category, "fy": self.fiscal_year,
                  "assignee": "none" if self.unassigned else self.assignee_id}
        return {k: v for k, v in values.items() if v}


@dataclass
class Tile:
    case: Case
    entered_at: datetime | None

    def sort_key(self):
        return (self.case.priority != "urgent", self.entered_at or self.case.updated_at,
                self.case.id)

    def days_in_state(self, today: date) -> int | None:
        if self.entered_at is None:
            return None
        return (today - self.entered_at.astimezone(TOKYO).date()).days


def _entered_at():
    return (
        select(func.max(AuditEvent.created_at))
        .where(AuditEvent.case_id == Case.id, AuditEvent.to_state.is_not(None))
        .correlate(Case)
        .scalar_subquery()
    )


def board_tiles(filters: BoardFilters) -> dict[str, list[Tile]]:
    """The tiles of each column: urgent first, then longest in their state; closed: latest.

    Which tiles make the cut is decided on ``updated_at`` (every move and edit stamps it), so
    the costlier "entered this state" lookup runs only for the tiles shown.
    """
    base = visible_cases(filters).with_only_columns(
        Case.id.label("id"), PHASE.label("phase"), (Case.priority == "urgent").label("urgent"),
        Case.updated_at.label("updated_at"), Case.closed_at.label("closed_at"),
    ).subquery()
    # One window, one sort: closed_at only orders the closed column (NULL on open cases).
    rank = func.row_number().over(partition_by=base.c.phase, order_by=(
        base.c.closed_at.desc().nulls_last(), base.c.urgent.desc(), base.c.updated_at, base.c.id))
    ranked = select(base.c.id, base.c.phase, rank.label("rank")).subquery()
    limit = case((ranked.c.phase == "closed", CLOSED_COLUMN_LIMIT), else_=OPEN_COLUMN_LIMIT)
    stmt = (
        select(Case, ranked.c.phase, _entered_at().label("entered_at"))
        .join(ranked, ranked.c.id == Case.id)
        .where(ranked.c.rank <= limit)
        .options(joinedload(Case.department), joinedload(Case.assignee))
        .order_by(ranked.c.phase, ranked.c.rank)
    )
    columns: dict[str, list[Tile]] = {name: [] for name in COLUMNS}
    for row in db.session.execute(stmt):
        if row.phase in columns:
            columns[row.phase].append(Tile(row.Case, row.entered_at))
    for name, tiles in columns.items():
        if name != "closed":
            tiles.sort(key=Tile.sort_key)
    return columns


def board_counts(filters: BoardFilters) -> dict[str, int]:
    # Grouped through a subquery: PostgreSQL would not match a GROUP BY expression whose
    # bound parameters are numbered apart from the same expression in the SELECT list.
    phases = visible_cases(filters).with_only_columns(PHASE.label("phase")).subquery()
    stmt = select(phases.c.phase, func.count()).group_by(phases.c.phase)
    counts = dict.fromkeys(COLUMNS, 0)
    counts.update({phase: n for phase, n in db.session.execute(stmt) if phase in counts})
    return counts


def office_members() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role.in_(OFFICE_ROLES), User.active.is_(True)).order_by(User.name)
    ))


def experts() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role == "expert", User.active.is_(True)).order_by(User.name)
    ))


def departments() -> list[Department]:
    return list(db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.sort_order)
    ))


def fiscal_years() -> list[int]:
    return list(db.session.scalars(
        select(Case.fiscal_year).where(visible_cases_clause()).distinct()
        .order_by(Case.fiscal_year.desc())
    ))


def triage_queue(per_page: int = 50):
    """New consultations, a page at a time: urgent first, then whoever has waited longest."""
    return db.paginate(
        select(Case).where(visible_cases_clause(), Case.state == "consultation_submitted")
        .options(joinedload(Case.department), joinedload(Case.requester),
                 joinedload(Case.assignee))
        .order_by((Case.priority == "urgent").desc(),
                  func.coalesce(Case.submitted_at, Case.created_at), Case.id),
        page=page_number(), per_page=per_page, error_out=False,
    )
