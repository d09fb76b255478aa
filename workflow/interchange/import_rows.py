"""Reading a sheet's rows into initiative drafts, with every problem found in them.

One spreadsheet row per initiative, or one per KPI with the initiative's columns repeated
(or left blank, as merged cells read): rows with the same external id, or the same title and
bureau, or a blank title, belong to the initiative above them. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.fiscal import parse_fiscal_year
from workflow.interchange.headers import FIELDS, Column, ColumnPlan
from workflow.interchange.import_checks import InitiativeChecker
from workflow.interchange.import_drafts import (
    INITIATIVE_FIELDS,
    KPI_FIELDS,
    MAX_TEXT,
    Figure,
    InitiativeDraft,
    KpiDraft,
    choice,
    figure,
    figure_problem,
    key,
    text_of,
)
from workflow.interchange.import_status import PhaseRule
from workflow.vocabulary import KPI_DIRECTIONS

_DIRECTION_WORDS = {"増": "increase", "増やす": "increase", "増加": "increase", "up": "increase",
                    "減": "decrease", "減らす": "decrease", "減少": "decrease", "down": "decrease"}


@dataclass
class RowReader:
    """Turns a sheet's rows into initiative drafts; one instance per import."""

    plan: ColumnPlan
    resolve_department: Callable[[str], tuple[int | None, str | None, list[str], list[str]]]
    status_map: Mapping[str, PhaseRule] = field(default_factory=dict)
    drafts: list[InitiativeDraft] = field(default_factory=list)
    _by_key: dict[tuple, InitiativeDraft] = field(default_factory=dict)

    def add(self, number: int, cells: list[Any]) -> None:
        values: dict[str, tuple[Column, Any]] = {}
        per_year: list[tuple[Column, Any]] = []
        for column in self.plan.columns:
            if column.field in (None, "ignore"):
                continue
            value = cells[column.index] if column.index < len(cells) else None
            if column.fiscal_year is not None:
                per_year.append((column, value))
            else:
                values[column.field] = (column, value)
        draft = self._draft_for(number, values)
        if draft is None:
            return
        if draft.row != number:
            draft.rows.append(number)
        for name in INITIATIVE_FIELDS:
            if name in values:
                self._keep(draft, number, name, *values[name])
        self._kpi(draft, number, values, per_year)

    def _draft_for(self, number: int, values) -> InitiativeDraft | None:
        external = text_of(values.get("external_id", (None, None))[1])
        title = text_of(values.get("title", (None, None))[1])
        department = text_of(values.get("department", (None, None))[1])
        if not external and not title:
            if self.drafts:
                return self.drafts[-1]  # a KPI row under its initiative (merged cells read blank)
            draft = InitiativeDraft(number, [number])
            draft.error(number, FIELDS["title"][0], "件名（取組名）が空です",
                        "The title is empty")
            self.drafts.append(draft)
            return draft
        group = ("id", external) if external else ("title", key(title), key(department))
        draft = self._by_key.get(group)
        if draft is None:
            draft = InitiativeDraft(number, [number])
            self._by_key[group] = draft
            self.drafts.append(draft)
        return draft

    def _keep(self, draft: InitiativeDraft, number: int, name: str, column: Column,
              value: Any) -> None:
        text = text_of(value)
        if not text:
            return
        seen = draft.cells.get(name)
        if seen is None:
            draft.cells[name] = (number, column.header, value)
        elif key(text_of(seen[2])) != key(text):
            draft.error(number, column.header,
                        f"同じ取組の{seen[0]}行目と値が異なります（「{text_of(seen[2])[:30]}」と「{text[:30]}」）",
                        f"Differs from row {seen[0]} of the same initiative")

    def _kpi(self, draft: InitiativeDraft, number: int, values, per_year) -> None:
        name = text_of(values.get("kpi_name", (None, None))[1])
        kpi_cells = {k: v for k, v in values.items() if k in KPI_FIELDS and k != "kpi_name"}
        has_data = any(text_of(v) for _c, v in kpi_cells.values()) or any(
            text_of(v) for _c, v in per_year)
        if not name:
            if has_data:
                column = values["kpi_name"][0].header if "kpi_name" in values else "KPI名"
                draft.error(number, column, "KPIの値がありますがKPI名が空です",
                            "The row has KPI figures but no KPI name")
            return
        if any(k.name == name for k in draft.kpis):
            draft.error(number, values["kpi_name"][0].header,
                        f"KPI「{name}」が同じ取組に2回あります", f"KPI '{name}' appears twice")
            return
        kpi = KpiDraft(number, name[:MAX_TEXT])
        if len(name) > MAX_TEXT:
            draft.error(number, values["kpi_name"][0].header, "KPI名が長すぎます（300文字まで）",
                        "The KPI name is too long (300 characters)")
        kpi.unit = text_of(kpi_cells.get("unit", (None, None))[1])[:50]
        kpi.note = text_of(kpi_cells.get("kpi_note", (None, None))[1])
        self._direction(draft, number, kpi, kpi_cells.get("direction"))
        if "baseline" in kpi_cells:
            column, raw = kpi_cells["baseline"]
            kpi.baseline = self._figure(draft, number, column, raw)
            if kpi.baseline is None and text_of(raw):  # a printed dash: no baseline, as printed
                kpi.baseline = Figure(None, "－")
            kpi.baseline_label = column.note[:50]
        label_cell = text_of(kpi_cells.get("baseline_label", (None, None))[1])
        kpi.baseline_label = (label_cell or kpi.baseline_label)[:50]
        self._single_target(draft, number, kpi, kpi_cells)
        for column, raw in per_year:
            found = self._figure(draft, number, column, raw)
            if found is None:
                continue
            if column.field == "actual":
                kpi.actuals[column.fiscal_year] = found
            elif column.field == "original":
                target = kpi.targets.setdefault(column.fiscal_year, Figure(None))
                target.original = found.value
            else:
                kept = kpi.targets.get(column.fiscal_year)
                if kept is not None and kept.original is not None and found.original is None:
                    found.original = kept.original
                kpi.targets[column.fiscal_year] = found
        draft.kpis.append(kpi)

    def _direction(self, draft, number, kpi, cell) -> None:
        if cell is None or not text_of(cell[1]):
            return
        word = key(text_of(cell[1]))
        kpi.direction = _DIRECTION_WORDS.get(word) or choice(KPI_DIRECTIONS, word)
        if kpi.direction is None:
            draft.error(number, cell[0].header,
                        "増減の方向は「増やす」か「減らす」で書いてください",
                        "Direction must be increase or decrease")

    def _single_target(self, draft, number, kpi, kpi_cells) -> None:
        if "target" not in kpi_cells or not text_of(kpi_cells["target"][1]):
            return
        column, raw = kpi_cells["target"]
        fy_text = text_of(kpi_cells.get("target_fy", (None, None))[1])
        fy = parse_fiscal_year(fy_text) if fy_text else None
        if fy is None or not 2000 <= fy <= 2100:
            draft.error(number, column.header,
                        "目標値の年度が分かりません。「目標年度」列に年度を書くか、見出しを「2025年度目標」のようにしてください",
                        "No fiscal year for the target: add a target-year column or name the "
                        "column like 'FY2025 target'")
            return
        found = self._figure(draft, number, column, raw)
        if found is not None:
            kpi.targets[fy] = found

    def _figure(self, draft, number, column: Column, raw) -> Figure | None:
        found = figure(raw)
        problem = figure_problem(found)
        if problem is not None:
            draft.error(number, column.header, *problem)
            return None
        return found

    def finish(self) -> list[InitiativeDraft]:
        """Check each initiative's own fields once all its rows are read."""
        checker = InitiativeChecker(self.resolve_department, self.status_map)
        for draft in self.drafts:
            checker.check(draft)
        return self.drafts
