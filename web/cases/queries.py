"""Case list filters shared by the bureau list, the office board and exports."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request
from sqlalchemy import Select, or_, select

from web.authz import visible_cases_clause
from web.request_input import query_int
from workflow.models import Case
from workflow.states import PHASES


@dataclass
class CaseFilters:
    q: str = ""
    phase: str = ""
    state: str = ""
    department_id: int | None = None
    assignee_id: int | None = None
    case_type: str = ""
    category: str = ""
    fiscal_year: int | None = None
    include_closed: bool = True

    @classmethod
    def from_request(cls, request: Request) -> CaseFilters:
        args = request.args

        def as_int(name):
            return None if args.get(name) == "none" else query_int(name)

        return cls(
            q=args.get("q", "").strip()[:100], phase=args.get("phase", ""),
            state=args.get("state", ""),
            department_id=as_int("department"), assignee_id=as_int("assignee"),
            case_type=args.get("case_type", ""), category=args.get("category", ""),
            fiscal_year=as_int("fy"), include_closed=args.get("closed", "1") != "0",
        )

    def apply(self, stmt: Select) -> Select:
        if self.q:
            like = f"%{self.q.replace('%', '').replace('_', '')}%"
            stmt = stmt.where(or_(Case.title.ilike(like), Case.number.ilike(like),
                                  Case.description.ilike(like), Case.current_problem.ilike(like)))
        phase_names = {p.name for p in PHASES}
        if self.phase in phase_names:
            stmt = stmt.where(Case.state.like(f"{self.phase}%"))
        if self.state:
            stmt = stmt.where(Case.state == self.state)
        if self.department_id:
            stmt = stmt.where(Case.department_id == self.department_id)
        if self.assignee_id:
            stmt = stmt.where(Case.assignee_id == self.assignee_id)
        if self.case_type:
            stmt = stmt.where(Case.case_type == self.case_type)
        if self.category:
            stmt = stmt.where(Case.category == self.category)
        if self.fiscal_year:
            stmt = stmt.where(Case.fiscal_year == self.fiscal_year)
        if not self.include_closed:
            stmt = stmt.where(Case.state.not_like("closed%"))
        return stmt


def visible_cases(filters: CaseFilters | None = None) -> Select:
    stmt = select(Case).where(visible_cases_clause())
    return filters.apply(stmt) if filters else stmt
