"""The DX HQ meeting's progress report (DX推進本部会議 資料) as of a date: the figures.

"As of" means as the records stood at the end of that day (Asia/Tokyo): each case's state is
the one its audit log had reached by then, cases created later are left out, and actuals,
reviews and support figures count only what was recorded by then. Targets are the plan's
current ones (with the originally set figure beside a revised one). ``hq_workbook`` lays the
figures out as an XLSX workbook (``build_hq_report``).
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, exists, func, literal, select
from sqlalchemy.orm import Session, selectinload

from workflow import access
from workflow.fiscal import TOKYO, fiscal_year
from workflow.models import (
    AuditEvent,
    Case,
    Department,
    Kpi,
    KpiActual,
    Plan,
    Review,
    Supporter,
    User,
    utcnow,
)
from workflow.models.base import UTCDateTime
from workflow.reports import metrics
from workflow.states import CLOSED_STATES, phase_of

# Summary rows: the flow's phases, on hold, then each way a case ends.
BUCKETS: tuple[str, ...] = ("consultation", "planning", "solution", "review", "on_hold",
                            "closed_completed", "closed_withdrawn", "closed_rejected")
BUREAU_COLUMNS: tuple[str, ...] = ("consultation", "planning", "solution", "review", "on_hold",
                                   "closed")


def bucket(state: str) -> str:
    return state if state in CLOSED_STATES else phase_of(state).name


def default_as_of(today: date) -> date:
    """The last day of the previous month: the meeting reports on complete months."""
    return today.replace(day=1) - timedelta(days=1)


def as_of_label(as_of: date) -> str:
    """"2026年7月末時点" for a month end, else "2026年7月15日時点"."""
    if as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]:
        return f"{as_of.year}年{as_of.month}月末時点"
    return f"{as_of.year}年{as_of.month}月{as_of.day}日時点"


def cutoff(as_of: date) -> datetime:
    """The first instant after ``as_of`` in Tokyo."""
    return datetime.combine(as_of + timedelta(days=1), time(), TOKYO)


@dataclass
class KpiLine:
    kpi: Kpi
    actuals: dict[int, KpiActual]


@dataclass
class Initiative:
    case: Case
    state: str  # as of the report's date
    kgi: str
    kpis: list[KpiLine]
    review: Review | None  # the latest submitted by then


@dataclass
class SupportLine:
    key: str
    years: dict[int, tuple[int | None, metrics.Target]]  # fy -> (cumulative, target)


@dataclass
class HqData:
    as_of: date
    generated_at: datetime
    years: list[int]
    initiatives: list[Initiative]
    by_bucket: dict[str, int]
    by_department: list[tuple[Department, dict[str, int]]]
    support: list[SupportLine] = field(default_factory=list)


def _states_at(session: Session, end: datetime, viewer) -> list[tuple[Case, str]]:
    """Each visible case with the state its audit log had reached before ``end``."""
    ev = AuditEvent
    last = select(ev.case_id, func.max(ev.id).label("event_id")).where(
        ev.to_state.is_not(None), ev.case_id.is_not(None), ev.created_at < end,
    ).group_by(ev.case_id).subquery("last_state")
    visible = access.visibility_clause(viewer) if viewer is not None else literal(True)
    rows = session.execute(
        select(Case, ev.to_state).join(last, last.c.case_id == Case.id)
        .join(ev, ev.id == last.c.event_id).where(visible, Case.created_at < end)
    ).all()
    return [(c, state) for c, state in rows if state != "draft"]


def _at(moment: datetime):
    return literal(moment, UTCDateTime())


def support_at(session: Session, moments: dict[int, datetime]) -> dict[str, dict[int, int]]:
    """The three support KPIs (``metrics``' definitions) cumulated up to each moment."""
    if not moments:
        return {key: {} for key in metrics.SUPPORT_KPI_TARGETS}
    years = sorted(moments)
    m = metrics._milestones()  # the same per-case milestones the dashboard reads
    with_firm = exists().where(Supporter.case_id == m.c.case_id, Supporter.kind == "consultant")

    def before(column, moment, *conditions):
        return func.sum(case((and_(column < _at(moment), *conditions), 1), else_=0))

    row = session.execute(select(
        *(before(m.c.decided_at, moments[fy]) for fy in years),
        *(before(m.c.approved_at, moments[fy], with_firm) for fy in years),
    )).one()
    first = select(func.min(Supporter.added_at).label("at")).where(Supporter.kind == "expert") \
        .group_by(Supporter.case_id).subquery("experts")
    experts = session.execute(select(*(before(first.c.at, moments[fy]) for fy in years))).one()
    n = len(years)
    return {
        "supported_initiatives": {fy: int(v or 0) for fy, v in zip(years, row[:n], strict=True)},
        "consulting_plans": {fy: int(v or 0) for fy, v in zip(years, row[n:], strict=True)},
        "expert_initiatives": {fy: int(v or 0) for fy, v in zip(years, experts, strict=True)},
    }


def _support(session: Session, end: datetime, years: list[int]) -> list[SupportLine]:
    moments = {fy: min(metrics.fiscal_year_start(fy + 1), end) for fy in years
               if metrics.fiscal_year_start(fy) < end}
    counts = support_at(session, moments)
    return [SupportLine(key, {fy: (counts[key].get(fy), targets.get(fy, metrics.NO_TARGET))
                              for fy in years})
            for key, targets in metrics.SUPPORT_KPI_TARGETS.items()]


def _initiatives(session: Session, states: list[tuple[Case, str]],
                 end: datetime) -> list[Initiative]:
    ids = [c.id for c, _s in states]
    plans: dict[int, Plan] = {}
    reviews: dict[int, Review] = {}
    actuals: dict[int, dict[int, KpiActual]] = defaultdict(dict)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for plan in session.scalars(select(Plan).where(Plan.case_id.in_(chunk)).options(
                selectinload(Plan.kpis).selectinload(Kpi.targets))):
            plans[plan.case_id] = plan
        for review in session.scalars(select(Review).where(
                Review.case_id.in_(chunk), Review.status == "submitted",
                Review.submitted_at < end).order_by(Review.fiscal_year, Review.submitted_at)):
            reviews[review.case_id] = review  # ordered: the last one wins
        for actual in session.scalars(select(KpiActual).join(Kpi).join(Plan).where(
                Plan.case_id.in_(chunk), KpiActual.period == "FY", KpiActual.recorded_at < end)):
            actuals[actual.kpi_id][actual.fiscal_year] = actual
    result = []
    for c, state in states:
        plan = plans.get(c.id)
        kpis = [KpiLine(k, actuals.get(k.id, {})) for k in (plan.kpis if plan else [])]
        result.append(Initiative(c, state, plan.kgi if plan else "", kpis, reviews.get(c.id)))
    order = {b: i for i, b in enumerate(BUCKETS)}
    result.sort(key=lambda i: (order[bucket(i.state)], i.case.department.sort_order,
                               i.case.number))
    return result


def hq_data(session: Session, as_of: date, *, viewer: User | None = None,
            now: datetime | None = None) -> HqData:
    """Everything the workbook shows, as of the end of ``as_of``."""
    end = cutoff(as_of)
    states = _states_at(session, end, viewer)
    initiatives = _initiatives(session, states, end)
    by_bucket = Counter(bucket(s) for _c, s in states)
    per_department: dict[int, Counter] = defaultdict(Counter)
    departments = {}
    for c, state in states:
        b = bucket(state)
        per_department[c.department_id]["closed" if b.startswith("closed") else b] += 1
        departments[c.department_id] = c.department
    by_department = [(departments[d], dict(per_department[d]))
                     for d in sorted(departments, key=lambda d: departments[d].sort_order)]
    years = sorted({*metrics.PLAN_YEARS, fiscal_year(end - timedelta(seconds=1)),
                    *(t.fiscal_year for i in initiatives for k in i.kpis for t in k.kpi.targets),
                    *(fy for i in initiatives for k in i.kpis for fy in k.actuals)})
    return HqData(as_of=as_of, generated_at=now or utcnow(), years=years,
                  initiatives=initiatives, by_bucket={b: by_bucket.get(b, 0) for b in BUCKETS},
                  by_department=by_department, support=_support(session, end, sorted(
                      {*metrics.PLAN_YEARS, fiscal_year(as_of)})))


def hq_filename(as_of: date) -> str:
    return f"DX推進本部会議資料_{as_of_label(as_of)}.xlsx"
