"""KPI review obligations: created when a case goes live (an effect of entering review_monitoring).

A review is an obligation beside the case, not a state of it: the scheduler reminds people of
reviews but never fires transitions. The engine imports this module so that every transition
it fires has the effect registered; nothing here imports the engine back.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import config
from workflow.effects import Fired, on_enter
from workflow.fiscal import TOKYO, fiscal_year
from workflow.models import Case, Plan, Review, User
from workflow.states.guards import plan_with_kpis

QUARTER_ENDS = {"Q1": (6, 30), "Q2": (9, 30), "Q3": (12, 31)}
QUARTERLY_DAYS_AFTER = 30


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
