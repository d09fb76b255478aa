"""The conditions a transition can require, each yielding a reason per thing still missing."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, joinedload

from workflow.fiscal import fiscal_year
from workflow.models import Case, Kpi, Plan, Review
from workflow.vocabulary import SECURITY_CHECKLIST

from .base import Guard, GuardContext, Reason

SUBMIT_FIELDS = {
    "title": ("件名", "title"),
    "description": ("相談内容", "description"),
    "current_problem": ("現在の課題", "current problem"),
    "desired_outcome": ("目指す姿", "desired outcome"),
}


def _filled(value) -> bool:
    return value is not None and str(value).strip() != ""


def _required_fields(case: Case, ctx: GuardContext) -> Iterator[Reason]:
    for field_name, (ja, en) in SUBMIT_FIELDS.items():
        if not _filled(getattr(case, field_name)):
            yield Reason(f"missing_{field_name}", f"{ja}を入力してください", f"Enter the {en}")
    if not case.department_id:
        yield Reason("missing_department", "所管部局を選んでください", "Choose the department")


def _proposal_present(case: Case, ctx: GuardContext) -> Iterator[Reason]:
    if not _filled(case.proposal_text):
        yield Reason("missing_proposal", "提案内容が入力されていません",
                     "The proposal text is empty")


def _assignee_present(case: Case, ctx: GuardContext) -> Iterator[Reason]:
    if case.assignee_id is None:
        yield Reason(
            "missing_assignee",
            "デジタル統括室の担当者が割り当てられていません",
            "No Digital Office member is assigned",
        )


# The plan with its KPIs, their targets and owners in one statement (built once): what the
# plan guards and the go-live review obligations read, with no lazy load per KPI.
_PLAN_WITH_KPIS = select(Plan).where(Plan.case_id == bindparam("case_id")).options(
    joinedload(Plan.kpis).options(joinedload(Kpi.targets), joinedload(Kpi.owner)))


def plan_with_kpis(session: Session, case: Case) -> Plan | None:
    return session.scalars(_PLAN_WITH_KPIS, {"case_id": case.id}).unique().first()


def plan_of(case: Case, ctx: GuardContext) -> Plan | None:
    if "plan" not in ctx.memo:
        ctx.memo["plan"] = plan_with_kpis(ctx.session, case)
    return ctx.memo["plan"]


def _as_is_notes(case: Case, ctx: GuardContext) -> Iterator[Reason]:
    plan = plan_of(case, ctx)
    if plan is None or not _filled(plan.as_is_notes):
        yield Reason("missing_as_is", "現状（As-Is）の分析メモがありません",
                     "The as-is notes are empty")


def _to_be_notes(case: Case, ctx: GuardContext) -> Iterator[Reason]:
    plan = plan_of(case, ctx)
    if plan is None or not _filled(plan.to_be_notes):
        yield Reason("missing_to_be", "あるべき姿（To-Be）のメモがありません",
                     "The to-be notes are empty")


def plan_reasons(plan: Plan | None, current_fy: int) -> list[Reason]:
    """Everything an execution plan still lacks before it can be submitted or approved."""
    if plan is None:
        return [Reason("missing_plan", "実行計画がまだありません",
                       "There is no execution plan yet")]
    reasons = []
    if not _filled(plan.kgi):
        reasons.append(Reason("missing_kgi", "KGI（2030年の目標）が未入力です",
                              "The KGI (2030 goal) is empty"))
    if not plan.kpis:
        reasons.append(Reason("missing_kpi", "KPIが1つもありません", "There is no KPI"))
    kpi_reasons = []
    for kpi in plan.kpis:
        missing = []
        if not kpi.has_baseline:
            missing.append(Reason(
                "kpi_no_baseline",
                f"KPI「{kpi.name}」に基準値がありません",
                f"KPI '{kpi.name}' has no baseline",
            ))
        if not any((t := kpi.target_for(fy)) and t.is_set for fy in (current_fy, current_fy + 1)):
            missing.append(Reason(
                "kpi_no_target",
                f"KPI「{kpi.name}」に{current_fy}年度または{current_fy + 1}年度の"
                "目標値がありません",
                f"KPI '{kpi.name}' has no FY{current_fy} or FY{current_fy + 1} target",
            ))
        if not missing:
            break  # one KPI with a baseline and a target is enough
        kpi_reasons.extend(missing)
    else:
        reasons.extend(kpi_reasons)
    unanswered = [key for key in SECURITY_CHECKLIST if not plan.security_checklist.get(key)]
    if unanswered:
        reasons.append(Reason(
            "security_unanswered",
            f"セキュリティチェックリストに未回答の項目が{len(unanswered)}件あります",
            f"{len(unanswered)} security checklist item(s) are unanswered",
        ))
    return reasons


def _plan_complete(case: Case, ctx: GuardContext) -> Iterator[Reason]:
    yield from plan_reasons(plan_of(case, ctx), fiscal_year(ctx.now))


def _review_submitted(case: Case, ctx: GuardContext) -> Iterator[Reason]:
    submitted = ctx.session.scalar(select(exists().where(
        Review.case_id == case.id, Review.status == "submitted"
    )))
    if not submitted:
        yield Reason(
            "no_review",
            "KPI評価が1件も提出されていません",
            "No KPI review has been submitted yet",
        )


required_fields = Guard("required_fields", _required_fields)
proposal_present = Guard("proposal_present", _proposal_present)
assignee_present = Guard("assignee_present", _assignee_present)
as_is_notes_present = Guard("as_is_notes_present", _as_is_notes)
to_be_notes_present = Guard("to_be_notes_present", _to_be_notes)
plan_complete = Guard("plan_complete", _plan_complete)
review_submitted = Guard("review_submitted", _review_submitted)
