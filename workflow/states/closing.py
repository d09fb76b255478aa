"""Moves open to every phase: hold and resume, withdraw; and the closed states with reopen."""

from .base import Phase, transition
from .consultation import CONSULTATION
from .planning import PLANNING
from .review import REVIEW
from .solution import SOLUTION

OPEN_AFTER_DRAFT = tuple(
    leaf for phase in (CONSULTATION, PLANNING, SOLUTION, REVIEW) for leaf in phase.leaves
)

ON_HOLD = Phase(
    "on_hold",
    "保留",
    "On hold",
    {},
    (
        transition("hold", OPEN_AFTER_DRAFT, "on_hold", ["office", "office_lead"],
                   "保留にする", "Put on hold", comment_required=True),
        # Returns to the exact sub-state the case left (Case.hold_return_state).
        transition("resume", "on_hold", None, ["office", "office_lead"], "再開", "Resume",
                   style="primary"),
    ),
)

CLOSED = Phase(
    "closed",
    "完了",
    "Closed",
    {
        "completed": ("完了（達成）", "Completed"),
        "withdrawn": ("取下げ・見送り", "Withdrawn"),
        "rejected": ("対象外", "Rejected"),
    },
    (
        transition("withdraw", (*OPEN_AFTER_DRAFT, "on_hold"), "closed_withdrawn",
                   ["requester", "dept_manager"], "取り下げる", "Withdraw",
                   comment_required=True, style="danger"),
        transition("reopen", ["closed_completed", "closed_withdrawn", "closed_rejected"],
                   "consultation_hearing", ["office_lead"], "再開（相談に戻す）", "Reopen",
                   comment_required=True),
    ),
)
