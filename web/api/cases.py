"""/api/v1/cases: list with filters and pages, create a draft, read, change fields."""

from __future__ import annotations

from flask import request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from web.api.auth import api_roles, api_user
from web.api.blueprint import bp
from web.api.inputs import (
    json_body,
    page_args,
    query_choice,
    query_int,
    query_text,
    reason,
    typed_fields,
    visible_case,
)
from web.api.problems import invalid
from web.api.serializers import case_json
from web.authz import ALL_ROLES
from web.extensions import db
from web.request_input import parse_int
from workflow import access
from workflow.cases import create_case, update_case
from workflow.models import Case, Department
from workflow.states import PHASES, STATES

CREATOR_ROLES = ("requester", "office", "office_lead")
EDITOR_ROLES = (*CREATOR_ROLES, "dept_manager")
CASE_FIELDS = {
    "title": str, "case_type": str, "priority": str, "category": (str, None), "values": list,
    "description": str, "current_problem": str, "desired_outcome": str, "department_id": int,
}
UPDATE_FIELDS = {**CASE_FIELDS, "proposal_text": str, "assignee_id": (int, None),
                 "expected_version": int}


def _department_filter(raw: str, errors: dict) -> int | None:
    if not raw:
        return None
    ident = parse_int(raw)
    match = Department.code == raw if ident is None else or_(Department.code == raw,
                                                             Department.id == ident)
    dept = db.session.scalar(select(Department).where(match))
    if dept is None:
        errors["department"] = reason("unknown_department", "該当する部局がありません",
                                      "No such department")
        return None
    return dept.id


def _filtered(errors: dict):
    stmt = select(Case).where(access.visibility_clause(api_user()))
    state = query_choice("state", STATES, errors, "状態の値が正しくありません", "Unknown state")
    if state:
        stmt = stmt.where(Case.state == state)
    phase = query_choice("phase", {p.name for p in PHASES}, errors,
                         "フェーズの値が正しくありません", "Unknown phase")
    if phase:
        leaves = [s for p in PHASES if p.name == phase for s in p.leaves]
        stmt = stmt.where(Case.state.in_(leaves))
    department_id = _department_filter(query_text("department", errors, 40), errors)
    if department_id is not None:
        stmt = stmt.where(Case.department_id == department_id)
    fiscal_year = query_int("fiscal_year", None, errors, low=2000, high=2100)
    if fiscal_year is not None:
        stmt = stmt.where(Case.fiscal_year == fiscal_year)
    q = query_text("q", errors, 100)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(Case.title.ilike(like), Case.number.ilike(like),
                              Case.description.ilike(like)))
    return stmt


def _page_link(page: int | None, per_page: int) -> str | None:
    if page is None:
        return None
    args = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}
    return url_for("api.list_cases", page=page, per_page=per_page, **args)


LIST_PARAMETERS = {"page", "per_page", "state", "phase", "department", "fiscal_year", "q"}


@bp.get("/cases")
@api_roles(*ALL_ROLES)
def list_cases():
    errors: dict = {}
    # The document lists every query parameter; one it does not name is a typo to report,
    # not a filter to drop silently.
    for name in sorted(set(request.args) - LIST_PARAMETERS)[:10]:
        errors[name[:40]] = reason("unknown_parameter", "この検索条件は使えません。",
                                   "This query parameter is not supported.")
    page, per_page = page_args(errors)
    stmt = _filtered(errors)
    if errors:
        raise invalid(errors)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    cases = db.session.scalars(
        stmt.options(joinedload(Case.department), joinedload(Case.requester),
                     joinedload(Case.assignee))
        .order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    pages = max(1, -(-total // per_page))
    links = {
        "self": _page_link(page, per_page),
        "first": _page_link(1, per_page),
        "last": _page_link(pages, per_page),
        "prev": _page_link(page - 1 if page > 1 else None, per_page),
        "next": _page_link(page + 1 if page < pages else None, per_page),
    }
    body = {"items": [case_json(c) for c in cases], "page": page, "per_page": per_page,
            "total": total, "pages": pages, "links": links}
    link_header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items()
                            if url and rel != "self")
    return body, 200, {"Link": link_header}


@bp.post("/cases")
@api_roles(*CREATOR_ROLES)
def create_case_():
    fields = typed_fields(json_body(), CASE_FIELDS, required=("title",))
    case = create_case(db.session, api_user(), fields, audit_data={"via": "api"})
    return case_json(case), 201, {"Location": url_for("api.get_case", case_id=case.id)}


@bp.get("/cases/<int:case_id>")
@api_roles(*ALL_ROLES)
def get_case(case_id: int):
    return case_json(visible_case(case_id))


@bp.patch("/cases/<int:case_id>")
@api_roles(*EDITOR_ROLES)
def update_case_(case_id: int):
    case = visible_case(case_id)
    fields = typed_fields(json_body(), UPDATE_FIELDS, required=("expected_version",))
    expected = fields.pop("expected_version")
    update_case(db.session, case, api_user(), fields, expected_version=expected)
    return case_json(case)
