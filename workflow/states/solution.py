"""ソリューション導入: select (fit & gap, procurement), often a PoC (実証), then roll out."""

from .base import Phase, transition

SOLUTION = Phase(
    "solution",
    "ソリューション導入",
    "Solution introduction",
    {
        "selection": ("選定・調達", "Selection"),
        "poc": ("実証（PoC）", "Proof of concept"),
        "rollout": ("導入・横展開", "Roll-out"),
    },
    (
        transition("start_poc", "solution_selection", "solution_poc", ["office"],
                   "実証を開始", "Start PoC"),
        transition("start_rollout", ["solution_selection", "solution_poc"], "solution_rollout",
                   ["office"], "導入を開始", "Start roll-out", style="primary"),
        # Entering KPI review creates the review obligations (an effect, see workflow.reviews).
        transition("go_live", "solution_rollout", "review_monitoring", ["office", "dept_manager"],
                   "運用開始（KPI評価へ）", "Go live", style="primary"),
    ),
)
