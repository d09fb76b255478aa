"""The support process measuring itself: the three support KPIs per fiscal year, and the flow.

Computed live from the database in five aggregate statements whatever the number of cases
(never one per case), so the DX HQ dashboard stays fast with 10,000 cases. Drafts are private
to their bureau and never counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, and_, case, exists, func, literal, select, union_all
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


# --- what the figures are made of -----------------------------------------------------------

FLOW_PHASES: tuple[str, ...] = ("consultation", "planning", "solution", "review")
OPEN_PHASES: tuple[str, ...] = (*FLOW_PHASES, "on_hold")
# The funnel's stages in order; "completed" is the closed_completed state alone.
FUNNEL_STAGES: tuple[str, ...] = (*FLOW_PHASES, "completed")

_PHASE_OF_STATE = {leaf: phase.name for phase in PHASES for leaf in phase.leaves}
_FLOW_PHASE_OF_STATE = {leaf: p for leaf, p in _PHASE_OF_STATE.items() if p in FLOW_PHASES}
_STAGE_RANK = {leaf: FUNNEL_STAGES.index(phase) + 1
               for leaf, phase in _PHASE_OF_STATE.items() if phase in FLOW_PHASES}
_STAGE_RANK["closed_completed"] = len(FUNNEL_STAGES)


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
        return any(t.total for t in self.case_types) or self.reached[FUNNEL_STAGES[0]] > 0


@dataclass(frozen=True)
class PortfolioFigures:
    """Everything the DX HQ dashboard shows, computed at ``as_of``."""

    as_of: datetime
    years: list[int]
    support: dict[str, list[KpiYear]]
    flow: FlowSnapshot


# --- SQL building blocks --------------------------------------------------------------------


class julian_day(FunctionElement):  # noqa: N801 - reads as the SQL function it stands for
    """A timestamp as a number of days (fractional), in SQL; only differences are meaningful."""

    type = Float()
    inherit_cache = True


@compiles(julian_day)
def _julian_day_sqlite(element, compiler, **kw):
    return f"julianday({compiler.process(element.clauses, **kw)})"


@compiles(julian_day, "postgresql")
def _julian_day_postgresql(element, compiler, **kw):
    return f"(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) / 86400.0)"


def _at(moment: datetime):
    return literal(moment, UTCDateTime())


def _by_fy_end(at, ends: list[int], *conditions) -> list:
    """SUM columns: how many rows have ``at`` before the end of each fiscal year in ``ends``."""
    return [func.sum(case((and_(at < _at(fiscal_year_start(fy + 1)), *conditions), 1), else_=0))
            for fy in ends]


def _state_events():
    """Audit events that put a case into a state: transitions, and the 'created' or 'imported'
    event a case starts with (an imported case may start in planning or later).

    Selected by ``to_state`` rather than ``kind``: most events are state events, and on SQLite
    the kind index then costs a random lookup per row where a plain scan reads in order.
    """
    return and_(AuditEvent.to_state.is_not(None), AuditEvent.case_id.is_not(None))


def _milestones():
    """Per case: the first decide_go, the first approve_plan and the furthest funnel stage
    reached. One grouped scan serves two KPIs and the funnel."""
    ev = AuditEvent
    return select(
        ev.case_id,
        func.max(case(_STAGE_RANK, value=ev.to_state, else_=0)).label("furthest"),
        func.min(case((ev.trigger == "decide_go", ev.created_at))).label("decided_at"),
        func.min(case((ev.trigger == "approve_plan", ev.created_at))).label("approved_at"),
    ).where(_state_events()).group_by(ev.case_id) \
        .subquery("milestones")


# --- the statements -------------------------------------------------------------------------


def _milestone_counts(session: Session, ends: list[int]):
    """(decided by each FY end, plan approved with a consulting firm by each FY end, funnel).

    The funnel judges each case by the furthest stage it reached: going back (改善 sends a
    reviewed case to planning) does not un-reach a stage.
    """
    m = _milestones()
    with_firm = exists().where(Supporter.case_id == m.c.case_id, Supporter.kind == "consultant")
    reached = [func.sum(case((m.c.furthest >= rank, 1), else_=0))
               for rank in range(1, len(FUNNEL_STAGES) + 1)]
    row = [int(v or 0) for v in session.execute(select(
        *_by_fy_end(m.c.decided_at, ends), *_by_fy_end(m.c.approved_at, ends, with_firm),
        *reached,
    )).one()]
    n = len(ends)
    return (dict(zip(ends, row[:n], strict=True)), dict(zip(ends, row[n:2 * n], strict=True)),
            dict(zip(FUNNEL_STAGES, row[2 * n:], strict=True)))


def _expert_counts(session: Session, ends: list[int]) -> dict[int, int]:
    """Cases with an external expert by each FY end, counted when the first expert joined."""
    first = select(func.min(Supporter.added_at).label("at")) \
        .where(Supporter.kind == "expert").group_by(Supporter.case_id).subquery("experts")
    row = session.execute(select(*_by_fy_end(first.c.at, ends))).one()
    return dict(zip(ends, (int(v or 0) for v in row), strict=True))


def open_cases_by_department(session: Session) -> list[DepartmentLoad]:
    """Open cases per bureau and phase, busiest bureau first."""
    rows = session.execute(
        select(Department.id, Department.name, Department.name_en, Department.sort_order,
               Case.state, func.count())
        .join(Department, Department.id == Case.department_id)
        .where(Case.state.in_(OPEN_STATES))
        .group_by(Department.id, Department.name, Department.name_en, Department.sort_order,
                  Case.state)
    ).all()
    loads: dict[int, tuple[int, DepartmentLoad]] = {}
    for dept_id, name, name_en, order, state, count in rows:
        if dept_id not in loads:
            loads[dept_id] = (order, DepartmentLoad(dept_id, name, name_en or "",
                                                    dict.fromkeys(OPEN_PHASES, 0)))
        loads[dept_id][1].by_phase[_PHASE_OF_STATE[state]] += count
    ordered = sorted(loads.values(), key=lambda item: (-item[1].total, item[0], item[1].name))
    return [load for _order, load in ordered]


def median_days_in_phase(session: Session, *, now: datetime | None = None) -> list[PhaseDuration]:
    """Median days a case spends in each phase (all its stays added up; open stays up to now).

    Each state event leaves the state the previous one entered (``from_state`` is the case's
    state when it fired), so a case's time in a phase is the sum of the times it left the
    phase, minus the times it entered it, plus now if it is still there; moves inside a phase
    cancel out. That needs no ordering by time, which on SQLite halves the cost of pairing
    each event with the next (LEAD). Time on hold belongs to no phase. The median is picked
    with ROW_NUMBER (percentile_cont is PostgreSQL-only): four rows leave the database.
    """
    ev = AuditEvent
    t = julian_day(ev.created_at)
    known, flow_states = ev.case_id.is_not(None), list(_FLOW_PHASE_OF_STATE)
    moves = union_all(
        select(ev.case_id, case(_FLOW_PHASE_OF_STATE, value=ev.to_state).label("phase"),
               (-t).label("t"), literal(1).label("n")).where(ev.to_state.in_(flow_states), known),
        select(ev.case_id, case(_FLOW_PHASE_OF_STATE, value=ev.from_state), t, literal(-1))
        .where(ev.from_state.in_(flow_states), known),
    ).subquery("moves")
    still_there = func.sum(moves.c.n) * julian_day(_at(now or utcnow()))
    per_case = select(moves.c.phase, (func.sum(moves.c.t) + still_there).label("days")) \
        .group_by(moves.c.case_id, moves.c.phase) \
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
    return [PhaseDuration(p, round(float(rows[p][0]), 1), int(rows[p][1])) if p in rows
            else PhaseDuration(p, None, 0) for p in FLOW_PHASES]


def cases_by_type(session: Session) -> list[CaseTypeCount]:
    """Submitted cases per case type, with how many are open."""
    is_open = case((Case.state.in_(OPEN_STATES), 1), else_=0)
    rows = session.execute(
        select(Case.case_type, func.count(), func.sum(is_open))
        .where(Case.state != "draft").group_by(Case.case_type)
    ).all()
    return sorted((CaseTypeCount(t, int(total), int(n_open or 0)) for t, total, n_open in rows),
                  key=lambda c: (-c.total, c.case_type))


# --- putting it together --------------------------------------------------------------------


def _kpi_years(totals: dict[int, int], targets: dict[int, Target], years: list[int],
               current: int) -> list[KpiYear]:
    return [
        KpiYear(fiscal_year=fy, cumulative=totals[fy], added=totals[fy] - totals[fy - 1],
                target=targets.get(fy, NO_TARGET),
                status="past" if fy < current else "current" if fy == current else "future")
        for fy in years
    ]


def portfolio_figures(session: Session, years=PLAN_YEARS, *,
                      now: datetime | None = None) -> PortfolioFigures:
    """The support KPIs for each of ``years`` (cumulative to each FY's end) and the flow now."""
    now = now or utcnow()
    years = sorted(set(years))
    ends = [years[0] - 1, *years]  # the year before gives the first year's "added"
    decided, approved, reached = _milestone_counts(session, ends)
    totals = {"supported_initiatives": decided, "consulting_plans": approved,
              "expert_initiatives": _expert_counts(session, ends)}
    current = fiscal_year(now)
    support = {key: _kpi_years(totals[key], targets, years, current)
               for key, targets in SUPPORT_KPI_TARGETS.items()}
    departments = open_cases_by_department(session)
    by_phase = {p: sum(d.by_phase[p] for d in departments) for p in OPEN_PHASES}
    flow = FlowSnapshot(open_by_phase=by_phase, open_by_department=departments, reached=reached,
                        durations=median_days_in_phase(session, now=now),
                        case_types=cases_by_type(session))
    return PortfolioFigures(as_of=now, years=years, support=support, flow=flow)


def data_version(session: Session) -> tuple:
    """Changes whenever a figure may have: every transition, creation or edit of a case moves
    its ``updated_at`` (indexed), and supporters (which the expert KPI reads directly) are
    counted too; sign-ins and other audit events leave it alone. One cheap statement."""
    return tuple(session.execute(select(
        select(func.max(Case.updated_at)).scalar_subquery(),
        select(func.count(Supporter.id)).scalar_subquery(),
        select(func.max(Supporter.id)).scalar_subquery(),
        select(func.count(Case.id)).scalar_subquery(),
    )).one())
