"""A case's execution plan over the API: KPIs with targets and actuals; recording an actual."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from web.api.auth import api_roles, api_user
from web.api.blueprint import bp
from web.api.inputs import json_body, not_found, to_decimal, typed_fields, visible_case
from web.api.serializers import kpi_json, plan_json
from web.authz import ALL_ROLES
from web.extensions import db
from workflow.models import Kpi, Plan
from workflow.plans import PLAN_ROLES, save_actual


def _plan(case_id: int) -> Plan | None:
    return db.session.scalar(
        select(Plan).where(Plan.case_id == case_id).options(
            selectinload(Plan.kpis).selectinload(Kpi.targets),
            selectinload(Plan.kpis).selectinload(Kpi.actuals),
            selectinload(Plan.kpis).joinedload(Kpi.owner),
        ))


@bp.get("/cases/<int:case_id>/kpis")
@api_roles(*ALL_ROLES)
def get_kpis(case_id: int):
    case = visible_case(case_id)
    return plan_json(case, _plan(case.id))


@bp.put("/cases/<int:case_id>/kpis/<int:kpi_id>/actuals/<int:fiscal_year>")
@api_roles(*sorted(PLAN_ROLES))
def record_actual(case_id: int, kpi_id: int, fiscal_year: int):
    case = visible_case(case_id)
    plan = _plan(case.id)
    if plan is None or kpi_id not in {k.id for k in plan.kpis}:
        raise not_found()
    fields = typed_fields(json_body(), {"value": (Decimal, None), "text": str,
                                        "expected_version": int},
                          required=("expected_version",))
    save_actual(db.session, case, api_user(), kpi_id, fiscal_year, to_decimal(fields.get("value")),
                fields.get("text", ""), expected_version=fields["expected_version"])
    db.session.expire_all()
    plan = _plan(case.id)
    kpi = next(k for k in plan.kpis if k.id == kpi_id)
    return {"case_version": case.version, "kpi": kpi_json(kpi)}
