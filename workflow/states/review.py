"""KPI評価: the initiative runs and is reviewed against its KPIs; 改善 sends it back to planning."""

from .base import Phase, transition
from .guards import review_submitted

REVIEW = Phase(
    "review",
    "KPI評価",
    "KPI review",
    {"monitoring": ("KPIモニタリング", "Monitoring")},
    (
        transition("improve", "review_monitoring", "planning_to_be",
                   ["dept_manager", "office_lead"],
                   "改善（企画に戻す）", "Improve (back to planning)", comment_required=True),
        transition("complete", "review_monitoring", "closed_completed",
                   ["dept_manager", "office_lead"], "達成として完了", "Complete",
                   guards=[review_submitted], style="primary"),
    ),
)
