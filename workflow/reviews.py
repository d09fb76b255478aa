"""KPI review obligations: created when a case goes live, submitted by the KPI owner.

A review is an obligation beside the case, not a state of it: the scheduler reminds people of
reviews but never fires transitions. Submitting a review may close the case as achieved or
send it back to planning, through the engine, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import config, engine
from workflow.cases import bump_version
from workflow.effects import Fired, on_enter
from workflow.errors import AccessDenied, InvalidInput
from workflow.fiscal import TOKYO, fiscal_year
from workflow.models import Case, Kpi, Plan, Review, User, utcnow
from workflow.plans import plan_for, record_actual
from workflow.states import Reason
from workflow.states.guards import plan_with_kpis
from workflow.users import record
from workflow.vocabulary import ASSESSMENTS

QUARTER_ENDS = {"Q1": (6, 30), "Q2": (9, 30), "Q3": (12, 31)}
QUARTERLY_DAYS_AFTER = 30
OUTCOMES = (None, "complete", "improve")


@dataclass(frozen=True)
class ActualInput:
    kpi_id: int
    value: Decimal | None = None
    text: str = ""


def bureau_manager(session: Session, case: Case) -> User | None:
    """The KPI owner by default: the first active manager of the case's bureau."""
    return session.scalar(select(User).where(
        User.department_id == case.department_id, User.role == "dept_manager",
        User.active.is_(True)).order_by(User.id))


def review_owner(session: Session, case: Case, plan: Plan | None) -> User | None:
    owners = [k.owner for k in (plan.kpis if plan else [])
              if k.owner is not None and k.owner.active]
    return owners[0] if owners else bureau_manager(session, case)


def schedule(first_fy: int, last_fy: int, cadence: str,
             days_after_fy_end: int) -> list[tuple[int, str, date]]:
    """(fiscal year, period, due date) of every review from ``first_fy`` to ``last_fy``."""
    items = []
    for fy in range(first_fy, last_fy + 1):
        if cadence == "quarterly":
            for period, (month, day) in QUARTER_ENDS.items():
                due = date(fy, month, day) + timedelta(days=QUARTERLY_DAYS_AFTER)
                items.append((fy, period, due))
        items.append((fy, "FY", date(fy + 1, 3, 31) + timedelta(days=days_after_fy_end)))
    return items


def create_obligations(session: Session, case: Case, now: datetime) -> list[Review]:
    """Reviews from this FY through the last FY the plan has a target for; existing ones stay."""
    policy = config.review_policy()
    plan = plan_with_kpis(session, case)
    first = fiscal_year(now)
    target_years = [t.fiscal_year for k in (plan.kpis if plan else []) for t in k.targets]
    last = max([first, *target_years])
    cadence = (plan.review_cadence if plan and plan.review_cadence else
               ("quarterly" if policy.quarterly else "yearly"))
    existing = {(r.fiscal_year, r.period) for r in session.scalars(
        select(Review).where(Review.case_id == case.id))}
    owner = review_owner(session, case, plan)
    today = now.astimezone(TOKYO).date()
    created = []
    for fy, period, due in schedule(first, last, cadence, policy.days_after_fy_end):
        if (fy, period) in existing or due < today:
            continue
        review = Review(case_id=case.id, fiscal_year=fy, period=period, due_date=due,
                        owner_id=owner.id if owner else None, created_at=now)
        session.add(review)
        created.append(review)
    session.flush()
    return created


@on_enter("review_monitoring")
def _create_on_go_live(fired: Fired) -> None:
    create_obligations(fired.session, fired.case, fired.now)


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
