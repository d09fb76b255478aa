"""JSON in the action-plan data's shape (``workflow/data/action_plan.json``) as import rows.

Each item is one initiative; its "row" in the report is its position in the list (from 1).
External ids are the action plan's own (AP2024-<page>-<n>, as the demo uses them) unless an
item carries an ``external_id``, so importing the plan into a demo database updates the
demo's cases instead of duplicating them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from workflow.interchange.import_drafts import Figure, InitiativeDraft, KpiDraft
from workflow.interchange.import_rows import RowReader
from workflow.portfolio.action_plan import PlanKpi, parse_action_plan

_KEYS = {"title": "title", "external_id": "external_id", "category": "category",
         "summary": "description", "status": "status", "kgi": "kgi", "kgi_note": "kgi_note",
         "outcome": "outcome", "state": "state", "priority": "priority", "case_type": "case_type"}


def _kpi(row: int, kpi: PlanKpi) -> KpiDraft:
    # Named as the demo names them, so a re-import finds the demo's KPIs.
    name = kpi.name or ("取組の段階" if kpi.kind == "milestone" else "数値目標")
    if kpi.segment:
        name = f"{name}（{kpi.segment}）"
    targets = {}
    for fy in sorted(set(kpi.targets) | set(kpi.target_texts)):
        value, text = kpi.targets.get(fy), kpi.target_texts.get(fy, "")
        if value is not None or text:
            targets[fy] = Figure(value, "" if value is not None else text,
                                 kpi.original_targets.get(fy))
    baseline = None
    if kpi.baseline is not None or kpi.baseline_text:
        baseline = Figure(kpi.baseline, "" if kpi.baseline is not None else kpi.baseline_text)
    return KpiDraft(row, name[:300], unit=(kpi.unit or "")[:50], direction=kpi.direction,
                    baseline=baseline or Figure(None, "－"),
                    baseline_label=(kpi.baseline_label or "")[:50], note=kpi.note or "",
                    targets=targets)


def drafts_from_records(records: list[dict[str, Any]], reader: RowReader) -> list[InitiativeDraft]:
    """One draft per item; an item that is not an initiative becomes a draft with an error."""
    pages: Counter[int] = Counter()
    drafts = []
    for n, item in enumerate(records, start=1):
        draft = InitiativeDraft(n, [n])
        drafts.append(draft)
        if not isinstance(item.get("title"), str) or not item["title"].strip():
            draft.error(n, "title", "件名（title）がありません", "The item has no title")
            continue
        try:
            page = int(item.get("page") or 0)
            pages[page] += 1
            shaped = {"group": "", "category": "", **item, "page": page}
            initiative = parse_action_plan([shaped])[0]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            draft.error(n, None, f"取組として読めません（{type(exc).__name__}: {exc}）",
                        f"Not an initiative ({type(exc).__name__}: {exc})")
            continue
        initiative = replace(initiative, external_id=str(
            item.get("external_id") or f"AP2024-{page:03d}-{pages[page]}"))
        cells = {key: item.get(key) for key in _KEYS}
        cells["external_id"] = initiative.external_id
        cells["summary"] = initiative.summary
        cells["status"] = initiative.status_text
        for key, name in _KEYS.items():
            if cells.get(key) not in (None, ""):
                draft.cells[name] = (n, key, cells[key])
        if initiative.departments:
            draft.cells["department"] = (n, "departments", "・".join(initiative.departments))
        if initiative.values:
            draft.cells["values"] = (n, "values", "・".join(initiative.values))
        draft.kpis = [_kpi(n, k) for k in initiative.kpis]
        names = [k.name for k in draft.kpis]
        for name in {x for x in names if names.count(x) > 1}:
            draft.error(n, "kpis", f"KPI「{name}」が2回あります", f"KPI '{name}' appears twice")
    reader.drafts = [d for d in drafts if not d.invalid]
    reader.finish()
    return drafts
