"""Submitting a KPI review: the KPI owner records actuals and an assessment.

Submitting a review may close the case as achieved or send it back to planning, through the
engine, in the same transaction. The reviews themselves are created on go-live
(``workflow.reviews.obligations``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from workflow import engine
from workflow.cases import bump_version
from workflow.errors import AccessDenied, InvalidInput
from workflow.models import Case, Kpi, Review, User, utcnow
from workflow.people.audit import record
from workflow.plans import plan_for, record_actual
from workflow.states import Reason
from workflow.vocabulary import ASSESSMENTS

OUTCOMES = (None, "complete", "improve")


@dataclass(frozen=True)
class ActualInput:
    kpi_id: int
    value: Decimal | None = None
    text: str = ""


def may_submit(session: Session, user: User, review: Review, case: Case) -> bool:
    if review.status != "open" or case.state != "review_monitoring":
        return False
    if review.owner_id is not None:
        return user.id == review.owner_id or user.role == "office_lead"
    return (user.role == "dept_manager" and user.department_id == case.department_id) or \
        user.role == "office_lead"


def submit_review(session: Session, review: Review, actor: User, *, assessment: str,
                  actuals: list[ActualInput], comment: str = "", next_actions: str = "",
                  outcome: str | None = None, expected_version: int | None = None,
                  on_behalf_of: User | None = None, now: datetime | None = None) -> Review:
    """Record the actuals and the assessment; optionally complete the case or send it back."""
    now = now or utcnow()
    principal = on_behalf_of or actor
    case = session.get(Case, review.case_id)
    if not may_submit(session, principal, review, case):
        raise AccessDenied("このKPI評価は提出できません", "You may not submit this review")
    errors: dict[str, list[Reason]] = {}
    if assessment not in ASSESSMENTS:
        errors["assessment"] = [Reason("invalid_assessment", "評価を選んでください",
                                       "Choose an assessment")]
    if outcome not in OUTCOMES:
        errors["outcome"] = [Reason("invalid_outcome", "その後の扱いを選んでください",
                                    "Choose what happens next")]
    if outcome == "improve" and not comment.strip():
        errors["comment"] = [Reason("comment_required", "改善に戻す理由をコメントに書いてください",
                                    "Explain in the comment why the plan goes back")]
    plan = plan_for(session, case)
    kpis = {k.id: k for k in (plan.kpis if plan else [])}
    if any(a.kpi_id not in kpis for a in actuals):
        errors["actuals"] = [Reason("unknown_kpi", "KPIが見つかりません", "Unknown KPI")]
    if errors:
        raise InvalidInput(errors)
    try:
        for actual in actuals:
            if actual.value is not None or actual.text.strip():
                record_actual(session, kpis[actual.kpi_id], review.fiscal_year, actual.value,
                              actual.text, period=review.period, actor=actor, now=now)
        review.status, review.assessment = "submitted", assessment
        review.comment, review.next_actions = comment.strip(), next_actions.strip()
        review.submitted_at, review.submitted_by_id = now, actor.id
        version = bump_version(session, case, expected_version, now)
        record(session, "review", actor, case_id=case.id, now=now, on_behalf_of=on_behalf_of,
               case_version=version, data={"review_id": review.id, "fy": review.fiscal_year,
                                           "period": review.period, "assessment": assessment})
        session.flush()
        if outcome is not None:
            engine.fire(session, case, outcome, actor, comment=comment or None,
                        expected_version=version, on_behalf_of=on_behalf_of, now=now,
                        commit=False)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return review


def kpi_rows(session: Session, case: Case, fy: int) -> list[tuple[Kpi, object, object]]:
    """(KPI, target of FY, actual of FY) for the review form."""
    plan = plan_for(session, case)
    rows = []
    for kpi in plan.kpis if plan else []:
        actual = next((a for a in kpi.actuals if a.fiscal_year == fy and a.period == "FY"), None)
        rows.append((kpi, kpi.target_for(fy), actual))
    return rows
