"""What an import file says, initiative by initiative, with every problem found in it.

One spreadsheet row per initiative, or one per KPI with the initiative's columns repeated
(or left blank, as merged cells read): rows with the same external id, or the same title and
bureau, or a blank title, belong to the initiative above them. Nothing here writes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from workflow.fiscal import parse_fiscal_year
from workflow.portfolio.action_plan import infer_direction, is_blank, parse_number, split_revised
from workflow.portfolio.headers import FIELDS, Column, ColumnPlan
from workflow.portfolio.import_status import PhaseRule, read_status
from workflow.states import CLOSED_STATES, OPEN_STATES
from workflow.vocabulary import CASE_TYPES, CATEGORIES, KPI_DIRECTIONS, PRIORITIES, VALUES

MAX_NUMBER = Decimal("1e14")  # KPI columns are Numeric(18, 4)
MAX_TEXT = 300
MAX_EXTERNAL_ID = 100
MAX_TITLE = 200
CASE_TEXT_FIELDS = ("description", "current_problem", "desired_outcome")
PLAN_TEXT_FIELDS = ("kgi", "kgi_note", "outcome")
INITIATIVE_FIELDS = ("external_id", "title", "department", "status", "phase", "state",
                     "hold_return_state", "category", "case_type", "priority", "values",
                     *CASE_TEXT_FIELDS, *PLAN_TEXT_FIELDS)
KPI_FIELDS = ("kpi_name", "unit", "direction", "baseline", "baseline_label", "target_fy",
              "target", "kpi_note")
_DIRECTION_WORDS = {"増": "increase", "増やす": "increase", "増加": "increase", "up": "increase",
                    "減": "decrease", "減らす": "decrease", "減少": "decrease", "down": "decrease"}
_PLAIN_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")
_VALUE_SEPARATORS = str.maketrans(dict.fromkeys("・、,，;；/／\n", " "))


@dataclass(frozen=True)
class Issue:
    """A problem with a row (or a column): errors stop the row, warnings are only reported."""

    row: int | None
    column: str | None
    ja: str
    en: str
    level: str = "error"
    code: str = ""  # "unknown_status": ``value`` is a word the user may map (--status-map)
    value: str = ""

    def text(self, lang: str = "ja") -> str:
        return self.en if lang == "en" else self.ja


@dataclass
class Figure:
    """A baseline, target or actual: a number, or the text printed in its place."""

    value: Decimal | None
    text: str = ""
    original: Decimal | None = None  # "250（200）": the originally set figure


@dataclass
class KpiDraft:
    row: int
    name: str
    unit: str = ""
    direction: str | None = None  # None: not given in the file (inferred when created)
    baseline: Figure | None = None
    baseline_label: str = ""
    note: str = ""
    targets: dict[int, Figure] = field(default_factory=dict)
    actuals: dict[int, Figure] = field(default_factory=dict)

    def inferred_direction(self) -> str:
        series = [self.baseline.value if self.baseline else None,
                  *(f.value for _fy, f in sorted(self.targets.items()))]
        return self.direction or infer_direction(self.name, self.unit, series)


@dataclass
class InitiativeDraft:
    row: int
    rows: list[int] = field(default_factory=list)
    cells: dict[str, tuple[int, str, Any]] = field(default_factory=dict)  # field -> (row, col, v)
    external_id: str | None = None
    title: str = ""
    department_id: int | None = None
    co_departments: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # case fields, as create_case takes them
    status_text: str = ""
    state: str | None = None
    hold_return_state: str | None = None
    plan: dict[str, str] = field(default_factory=dict)
    kpis: list[KpiDraft] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def invalid(self) -> bool:
        return any(i.level == "error" for i in self.issues)

    @property
    def has_plan(self) -> bool:
        return any(k.targets for k in self.kpis)

    def error(self, row: int | None, column: str | None, ja: str, en: str,
              code: str = "", value: str = "") -> None:
        self.issues.append(Issue(row, column, ja, en, "error", code, value))

    def warn(self, row: int | None, column: str | None, ja: str, en: str) -> None:
        self.issues.append(Issue(row, column, ja, en, "warning"))


def text_of(value: Any) -> str:
    """A cell as clean text: NFKC-free (names keep their width), stripped, "" for blanks."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).lower()


def figure(value: Any) -> Figure | None:
    """A number cell: 1,000手続き → 1000; "250（200）" keeps 200 as the original; "－" → None."""
    if value is None or (isinstance(value, str) and is_blank(value)):
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            return Figure(Decimal(str(value)))
        except InvalidOperation:
            return Figure(None, str(value))
    text = " ".join(str(value).split())
    if _PLAIN_NUMBER.fullmatch(text):  # most cells: skip the plan's full cell grammar
        return Figure(Decimal(text.replace(",", "")))
    printed, original = split_revised(text)
    number = parse_number(printed)
    return Figure(number, "" if number is not None else text, original)


def _figure_problem(f: Figure | None) -> tuple[str, str] | None:
    if f is None:
        return None
    for number in (f.value, f.original):
        if number is not None and (not number.is_finite() or abs(number) >= MAX_NUMBER):
            return "数値が大きすぎます", "The number is too large"
    if len(f.text) > MAX_TEXT:
        return (f"文字数が多すぎます（{MAX_TEXT}文字まで）",
                f"Too long (at most {MAX_TEXT} characters)")
    return None


def _choice(vocabulary: dict[str, tuple[str, str]], text: str) -> str | None:
    key = _key(text)
    for name, (ja, en) in vocabulary.items():
        if key in (name, _key(ja), _key(en)):
            return name
    return None


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
        key = ("id", external) if external else ("title", _key(title), _key(department))
        draft = self._by_key.get(key)
        if draft is None:
            draft = InitiativeDraft(number, [number])
            self._by_key[key] = draft
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
        elif _key(text_of(seen[2])) != _key(text):
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
        word = _key(text_of(cell[1]))
        kpi.direction = _DIRECTION_WORDS.get(word) or _choice(KPI_DIRECTIONS, word)
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
        problem = _figure_problem(found)
        if problem is not None:
            draft.error(number, column.header, *problem)
            return None
        return found

    # --- the initiative's own fields, once all its rows are read ---------------------------

    def finish(self) -> list[InitiativeDraft]:
        for draft in self.drafts:
            self._finish(draft)
        return self.drafts

    def _cell(self, draft: InitiativeDraft, name: str) -> tuple[int, str, str]:
        row, column, value = draft.cells.get(name, (draft.row, label_of(name), None))
        return row, column, text_of(value)

    def _finish(self, draft: InitiativeDraft) -> None:
        row, column, external = self._cell(draft, "external_id")
        if len(external) > MAX_EXTERNAL_ID:
            draft.error(row, column, "外部IDが長すぎます（100文字まで）",
                        "The external id is too long (100 characters)")
        draft.external_id = external or None
        row, column, title = self._cell(draft, "title")
        draft.title = " ".join(title.split())
        if not draft.title and not any(i.column == label_of("title") for i in draft.issues):
            draft.error(row, column, "件名（取組名）が空です", "The title is empty")
        elif len(draft.title) > MAX_TITLE:
            draft.error(row, column, f"件名が長すぎます（{MAX_TITLE}文字まで）",
                        f"The title is too long ({MAX_TITLE} characters)")
        self._department(draft)
        self._vocabularies(draft)
        for name in CASE_TEXT_FIELDS:
            draft.fields[name] = self._cell(draft, name)[2]
        for name in PLAN_TEXT_FIELDS:
            if text := self._cell(draft, name)[2]:
                draft.plan[name] = text
        self._state(draft)

    def _department(self, draft: InitiativeDraft) -> None:
        row, column, cell = self._cell(draft, "department")
        if not cell:
            return  # fine for an update (the case keeps its bureau); ``importer`` decides
        dept_id, name, others, unknown = self.resolve_department(cell)
        if dept_id is None:
            draft.error(row, column,
                        f"所管部局「{'・'.join(unknown) or cell}」が登録されていません"
                        "（部局の管理画面で確認してください）",
                        f"Unknown department '{', '.join(unknown) or cell}'")
            return
        draft.department_id, draft.fields["department_id"] = dept_id, dept_id
        draft.co_departments = others
        if unknown:
            draft.warn(row, column,
                       f"「{'・'.join(unknown)}」は登録された部局ではないため、所管を「{name}」とし、ほかは記録しません",
                       f"'{', '.join(unknown)}' is not a known department; {name} owns it")

    def _vocabularies(self, draft: InitiativeDraft) -> None:
        for name, vocabulary, default in (("category", CATEGORIES, None),
                                          ("case_type", CASE_TYPES, "dx_project"),
                                          ("priority", PRIORITIES, "normal")):
            row, column, text = self._cell(draft, name)
            chosen = _choice(vocabulary, text) if text else default
            if text and chosen is None:
                options = "、".join(ja for ja, _en in vocabulary.values())
                draft.error(row, column, f"「{text}」は選択肢にありません（{options}）",
                            f"'{text}' is not one of: {', '.join(vocabulary)}")
            draft.fields[name] = chosen
        row, column, text = self._cell(draft, "values")
        chosen = [_choice(VALUES, part) for part in text.translate(_VALUE_SEPARATORS).split()]
        if None in chosen:
            draft.error(row, column, "VALUEは「サービス・あんしん・つながり・にぎわい・"
                        "やさしさ・しごと」から選んでください",
                        "VALUEs must be among: " + ", ".join(VALUES))
        draft.fields["values"] = [c for c in dict.fromkeys(chosen) if c]

    def _state(self, draft: InitiativeDraft) -> None:
        row, column, code = self._cell(draft, "state")
        if code:
            self._state_code(draft, row, column, code)
            return
        row, column, status = self._cell(draft, "status")
        if not status and "phase" in draft.cells:
            row, column, status = self._cell(draft, "phase")
        draft.status_text = status
        reading = read_status(status, draft.has_plan, self.status_map)
        if reading.state is None and not reading.refused and _is_prose(status):
            draft.state = read_status("", draft.has_plan).state
            draft.warn(row, column,
                       "状況の文章から段階を判断できないため「検討中」として取り込みます",
                       "No status word in the text; imported as 検討中 (under study)")
            return
        if reading.refused:
            what = "下書き" if reading.refused == "draft" else "保留"
            draft.error(row, column, f"「{status}」（{what}）の案件は取り込めません。"
                        "取り込み後の状態を書いてください",
                        f"Cases in '{reading.refused}' cannot be imported; give another status")
        elif reading.state is None:
            draft.error(row, column,
                        f"状況「{status[:40]}」を段階に対応付けられません。「検討中」「実証中」"
                        "「実施中」などの言葉で書くか、取り込み後の段階を指定してください"
                        "（コマンドでは --status-map）",
                        f"Status '{status[:40]}' maps to no state; use --status-map WORD=STATE",
                        code="unknown_status", value=status)
        else:
            draft.state = reading.state
            if not status:
                draft.warn(row, column, "状況が空欄のため「検討中」として取り込みます",
                           "The status is blank; imported as 検討中 (under study)")
            elif reading.inferred_word:
                draft.warn(row, column, f"状況の文章から「{reading.inferred_word}」と判断しました",
                           f"Status read as '{reading.inferred_word}' from the text")

    def _state_code(self, draft: InitiativeDraft, row: int, column: str, code: str) -> None:
        code = code.strip()
        back = self._cell(draft, "hold_return_state")[2].strip()
        if code == "on_hold" and back in OPEN_STATES and back != "on_hold":
            draft.state, draft.hold_return_state = code, back
        elif code in (OPEN_STATES | CLOSED_STATES) - {"on_hold"}:
            draft.state = code
        else:
            draft.error(row, column, f"状態コード「{code}」は取り込めません",
                        f"State code '{code}' cannot be imported")


def _is_prose(text: str) -> bool:
    """A sentence about the initiative (as the plan prints), not a status word to map."""
    return len(text) > 20 or "。" in text or "、" in text


def label_of(name: str) -> str:
    return FIELDS[name][0]


__all__ = ["Figure", "InitiativeDraft", "Issue", "KpiDraft", "RowReader", "figure", "text_of"]
