"""What is waiting on a user across all cases: their "my tasks" list, with due dates.

Who owes what (our reading of DESIGN.md's transition table), by the case's state:

- draft: the requester who wrote it; any requester of the bureau when the office registered it.
- consultation_submitted (triage): every office_lead; office members for unassigned cases and
  their own.
- consultation_hearing / _proposing (proposal): the assigned office member.
- consultation_study (decision) and planning_approval (plan_approval): the bureau's dept_manager.
- planning_as_is / _to_be / _plan (planning): the case's requester (any requester of the bureau
  when there is none) and the assigned office member.
- solution_* (solution): the assigned office member.
- an open KPI review of a case not closed (review): its owner, or the bureau's dept_manager when
  it has no owner.

Due dates count city business days from the move that created the work: triage 3 after the
(latest) submission, a decision 10 after the proposal was sent, plan approval 10 after the plan
was submitted; a review has its own due date. Everything is read in two queries whatever the
number of cases: one for case work, one for reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, false, func, literal, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from workflow import access
from workflow.business_days import add_business_days, business_days_between
from workflow.fiscal import TOKYO, fiscal_year_label
from workflow.models import AuditEvent, Case, Department, Review, User
from workflow.states import CLOSED_STATES, substate_label

# Kinds in the order a list groups them: decisions first, then deadlines, then daily work.
KINDS: dict[str, tuple[str, str]] = {
    "decision": ("提案への判断", "Decision on a proposal"),
    "plan_approval": ("実行計画の承認", "Plan approval"),
    "review": ("KPI評価", "KPI review"),
    "triage": ("新しい相談の受付", "New consultation to triage"),
    "proposal": ("提案の作成", "Proposal to write"),
    "planning": ("企画・BPRの作業", "Planning work"),
    "solution": ("ソリューション導入の推進", "Solution work"),
    "draft": ("下書きの提出", "Draft to submit"),
}
# The manager's go/no-go and approval: shown apart as 判断待ち.
DECISION_KINDS = frozenset({"decision", "plan_approval"})
# How many business days after the move that created the work it is due.
DUE_AFTER = {"consultation_submitted": 3, "consultation_study": 10, "planning_approval": 10}
# The move whose time starts that clock (a resumed hold does not restart it).
CLOCK_TRIGGER = {"consultation_submitted": "submit", "consultation_study": "send_proposal",
                 "planning_approval": "submit_plan"}
# "期限間近": due within this many business days.
SOON = 3

PROPOSAL_STATES = ("consultation_hearing", "consultation_proposing")
PLANNING_STATES = ("planning_as_is", "planning_to_be", "planning_plan")
SOLUTION_STATES = ("solution_selection", "solution_poc", "solution_rollout")
_KIND_OF_STATE = {
    "draft": "draft", "consultation_submitted": "triage", "consultation_study": "decision",
    "planning_approval": "plan_approval",
    **dict.fromkeys(PROPOSAL_STATES, "proposal"), **dict.fromkeys(PLANNING_STATES, "planning"),
    **dict.fromkeys(SOLUTION_STATES, "solution"),
}


@dataclass(frozen=True)
class CaseRef:
    """The few case fields a task list shows (read as columns, no ORM rows)."""

    id: int
    number: str
    title: str
    department: str
    department_en: str
    state: str

    def department_name(self, lang: str = "ja") -> str:
        return self.department_en if lang == "en" and self.department_en else self.department


@dataclass(frozen=True)
class Task:
    kind: str
    case: CaseRef
    due: date | None
    label_ja: str
    label_en: str
    overdue: bool
    due_soon: bool
    # Whose task it is: the user asked about (a substitute lists their principals' too).
    owner_id: int
    owner_name: str
    review_id: int | None = None

    def label(self, lang: str = "ja") -> str:
        return self.label_en if lang == "en" else self.label_ja

    @property
    def is_decision(self) -> bool:
        return self.kind in DECISION_KINDS


def kind_label(kind: str, lang: str = "ja") -> str:
    ja, en = KINDS.get(kind, (kind, kind))
    return en if lang == "en" else ja


def due_status(due: date | None, today: date) -> tuple[bool, bool]:
    """(overdue, due soon) of a due date seen on ``today``."""
    if due is None:
        return False, False
    if due < today:
        return True, False
    return False, business_days_between(today, due) <= SOON


def _tokyo_day(moment: datetime | None) -> date | None:
    return None if moment is None else moment.astimezone(TOKYO).date()


def _case_clause(user: User):
    """The WHERE clause picking the cases on which ``user`` owes the next move."""
    mine = Case.assignee_id == user.id
    if user.role == "requester":
        own = or_(Case.requester_id == user.id, Case.requester_id.is_(None))
        return and_(Case.department_id == user.department_id, own,
                    Case.state.in_(("draft", *PLANNING_STATES)))
    if user.role == "dept_manager":
        return and_(Case.department_id == user.department_id,
                    Case.state.in_(("consultation_study", "planning_approval")))
    if user.role in ("office", "office_lead"):
        new = Case.state == "consultation_submitted"
        if user.role == "office":
            new = and_(new, or_(Case.assignee_id.is_(None), mine))
        work = (*PROPOSAL_STATES, *PLANNING_STATES, *SOLUTION_STATES)
        assigned = and_(mine, Case.state.in_(work))
        return or_(new, assigned)
    return false()


def _case_tasks(session: Session, user: User, today: date) -> list[Task]:
    clock = (
        select(func.max(AuditEvent.created_at))
        .where(AuditEvent.case_id == Case.id, AuditEvent.kind == "transition",
               AuditEvent.trigger == sql_case(CLOCK_TRIGGER, value=Case.state, else_=literal("")))
        .correlate(Case).scalar_subquery()
    )
    rows = session.execute(
        select(Case.id, Case.number, Case.title, Case.state, Case.submitted_at,
               Department.name, Department.name_en, clock.label("clock_started"))
        .join(Department, Department.id == Case.department_id)
        .where(_case_clause(user), access.visibility_clause(user))
    ).all()
    tasks = []
    for row in rows:
        kind = _KIND_OF_STATE[row.state]
        started = row.clock_started or (row.submitted_at if kind == "triage" else None)
        due = (add_business_days(_tokyo_day(started), DUE_AFTER[row.state])
               if row.state in DUE_AFTER and started is not None else None)
        ja, en = _label(kind, row.state, resubmission=row.submitted_at is not None)
        tasks.append(_task(kind, row, due, ja, en, user, today))
    return tasks


def _label(kind: str, state: str, *, resubmission: bool = False) -> tuple[str, str]:
    if kind == "draft" and resubmission:
        return "差し戻された相談の再提出", "Revise and resubmit the consultation"
    if kind == "proposal":
        if state == "consultation_hearing":
            return "ヒアリングと提案の準備", "Hearing and preparing the proposal"
        return "提案の作成・送付", "Write and send the proposal"
    if kind in ("planning", "solution"):
        ja, en = KINDS[kind]
        return f"{ja}：{substate_label(state, 'ja')}", f"{en}: {substate_label(state, 'en')}"
    return KINDS[kind]


def _task(kind, row, due, ja, en, user, today, review_id=None) -> Task:
    overdue, soon = due_status(due, today)
    ref = CaseRef(row.id, row.number, row.title, row.name, row.name_en or "", row.state)
    return Task(kind, ref, due, ja, en, overdue, soon, user.id, user.name, review_id)


def _review_tasks(session: Session, user: User, today: date) -> list[Task]:
    owned = Review.owner_id == user.id
    if user.role == "dept_manager":
        owned = or_(owned, and_(Review.owner_id.is_(None),
                                Case.department_id == user.department_id))
    rows = session.execute(
        select(Case.id, Case.number, Case.title, Case.state, Department.name, Department.name_en,
               Review.id.label("review_id"), Review.fiscal_year, Review.period, Review.due_date)
        .join(Case, Case.id == Review.case_id)
        .join(Department, Department.id == Case.department_id)
        .where(Review.status == "open", owned, Case.state.not_in(CLOSED_STATES),
               access.visibility_clause(user))
    ).all()
    tasks = []
    for row in rows:
        period_ja = "" if row.period == "FY" else f" {row.period}"
        ja = f"KPI評価（{fiscal_year_label(row.fiscal_year, 'ja')}{period_ja}）"
        en = f"KPI review ({fiscal_year_label(row.fiscal_year, 'en')}{period_ja})"
        tasks.append(_task("review", row, row.due_date, ja, en, user, today, row.review_id))
    return tasks


def tasks_for(session: Session, user: User, today: date) -> list[Task]:
    """Everything waiting on ``user`` on ``today``, soonest due first (undated last)."""
    if user is None or not user.active:
        return []
    return sort_tasks(_case_tasks(session, user, today) + _review_tasks(session, user, today))


def sort_tasks(tasks: list[Task], by: str = "due") -> list[Task]:
    """Sort by ``due`` (undated last), case ``number`` or ``kind`` (the KINDS order)."""
    order = list(KINDS)
    by_due = lambda t: (t.due is None, t.due or date.min, t.case.number)  # noqa: E731
    keys = {
        "due": by_due,
        "number": lambda t: (t.case.number, order.index(t.kind)),
        "kind": lambda t: (order.index(t.kind), *by_due(t)),
    }
    return sorted(tasks, key=keys.get(by, by_due))


__all__ = ["DECISION_KINDS", "KINDS", "CaseRef", "Task", "due_status", "kind_label",
           "sort_tasks", "tasks_for"]
