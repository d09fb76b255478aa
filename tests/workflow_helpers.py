"""Helpers the workflow tests share: a filled-in draft, a complete plan, a case walked to a state.

Everything goes through the real domain functions (``create_case``, ``update_case``,
``update_plan``, ``save_kpi``, ``engine.fire``); only KPI reviews are written directly with
the ``Review`` model, because the reviews module comes later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from workflow import engine
from workflow.cases import create_case, update_case
from workflow.fiscal import fiscal_year
from workflow.models import AuditEvent, Case, Review
from workflow.plans import KpiInput, plan_for, save_kpi, update_plan
from workflow.states import BY_TRIGGER, OPEN_STATES
from workflow.vocabulary import SECURITY_CHECKLIST

# A plain working day in FY2025 (2025-06-02 10:00 JST).
NOW = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
KPI_NAME = "オンライン化する手続き数"
COMMENT = "確認しました"
PROPOSAL = "電子申請システムの導入を提案します（過去事例 DX-2024-0003 参照）"

# The way forward: (trigger, role that fires it, state it leads to).
HAPPY_PATH: tuple[tuple[str, str, str], ...] = (
    ("submit", "requester", "consultation_submitted"),
    ("accept", "office", "consultation_hearing"),
    ("draft_proposal", "office", "consultation_proposing"),
    ("send_proposal", "office", "consultation_study"),
    ("decide_go", "dept_manager", "planning_as_is"),
    ("finish_as_is", "requester", "planning_to_be"),
    ("finish_to_be", "requester", "planning_plan"),
    ("submit_plan", "requester", "planning_approval"),
    ("approve_plan", "dept_manager", "solution_selection"),
    ("start_poc", "office", "solution_poc"),
    ("start_rollout", "office", "solution_rollout"),
    ("go_live", "office", "review_monitoring"),
    ("complete", "dept_manager", "closed_completed"),
)
HAPPY_STATES: tuple[str, ...] = ("draft", *(to for _t, _r, to in HAPPY_PATH))

# States off the happy path, reached from the case's current state by one move.
# (trigger, role, the state to walk to first when the current one cannot fire it)
SIDE_MOVES: dict[str, tuple[str, str, str]] = {
    "on_hold": ("hold", "office", "consultation_submitted"),
    "closed_withdrawn": ("withdraw", "requester", "consultation_submitted"),
    "closed_rejected": ("reject", "office_lead", "consultation_submitted"),
}


def new_case(session, requester, *, now: datetime = NOW, **fields) -> Case:
    """A draft of ``requester``'s bureau with every field ``submit`` requires filled in."""
    values = {
        "title": "窓口手続のオンライン化",
        "description": "申請書の受付から審査までを電子化したい",
        "current_problem": "紙の申請書を手入力しており、処理に時間がかかる",
        "desired_outcome": "来庁せずに申請でき、職員の入力作業がなくなる",
        "case_type": "dx_project",
        "priority": "normal",
        "category": "service",
        "values": ["service", "shigoto"],
    }
    values.update(fields)
    return create_case(session, requester, values, now=now)


def complete_plan(session, case: Case, actor, now: datetime = NOW) -> None:
    """Fill the plan so every planning guard passes at ``now``: notes, KGI, a KPI, the checklist.

    The case must be in a planning state the plan may be edited in; a KPI is added only
    when the plan has none yet, so calling this twice changes nothing the second time.
    """
    update_plan(session, case, actor, {
        "as_is_notes": "申請の7割が紙で、入力に1件15分かかっている",
        "to_be_notes": "オンライン申請を標準とし、入力作業をなくす",
        "kgi": "2030年度までに行政手続のオンライン化率100%",
        "security_checklist": dict.fromkeys(SECURITY_CHECKLIST, "yes"),
    }, now=now)
    plan = plan_for(session, case)
    if not plan.kpis:
        save_kpi(session, case, actor, KpiInput(
            name=KPI_NAME, unit="件", baseline=Decimal(120), baseline_label="2023年度現在",
            targets={fiscal_year(now): Decimal(300)},
        ), now=now)


def submit_review(session, case: Case, owner, now: datetime = NOW) -> Review:
    """A submitted KPI review of the case (written directly: the reviews module comes later)."""
    review = Review(
        case_id=case.id, owner_id=owner.id, fiscal_year=fiscal_year(now) - 1, period="FY",
        due_date=(now - timedelta(days=30)).date(), status="submitted", assessment="achieved",
        comment="目標を達成した", submitted_at=now, submitted_by_id=owner.id,
    )
    session.add(review)
    session.commit()
    return review


def has_submitted_review(session, case: Case) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Review).where(
        Review.case_id == case.id, Review.status == "submitted")))


def satisfy_guards(session, case: Case, people, now: datetime = NOW) -> None:
    """Make the guards of the moves out of the case's current state pass (as far as data can)."""
    state = case.state
    if state == "consultation_proposing" and not case.proposal_text:
        update_case(session, case, people["office"], {"proposal_text": PROPOSAL}, now=now)
    elif state in {"planning_as_is", "planning_to_be", "planning_plan"}:
        complete_plan(session, case, people["requester"], now)
    elif state == "planning_approval" and case.assignee_id is None:
        # A reopened case may never have been accepted: the office lead assigns someone.
        update_case(session, case, people["office_lead"], {"assignee_id": people["office"].id},
                    now=now)
    elif state == "review_monitoring" and not has_submitted_review(session, case):
        submit_review(session, case, people["dept_manager"], now)


def fire_as(session, case: Case, trigger: str, actor, now: datetime = NOW, **kwargs):
    """Fire with a comment whenever the transition requires one."""
    if BY_TRIGGER[trigger].comment_required:
        kwargs.setdefault("comment", COMMENT)
    return engine.fire(session, case, trigger, actor, now=now, **kwargs)


def walk_to(session, case: Case, state: str, people, now: datetime = NOW, *,
            satisfy: bool = True) -> Case:
    """Drive ``case`` forward through the real engine, with the right role at each step.

    Happy-path states are reached from wherever the case is on the happy path; ``on_hold``,
    ``closed_withdrawn`` and ``closed_rejected`` are one move from the current state (from
    ``consultation_submitted`` when the current state cannot make that move). On arrival the
    guards of the way forward are satisfied too (see ``satisfy_guards``) unless ``satisfy``
    is false.
    """
    if state in SIDE_MOVES:
        trigger, role, first = SIDE_MOVES[state]
        if case.state not in BY_TRIGGER[trigger].sources:
            walk_to(session, case, first, people, now)
        fire_as(session, case, trigger, people[role], now)
    elif state in HAPPY_STATES:
        if case.state not in HAPPY_STATES:
            raise ValueError(f"{case.state} is not on the happy path")
        start, goal = HAPPY_STATES.index(case.state), HAPPY_STATES.index(state)
        if goal < start:
            raise ValueError(f"cannot walk back from {case.state} to {state}")
        for trigger, role, to_state in HAPPY_PATH[start:goal]:
            satisfy_guards(session, case, people, now)
            result = fire_as(session, case, trigger, people[role], now)
            assert result.to_state == to_state, (trigger, result)
    else:
        raise ValueError(f"walk_to does not know how to reach {state}")
    assert case.state == state, (case.state, state)
    if satisfy and state in OPEN_STATES:
        satisfy_guards(session, case, people, now)
    return case


def case_events(session, case: Case, kind: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    if kind is not None:
        query = query.where(AuditEvent.kind == kind)
    return list(session.scalars(query))


def count_events(session, case: Case) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.case_id == case.id))


def snapshot(session, case: Case) -> tuple[str, int, int]:
    """(state, version, number of audit events) as stored in the database."""
    row = session.execute(select(Case.state, Case.version).where(Case.id == case.id)).one()
    return row.state, row.version, count_events(session, case)
