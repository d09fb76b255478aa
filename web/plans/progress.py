"""What the plan still needs, and the next move out of the current planning state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from workflow import access, engine
from workflow.fiscal import fiscal_year
from workflow.models import Case, Plan, User
from workflow.states import BY_TRIGGER, Reason, Transition
from workflow.states.guards import plan_reasons

# The moves the plan page offers, per planning state (the case page offers all the others).
STEP_TRIGGERS = {
    "planning_as_is": ("finish_as_is",),
    "planning_to_be": ("finish_to_be",),
    "planning_plan": ("submit_plan",),
    "planning_approval": ("approve_plan", "return_plan"),
}
APPROVAL_STATES = frozenset({"planning_as_is", "planning_to_be", "planning_plan"})


@dataclass
class Step:
    """A move out of the current state, what still blocks it, and whom the user acts as."""

    transition: Transition
    reasons: list[Reason]
    principal: User | None  # None: the user may not make this move

    @property
    def ready(self) -> bool:
        return not self.reasons


@dataclass
class PlanProgress:
    current_fy: int
    years: tuple[int, ...]  # the fiscal years a target can be entered for
    submit_reasons: list[Reason]  # what submit_plan still needs (plan_reasons)
    show_submit_reasons: bool  # before the plan has gone to approval
    steps: list[Step] = field(default_factory=list)


def target_years(now: datetime) -> tuple[int, ...]:
    """The fiscal years a target can be entered for: this one and the next three."""
    fy = fiscal_year(now)
    return tuple(range(fy, fy + 4))


def blank_plan() -> Plan:
    """An unsaved, empty plan, so a case without one lists everything that is missing."""
    return Plan(kgi="", kgi_note="", outcome="", as_is_notes="", to_be_notes="",
                security_checklist={}, kpis=[])


def plan_progress(session: Session, case: Case, plan: Plan | None, principals: list[User],
                  now: datetime) -> PlanProgress:
    fy = fiscal_year(now)
    submit_reasons = plan_reasons(plan or blank_plan(), fy)
    steps = []
    for trigger in STEP_TRIGGERS.get(case.state, ()):
        t = BY_TRIGGER[trigger]
        principal = next((p for p in principals if p.role in t.roles
                          and access.can_change(session, p, case)), None)
        reasons = submit_reasons if trigger == "submit_plan" else engine.guard_reasons(
            session, t, case, now=now, actor=principal)
        steps.append(Step(t, reasons, principal))
    return PlanProgress(fy, target_years(now), submit_reasons,
                        case.state in APPROVAL_STATES, steps)
