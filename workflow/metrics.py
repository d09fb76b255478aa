"""The support process measuring itself: the three support KPIs per fiscal year, and the flow.

Everything is computed live from the database in a handful of aggregate statements (never
one per case): the dashboard must stay fast with 10,000 cases. Drafts are private to their
bureau and never counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, and_, case, exists, func, literal, literal_column, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from workflow.fiscal import TOKYO, fiscal_year
from workflow.models import AuditEvent, Case, Department, Supporter, utcnow
from workflow.models.base import UTCDateTime
from workflow.states import OPEN_STATES, PHASES

# --- the plan's targets ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A fiscal year's target; ``original`` is the figure first set (当初設定数値) when revised."""

    value: int | None
    original: int | None = None

    @property
    def is_revised(self) -> bool:
        return self.original is not None and self.original != self.value


NO_TARGET = Target(None)  # printed as "－" in the plan

# DX Strategy Action Plan (2024 revision): the support process's own KPIs, cumulative.
SUPPORT_KPI_TARGETS: dict[str, dict[int, Target]] = {
    "supported_initiatives": {
        2023: Target(53), 2024: Target(80), 2025: Target(100), 2026: NO_TARGET,
    },
    "consulting_plans": {
        2023: Target(2), 2024: Target(4), 2025: Target(6), 2026: NO_TARGET,
    },
    "expert_initiatives": {
        2023: Target(12, original=6), 2024: Target(24), 2025: Target(36), 2026: Target(48),
    },
}
PLAN_YEARS: tuple[int, ...] = (2023, 2024, 2025, 2026)

SUPPORT_KPI_LABELS: dict[str, tuple[str, str]] = {
    "supported_initiatives": (
        "デジタル統括室が支援したDX取組数（累計）",
        "DX initiatives supported by the Digital Office (cumulative)",
    ),
    "consulting_plans": (
        "コンサルティング事業者の支援で実行計画の策定に至った事業数（累計）",
        "Projects that reached an execution plan with a consulting firm (cumulative)",
    ),
    "expert_initiatives": (
        "外部専門人材が参画した取組数（累計）",
        "Initiatives an external expert took part in (cumulative)",
    ),
}
# How each figure is counted, shown beside it so nobody has to guess.
SUPPORT_KPI_RULES: dict[str, tuple[str, str]] = {
    "supported_initiatives": (
        "所属長が「DX取組として進める」と決定した案件。最初に決定した日の年度で数えます。",
        "Cases whose manager decided to go ahead, counted in the FY of the first decision.",
    ),
    "consulting_plans": (
        "コンサルティング事業者が支援体制に入り、実行計画が承認された案件。最初の承認日の年度で数えます。",
        "Cases with a consulting firm as supporter whose execution plan was approved, counted "
        "in the FY of the first approval.",
    ),
    "expert_initiatives": (
        "外部専門人材が支援体制に加わった案件。最初に加わった日の年度で数えます。",
        "Cases an external expert joined as supporter, counted in the FY the expert joined.",
    ),
}


def support_kpi_label(key: str, lang: str = "ja") -> str:
    ja, en = SUPPORT_KPI_LABELS[key]
    return en if lang == "en" else ja


def support_kpi_rule(key: str, lang: str = "ja") -> str:
    ja, en = SUPPORT_KPI_RULES[key]
    return en if lang == "en" else ja


def fiscal_year_start(fy: int) -> datetime:
    """April 1, 00:00 in Tokyo: the instant fiscal year ``fy`` begins."""
    return datetime(fy, 4, 1, tzinfo=TOKYO)


# --- the three support KPIs -----------------------------------------------------------------


@dataclass(frozen=True)
class KpiYear:
    """One support KPI in one fiscal year: the cumulative figure at its end, beside the target."""

    fiscal_year: int
    cumulative: int  # everything counted up to the end of the FY (up to now for the current one)
    added: int  # counted in this FY alone
    target: Target
    status: str  # "past" | "current" | "future"

    @property
    def achievement(self) -> float | None:
        """Cumulative figure as a share of the target (1.0 = reached), None without a target."""
        if self.target.value is None or self.target.value <= 0 or self.status == "future":
            return None
        return self.cumulative / self.target.value

    @property
    def reached(self) -> bool:
        return self.achievement is not None and self.achievement >= 1


def _first_times():
    """(kpi, at): when each case first counted for each support KPI; one row per case and KPI."""
    ev, sup = AuditEvent, Supporter
    transitions = ev.kind == "transition"
    go = select(literal_column("'supported_initiatives'").label("kpi"),
                func.min(ev.created_at).label("at")) \
        .where(transitions, ev.trigger == "decide_go").group_by(ev.case_id)
    with_consultant = exists().where(sup.case_id == ev.case_id, sup.kind == "consultant")
    plans = select(literal_column("'consulting_plans'"), func.min(ev.created_at)) \
        .where(transitions, ev.trigger == "approve_plan", with_consultant).group_by(ev.case_id)
    experts = select(literal_column("'expert_initiatives'"), func.min(sup.added_at)) \
        .where(sup.kind == "expert").group_by(sup.case_id)
    return union_all(go, plans, experts).subquery("firsts")


def support_kpis(session: Session, years=PLAN_YEARS, *,
                 now: datetime | None = None) -> dict[str, list[KpiYear]]:
    """The three support KPIs for each of ``years`` (ascending), in one statement."""
    now = now or utcnow()
    current = fiscal_year(now)
    years = sorted(set(years))
    ends = [years[0] - 1, *years]  # the year before gives the first year's "added"
    firsts = _first_times()
    columns = [
        func.sum(case((firsts.c.at < literal(fiscal_year_start(fy + 1), UTCDateTime()), 1),
                      else_=0)).label(f"to_{fy}")
        for fy in ends
    ]
    rows = {row[0]: row[1:] for row in
            session.execute(select(firsts.c.kpi, *columns).group_by(firsts.c.kpi))}
    result: dict[str, list[KpiYear]] = {}
    for key, targets in SUPPORT_KPI_TARGETS.items():
        totals = dict(zip(ends, (int(v or 0) for v in rows.get(key, [0] * len(ends))),
                          strict=True))
        result[key] = [
            KpiYear(
                fiscal_year=fy,
                cumulative=totals[fy],
                added=totals[fy] - totals[fy - 1],
                target=targets.get(fy, NO_TARGET),
                status="past" if fy < current else "current" if fy == current else "future",
            )
            for fy in years
        ]
    return result


# --- the flow: open cases, conversion, time in each phase ------------------------------------

FLOW_PHASES: tuple[str, ...] = ("consultation", "planning", "solution", "review")
OPEN_PHASES: tuple[str, ...] = (*FLOW_PHASES, "on_hold")
# The funnel's stages in order; "completed" is the closed_completed state alone.
FUNNEL_STAGES: tuple[str, ...] = (*FLOW_PHASES, "completed")

_PHASE_OF_STATE = {leaf: phase.name for phase in PHASES for leaf in phase.leaves}
_STAGE_RANK = {leaf: FUNNEL_STAGES.index(phase) + 1
               for leaf, phase in _PHASE_OF_STATE.items() if phase in FLOW_PHASES}
_STAGE_RANK["closed_completed"] = len(FUNNEL_STAGES)


def _phase_of(column):
    """SQL expression: the phase name of a state column (NULL for unknown states)."""
    return case(_PHASE_OF_STATE, value=column, else_=None)


class days_between(FunctionElement):  # noqa: N801 - reads as the SQL function it stands for
    """Days (fractional) from the first timestamp to the second, in SQL."""

    type = Float()
    inherit_cache = True


@compiles(days_between)
def _days_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@dataclass(frozen=True)
class DepartmentLoad:
    """Open cases of one bureau or ward, per phase."""

    department_id: int
    name: str
    name_en: str
    by_phase: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_phase.values())

    def label(self, lang: str = "ja") -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


@dataclass(frozen=True)
class PhaseDuration:
    phase: str
    median_days: float | None
    cases: int  # how many cases spent time in the phase


@dataclass(frozen=True)
class CaseTypeCount:
    case_type: str
    total: int
    open: int


@dataclass(frozen=True)
class FlowSnapshot:
    """Where the portfolio stands now."""

    open_by_phase: dict[str, int]
    open_by_department: list[DepartmentLoad]  # most open cases first
    reached: dict[str, int]  # funnel: cases that ever reached each stage
    durations: list[PhaseDuration]
    case_types: list[CaseTypeCount]  # most cases first

    @property
    def open_total(self) -> int:
        return sum(self.open_by_phase.values())

    @property
    def has_cases(self) -> bool:
        return self.reached.get(FUNNEL_STAGES[0], 0) > 0 or self.open_total > 0 or any(
            t.total for t in self.case_types)


def open_cases_by_department(session: Session) -> list[DepartmentLoad]:
    """Open cases per bureau and phase, busiest bureau first (one statement)."""
    phase = _phase_of(Case.state).label("phase")
    rows = session.execute(
        select(Department.id, Department.name, Department.name_en, Department.sort_order,
               phase, func.count())
        .join(Department, Department.id == Case.department_id)
        .where(Case.state.in_(OPEN_STATES))
        .group_by(Department.id, Department.name, Department.name_en, Department.sort_order,
                  phase)
    ).all()
    loads: dict[int, tuple[int, DepartmentLoad]] = {}
    for dept_id, name, name_en, order, phase_name, count in rows:
        if dept_id not in loads:
            loads[dept_id] = (order, DepartmentLoad(dept_id, name, name_en or "",
                                                    dict.fromkeys(OPEN_PHASES, 0)))
        loads[dept_id][1].by_phase[phase_name] += count
    ordered = sorted(loads.values(), key=lambda item: (-item[1].total, item[0], item[1].name))
    return [load for _order, load in ordered]


def reached_stages(session: Session) -> dict[str, int]:
    """How many cases ever reached each funnel stage, judged by the furthest one each reached.

    Going back (改善 sends a reviewed case to planning) does not un-reach a stage; a case
    imported straight into planning still counts as having passed consultation.
    """
    ev = AuditEvent
    rank = case(_STAGE_RANK, value=ev.to_state, else_=None)
    furthest = select(func.max(rank).label("rank")) \
        .where(ev.kind == "transition", ev.case_id.is_not(None)).group_by(ev.case_id).subquery()
    counts = dict(session.execute(
        select(furthest.c.rank, func.count()).where(furthest.c.rank.is_not(None))
        .group_by(furthest.c.rank)
    ).all())
    return {stage: sum(n for r, n in counts.items() if r >= i)
            for i, stage in enumerate(FUNNEL_STAGES, start=1)}


def median_days_in_phase(session: Session, *, now: datetime | None = None) -> list[PhaseDuration]:
    """Median days a case spends in each phase (all its stays added up; open stays up to now).

    One statement: LEAD pairs each transition with the next one of its case, and the median is
    picked with ROW_NUMBER, which SQLite and PostgreSQL both have (percentile_cont is
    PostgreSQL-only); only a handful of rows leave the database.
    """
    now = now or utcnow()
    ev = AuditEvent
    next_at = func.lead(ev.created_at).over(partition_by=ev.case_id,
                                            order_by=(ev.created_at, ev.id))
    stays = select(
        ev.case_id, _phase_of(ev.to_state).label("phase"), ev.created_at.label("since"),
        func.coalesce(next_at, literal(now, UTCDateTime())).label("until"),
    ).where(ev.kind == "transition", ev.case_id.is_not(None)).subquery("stays")
    per_case = select(
        stays.c.phase, func.sum(days_between(stays.c.since, stays.c.until)).label("days"),
    ).where(stays.c.phase.in_(FLOW_PHASES)).group_by(stays.c.case_id, stays.c.phase) \
        .subquery("per_case")
    ranked = select(
        per_case.c.phase, per_case.c.days,
        func.row_number().over(partition_by=per_case.c.phase, order_by=per_case.c.days)
        .label("rn"),
        func.count().over(partition_by=per_case.c.phase).label("n"),
    ).subquery("ranked")
    middle = and_(ranked.c.rn >= (ranked.c.n + 1) // 2, ranked.c.rn <= (ranked.c.n + 2) // 2)
    rows = {phase: (days, n) for phase, days, n in session.execute(
        select(ranked.c.phase, func.avg(ranked.c.days), func.max(ranked.c.n))
        .where(middle).group_by(ranked.c.phase)
    )}
    return [
        PhaseDuration(p, round(float(rows[p][0]), 1), int(rows[p][1])) if p in rows
        else PhaseDuration(p, None, 0)
        for p in FLOW_PHASES
    ]


def cases_by_type(session: Session) -> list[CaseTypeCount]:
    """Submitted cases per case type, with how many are open (one statement)."""
    is_open = case((Case.state.in_(OPEN_STATES), 1), else_=0)
    rows = session.execute(
        select(Case.case_type, func.count(), func.sum(is_open))
        .where(Case.state != "draft").group_by(Case.case_type)
    ).all()
    return sorted((CaseTypeCount(t, int(total), int(n_open or 0)) for t, total, n_open in rows),
                  key=lambda c: (-c.total, c.case_type))


def flow_snapshot(session: Session, *, now: datetime | None = None) -> FlowSnapshot:
    """Open cases per phase and bureau, the funnel, time per phase and case types: 4 statements."""
    departments = open_cases_by_department(session)
    by_phase = dict.fromkeys(OPEN_PHASES, 0)
    for load in departments:
        for phase, n in load.by_phase.items():
            by_phase[phase] += n
    return FlowSnapshot(
        open_by_phase=by_phase,
        open_by_department=departments,
        reached=reached_stages(session),
        durations=median_days_in_phase(session, now=now),
        case_types=cases_by_type(session),
    )
