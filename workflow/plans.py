"""Editing the execution plan: KGI, notes, security checklist, KPIs, targets and actuals.

Every edit bumps the case's version (two people editing one plan get a clear conflict) and
writes an audit event; a revised target keeps its original value (当初設定数値).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import access
from workflow.cases import bump_version
from workflow.errors import AccessDenied, InvalidInput
from workflow.models import Case, Kpi, KpiActual, KpiTarget, Plan, User, utcnow
from workflow.people.audit import record
from workflow.states import Reason
from workflow.vocabulary import KPI_DIRECTIONS, SECURITY_ANSWERS, SECURITY_CHECKLIST

PLAN_ROLES = frozenset({"requester", "dept_manager", "office", "office_lead"})
NOTE_STATES = frozenset({"planning_as_is", "planning_to_be", "planning_plan"})
# Targets may be revised after approval too (KPIs are reviewed and revised as needed).
KPI_STATES = NOTE_STATES | {"planning_approval", "solution_selection", "solution_poc",
                            "solution_rollout", "review_monitoring"}
PLAN_FIELDS = ("kgi", "kgi_note", "outcome", "as_is_notes", "to_be_notes")
UNKNOWN_KPI = Reason("unknown_kpi", "KPIが見つかりません", "KPI not found")


@dataclass
class KpiInput:
    name: str
    unit: str = ""
    direction: str = "increase"
    baseline: Decimal | None = None
    baseline_text: str = ""
    baseline_label: str = ""
    note: str = ""
    owner_id: int | None = None
    # {fiscal year: number or text}; None or "" clears the target of that year
    targets: dict[int, Decimal | str | None] | None = None


def plan_for(session: Session, case: Case) -> Plan | None:
    return session.scalar(select(Plan).where(Plan.case_id == case.id))


def ensure_plan(session: Session, case: Case) -> Plan:
    plan = plan_for(session, case)
    if plan is None:
        plan = Plan(case_id=case.id, security_checklist={})
        session.add(plan)
        session.flush()
    return plan


def may_edit_plan(session: Session, user: User, case: Case, states=NOTE_STATES) -> bool:
    return (user is not None and user.role in PLAN_ROLES and case.state in states
            and access.can_change(session, user, case))


def _authorise(session, user, case, states) -> None:
    if not may_edit_plan(session, user, case, states):
        raise AccessDenied("この段階では実行計画を編集できません",
                           "The plan cannot be edited at this stage")


def _commit_edit(session: Session, case: Case, actor: User, expected_version: int | None,
                 now: datetime, data: dict, on_behalf_of: User | None, commit: bool) -> None:
    try:
        version = bump_version(session, case, expected_version, now)
        record(session, "plan", actor, case_id=case.id, data=data, now=now,
               on_behalf_of=on_behalf_of, case_version=version)
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(case)


def update_plan(session: Session, case: Case, actor: User, changes: dict, *,
                expected_version: int | None = None, on_behalf_of: User | None = None,
                now: datetime | None = None, commit: bool = True) -> dict:
    """Change the plan's texts and security checklist; returns what changed."""
    now = now or utcnow()
    _authorise(session, on_behalf_of or actor, case, NOTE_STATES)
    errors: dict[str, list[Reason]] = {}
    checklist = changes.get("security_checklist")
    if checklist is not None:
        bad = [k for k, v in checklist.items() if k not in SECURITY_CHECKLIST
               or (v and v not in SECURITY_ANSWERS)]
        if bad:
            errors["security_checklist"] = [Reason(
                "invalid_checklist", "チェックリストの回答が正しくありません",
                "Invalid checklist answer")]
    cadence = changes.get("review_cadence", ...)
    if cadence not in (..., None, "yearly", "quarterly"):
        errors["review_cadence"] = [Reason("invalid_cadence", "評価の頻度を選んでください",
                                           "Choose a review cadence")]
    unknown = set(changes) - set(PLAN_FIELDS) - {"security_checklist", "review_cadence"}
    if unknown:
        errors.update({k: [Reason("unknown_field", f"項目「{k}」はありません", f"No field '{k}'")]
                       for k in unknown})
    if errors:
        raise InvalidInput(errors)
    plan = ensure_plan(session, case)
    diff = {}
    for key in PLAN_FIELDS:
        if key in changes and (changes[key] or "").strip() != getattr(plan, key):
            diff[key] = True
            setattr(plan, key, (changes[key] or "").strip())
    if cadence is not ... and cadence != plan.review_cadence:
        diff["review_cadence"] = True
        plan.review_cadence = cadence
    if checklist is not None:
        merged = {k: v for k, v in {**plan.security_checklist, **checklist}.items() if v}
        if merged != plan.security_checklist:
            diff["security_checklist"] = True
            plan.security_checklist = merged
    if diff:
        _commit_edit(session, case, actor, expected_version, now,
                     {"action": "update_plan", "fields": sorted(diff)}, on_behalf_of, commit)
    return diff


def _validate_kpi(data: KpiInput) -> None:
    errors: dict[str, list[Reason]] = {}
    if not data.name.strip():
        errors["name"] = [Reason("missing_kpi_name", "KPI名を入力してください",
                                 "Enter the KPI name")]
    if data.direction not in KPI_DIRECTIONS:
        errors["direction"] = [Reason("invalid_direction", "増減の方向を選んでください",
                                      "Choose a direction")]
    for fy in (data.targets or {}):
        if not 2000 <= int(fy) <= 2100:
            errors["targets"] = [Reason("invalid_fy", "年度が正しくありません",
                                        "Invalid fiscal year")]
    if errors:
        raise InvalidInput(errors)


def _validate_owner(session: Session, case: Case, owner_id: int | None) -> None:
    """A KPI's owner reviews it later, so it must be a manager of the case's bureau."""
    if owner_id is None:
        return
    owner = session.get(User, owner_id)
    if (owner is None or owner.role != "dept_manager" or not owner.active
            or owner.department_id != case.department_id):
        raise InvalidInput({"owner_id": [Reason(
            "invalid_owner", "KPIの担当者は所管部局の所属長から選んでください",
            "Choose a manager of the case's bureau as the KPI owner")]})


def _set_target(kpi: Kpi, fy: int, value, revise: bool, now: datetime) -> dict | None:
    is_number = isinstance(value, Decimal | int | float) and not isinstance(value, bool)
    number = value if is_number else None
    text = "" if number is not None or value is None else str(value).strip()
    number = Decimal(str(number)) if number is not None else None
    target = kpi.target_for(fy)
    if target is None:
        if number is None and not text:
            return None
        kpi.targets.append(KpiTarget(fiscal_year=fy, value=number, text=text))
        return {"fy": fy, "new": str(number) if number is not None else text}
    if target.value == number and target.text == text:
        return None
    old = str(target.value) if target.value is not None else target.text
    if revise and not target.is_revised:
        # Keep the originally set figure visible beside the revision (（）内は当初設定数値).
        target.original_value, target.original_text = target.value, target.text
    if revise:
        target.revised_at = now
    target.value, target.text = number, text
    return {"fy": fy, "old": old, "new": str(number) if number is not None else text}


def save_kpi(session: Session, case: Case, actor: User, data: KpiInput, *,
             kpi_id: int | None = None, expected_version: int | None = None,
             on_behalf_of: User | None = None, now: datetime | None = None,
             commit: bool = True) -> Kpi:
    """Add a KPI, or change one; target changes after plan approval are recorded as revisions."""
    now = now or utcnow()
    _authorise(session, on_behalf_of or actor, case, KPI_STATES)
    _validate_kpi(data)
    _validate_owner(session, case, data.owner_id)
    plan = ensure_plan(session, case)
    if kpi_id is None:
        kpi = Kpi(plan_id=plan.id, position=len(plan.kpis), name=data.name.strip())
        plan.kpis.append(kpi)
    else:
        kpi = next((k for k in plan.kpis if k.id == kpi_id), None)
        if kpi is None:
            raise InvalidInput({"kpi": [UNKNOWN_KPI]})
    for key in ("name", "unit", "direction", "baseline_text", "baseline_label", "note"):
        setattr(kpi, key, getattr(data, key).strip())
    kpi.baseline, kpi.owner_id = data.baseline, data.owner_id
    revise = plan.approved_at is not None
    changes = [c for fy, value in sorted((data.targets or {}).items())
               if (c := _set_target(kpi, int(fy), value, revise, now))]
    session.flush()
    _commit_edit(session, case, actor, expected_version, now,
                 {"action": "add_kpi" if kpi_id is None else "update_kpi", "kpi": kpi.name,
                  "targets": changes, "revised": revise and bool(changes)}, on_behalf_of, commit)
    return kpi


def remove_kpi(session: Session, case: Case, actor: User, kpi_id: int, *,
               expected_version: int | None = None, now: datetime | None = None,
               on_behalf_of: User | None = None) -> None:
    now = now or utcnow()
    _authorise(session, on_behalf_of or actor, case, NOTE_STATES)
    plan = ensure_plan(session, case)
    kpi = next((k for k in plan.kpis if k.id == kpi_id), None)
    if kpi is None:
        raise InvalidInput({"kpi": [UNKNOWN_KPI]})
    plan.kpis.remove(kpi)
    session.flush()
    _commit_edit(session, case, actor, expected_version, now,
                 {"action": "remove_kpi", "kpi": kpi.name}, on_behalf_of, True)


def record_actual(session: Session, kpi: Kpi, fy: int, value: Decimal | None, text: str = "",
                  *, period: str = "FY", actor: User | None = None,
                  now: datetime | None = None) -> KpiActual:
    """Store (or overwrite) the actual of a KPI for a fiscal year/period, in the caller's
    transaction."""
    actual = session.scalar(select(KpiActual).where(
        KpiActual.kpi_id == kpi.id, KpiActual.fiscal_year == fy, KpiActual.period == period))
    if actual is None:
        actual = KpiActual(kpi_id=kpi.id, fiscal_year=fy, period=period)
        session.add(actual)
    actual.value, actual.text = value, text.strip()
    actual.recorded_at = now or utcnow()
    actual.recorded_by_id = actor.id if actor else None
    return actual


MAX_ACTUAL = Decimal("1e14")  # the KPI columns are Numeric(18, 4)


def save_actual(session: Session, case: Case, actor: User, kpi_id: int, fy: int,
                value: Decimal | None, text: str = "", *, expected_version: int | None = None,
                on_behalf_of: User | None = None, now: datetime | None = None,
                commit: bool = True) -> KpiActual:
    """Record (or overwrite) a KPI's actual for a fiscal year outside a review: version check,
    audit event, planning roles only."""
    now = now or utcnow()
    _authorise(session, on_behalf_of or actor, case, KPI_STATES)
    plan = plan_for(session, case)
    kpi = next((k for k in (plan.kpis if plan else []) if k.id == kpi_id), None)
    if kpi is None:
        raise InvalidInput({"kpi": [UNKNOWN_KPI]})
    text = (text or "").strip()
    errors: dict[str, list[Reason]] = {}
    if not 2000 <= fy <= 2100:
        errors["fiscal_year"] = [Reason("invalid_fy", "年度が正しくありません",
                                        "Invalid fiscal year")]
    if value is not None and (not value.is_finite() or abs(value) >= MAX_ACTUAL):
        errors["value"] = [Reason("invalid_value", "実績値が大きすぎるか、数値ではありません",
                                  "The actual is not a number or is too large")]
    elif value is None and not text:
        errors["value"] = [Reason("missing_actual", "実績値（数値または文章）を入力してください",
                                  "Enter the actual as a number or a text")]
    if len(text) > 300:
        errors["text"] = [Reason("long_text", "実績の説明は300文字以内にしてください",
                                 "Use at most 300 characters")]
    if errors:
        raise InvalidInput(errors)
    actual = record_actual(session, kpi, fy, value, text, actor=actor, now=now)
    session.flush()
    _commit_edit(session, case, actor, expected_version, now,
                 {"action": "record_actual", "kpi": kpi.name, "fy": fy,
                  "value": str(value) if value is not None else text}, on_behalf_of, commit)
    return actual
