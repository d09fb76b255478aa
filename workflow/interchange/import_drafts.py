"""The shapes an import is read into: initiatives, their KPIs and figures, and the problems.

Nothing here touches the database; ``import_rows`` and ``import_json`` fill these in,
``import_checks`` validates them, ``import_writer`` writes them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from workflow.portfolio.action_plan import infer_direction, is_blank, parse_number, split_revised

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
_PLAIN_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")


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


def key(text: str) -> str:
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


def figure_problem(f: Figure | None) -> tuple[str, str] | None:
    if f is None:
        return None
    for number in (f.value, f.original):
        if number is not None and (not number.is_finite() or abs(number) >= MAX_NUMBER):
            return "数値が大きすぎます", "The number is too large"
    if len(f.text) > MAX_TEXT:
        return (f"文字数が多すぎます（{MAX_TEXT}文字まで）",
                f"Too long (at most {MAX_TEXT} characters)")
    return None


def choice(vocabulary: dict[str, tuple[str, str]], text: str) -> str | None:
    wanted = key(text)
    for name, (ja, en) in vocabulary.items():
        if wanted in (name, key(ja), key(en)):
            return name
    return None
