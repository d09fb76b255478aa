"""企画・BPR: redesign the work from as-is to to-be, ending in an approved execution plan
(実行計画)."""

from .base import Phase, transition
from .guards import as_is_notes_present, assignee_present, plan_complete, to_be_notes_present

PLANNING = Phase(
    "planning",
    "企画・BPR",
    "Planning & BPR",
    {
        "as_is": ("現状分析（As-Is）", "As-is analysis"),
        "to_be": ("あるべき姿（To-Be）", "To-be design"),
        "plan": ("実行計画の作成", "Execution plan"),
        "approval": ("実行計画の承認待ち", "Plan approval"),
    },
    (
        transition("finish_as_is", "planning_as_is", "planning_to_be", ["requester", "office"],
                   "現状分析を完了", "Finish as-is", guards=[as_is_notes_present], style="primary"),
        transition("finish_to_be", "planning_to_be", "planning_plan", ["requester", "office"],
                   "あるべき姿を完了", "Finish to-be", guards=[to_be_notes_present],
                   style="primary"),
        transition("submit_plan", "planning_plan", "planning_approval", ["requester", "office"],
                   "実行計画を承認申請", "Submit plan", guards=[plan_complete], style="primary"),
        transition("return_plan", "planning_approval", "planning_plan", ["dept_manager"],
                   "実行計画を差し戻す", "Return plan", comment_required=True),
        # Counts as "reached an execution plan"; solution work needs an office member on it.
        transition("approve_plan", "planning_approval", "solution_selection", ["dept_manager"],
                   "実行計画を承認", "Approve plan", guards=[plan_complete, assignee_present],
                   style="primary"),
    ),
)
