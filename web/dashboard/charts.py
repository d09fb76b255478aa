"""The dashboard's chart data: labels in the reader's language, read by static/js/dashboard.js.

The page embeds it as a JSON data island (``<script type="application/json">``), which the
browser never executes, so the Content-Security-Policy's ban on inline scripts still holds.
"""

from __future__ import annotations

from flask_babel import gettext as _

from web.presenters import phase_label
from workflow import vocabulary
from workflow.reports import metrics
from workflow.states import substate_label

TOP_DEPARTMENTS = 15


def stage_label(stage: str, lang: str) -> str:
    if stage == "completed":
        return substate_label("closed_completed", lang)
    return phase_label(stage)


def chart_data(flow: metrics.FlowSnapshot, lang: str) -> dict:
    """Everything the four charts (and the case-type chart) draw, as plain JSON values."""
    top = flow.open_by_department[:TOP_DEPARTMENTS]
    return {
        "units": {"cases": _("件"), "days": _("日")},
        "phases": {
            "keys": list(metrics.OPEN_PHASES),
            "labels": [phase_label(p) for p in metrics.OPEN_PHASES],
            "values": [flow.open_by_phase[p] for p in metrics.OPEN_PHASES],
        },
        "departments": {
            "labels": [d.label(lang) for d in top],
            "datasets": [
                {"key": p, "label": phase_label(p), "values": [d.by_phase[p] for d in top]}
                for p in metrics.OPEN_PHASES
            ],
        },
        "funnel": {
            "keys": list(metrics.FUNNEL_STAGES),
            "labels": [stage_label(s, lang) for s in metrics.FUNNEL_STAGES],
            "values": [flow.reached[s] for s in metrics.FUNNEL_STAGES],
        },
        "durations": {
            "keys": [d.phase for d in flow.durations],
            "labels": [phase_label(d.phase) for d in flow.durations],
            "values": [d.median_days for d in flow.durations],
        },
        "case_types": {
            "keys": [t.case_type for t in flow.case_types],
            "labels": [vocabulary.label(vocabulary.CASE_TYPES, t.case_type, lang)
                       for t in flow.case_types],
            "values": [t.total for t in flow.case_types],
        },
    }
