"""Which column holds what: Japanese and English headers, per-FY columns, and ``--map``.

A header is compared after NFKC, lower case, without spaces and without a bracketed note
("取組名（事業名）" reads as 取組名; "基準値（2023年度末現在）" as 基準値, the note becoming the
baseline's label). Per fiscal year columns say the year and what they hold: "2025年度目標",
"R7目標", "令和7年度", "FY2025" (targets), "2025年度実績" (actuals), "2025年度当初目標"
(the originally set target, 当初設定数値).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from workflow.fiscal import parse_fiscal_year

# field -> (Japanese label shown in reports, accepted headers after normalisation)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "external_id": ("外部ID", ("外部id", "取組id", "取組番号", "管理番号", "整理番号", "externalid",
                             "external_id", "id")),
    "title": ("件名", ("取組名", "タイトル", "件名", "案件名", "事業名", "取組", "取組項目",
                     "title")),
    "department": ("所管部局", ("所管", "所管局", "所管部局", "所管局・区", "所管局区", "所属",
                              "部局", "部局名", "担当部局", "担当局", "局・区", "局区",
                              "部局・区", "department", "departments", "bureau", "dept")),
    "status": ("状況", ("状況", "進捗状況", "進捗", "ステータス", "取組状況", "これまでの取組状況",
                      "現在の状況", "status", "progress")),
    "phase": ("段階", ("段階", "phase")),
    "state": ("状態コード", ("状態コード", "statecode", "state_code", "state")),
    "hold_return_state": ("保留前の状態コード", ("保留前の状態コード", "hold_return_state")),
    "description": ("概要", ("概要", "取組概要", "内容", "取組内容", "説明", "description",
                           "summary")),
    "category": ("分類", ("分類", "カテゴリ", "カテゴリー", "category")),
    "case_type": ("相談の種類", ("相談の種類", "種類", "種別", "case_type", "casetype", "type")),
    "priority": ("優先度", ("優先度", "priority")),
    "values": ("VALUE", ("value", "values", "バリュー")),
    "current_problem": ("現状の課題", ("現状の課題", "課題", "current_problem")),
    "desired_outcome": ("目指す姿", ("目指す姿", "期待する効果", "desired_outcome")),
    "kgi": ("KGI", ("kgi", "kgi(2030年の目標)", "2030年の目標")),
    "kgi_note": ("KGIの補足", ("kgiの補足", "kgi_note")),
    "outcome": ("アウトカム", ("アウトカム", "アウトカムの視点", "outcome")),
    "kpi_name": ("KPI名", ("kpi", "kpi名", "指標", "指標名", "成果指標", "kpi_name", "kpiname")),
    "unit": ("単位", ("単位", "unit")),
    "direction": ("増減の方向", ("増減", "増減の方向", "方向", "direction")),
    "baseline": ("基準値", ("基準値", "現状値", "ベースライン", "baseline")),
    "baseline_label": ("基準値の時点", ("基準値の時点", "基準時点", "基準年度", "baseline_label")),
    "target_fy": ("目標年度", ("目標年度", "target_fy")),
    "target": ("目標値", ("目標値", "目標", "target")),
    "kpi_note": ("備考", ("備考", "kpiの備考", "note", "kpi_note")),
    # Recognised and deliberately not imported: numbers are given anew, people are not matched.
    "ignore": ("（取り込まない列）", ("案件番号", "case_number", "no", "no.", "番号", "#", "更新日",
                                 "更新日時", "登録日", "登録日時", "統括室担当", "担当", "assignee",
                                 "updated", "created")),
}
PER_YEAR_KINDS = {"target": "目標", "original": "当初目標", "actual": "実績"}
MAP_FIELDS = tuple(FIELDS) + tuple(f"{kind}:YYYY" for kind in PER_YEAR_KINDS)

_BRACKETS = re.compile(r"[(\[【](.*?)[)\]】]")
_ACTUAL = re.compile(r"実績値?|actual")
_ORIGINAL = re.compile(r"当初(?:設定)?(?:目標)?(?:値)?|original")
_TARGET = re.compile(r"(?:目標|見込み?)値?|target")
_FILLER = re.compile(r"[末のにおける_:\-・]")
_ALIASES = {alias: name for name, (_label, aliases) in FIELDS.items() for alias in aliases}


def normalise_header(text: object) -> tuple[str, str]:
    """(the header as compared, the bracketed note) — e.g. ("基準値", "2023年度末現在")."""
    raw = unicodedata.normalize("NFKC", str(text or "")).replace("※", "").strip()
    note = " ".join(m.strip() for m in _BRACKETS.findall(raw))
    key = "".join(_BRACKETS.sub("", raw).split()).lower()
    return key, note


def per_year(key: str) -> tuple[str, int] | None:
    """("target" | "original" | "actual", fiscal year) for a per-FY column, else None.

    "FY2025" or "2025年度" alone reads as that year's target, as the action plan prints them.
    """
    kind, rest = None, key
    for name, pattern in (("actual", _ACTUAL), ("original", _ORIGINAL), ("target", _TARGET)):
        if pattern.search(rest):
            kind = kind or name
            rest = pattern.sub("", rest)
    rest = _FILLER.sub("", rest)
    year = parse_fiscal_year(rest) if rest else None
    if year is None or not 2000 <= year <= 2100:
        return None
    return kind or "target", year


@dataclass
class Column:
    index: int
    header: str
    field: str | None  # None: not recognised
    fiscal_year: int | None = None
    note: str = ""


@dataclass
class ColumnPlan:
    columns: list[Column] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (ja, en): file-level

    def of(self, name: str) -> list[Column]:
        return [c for c in self.columns if c.field == name]

    @property
    def unknown(self) -> list[Column]:
        return [c for c in self.columns if c.field is None and c.header]

    @property
    def recognised(self) -> int:
        return sum(1 for c in self.columns if c.field not in (None, "ignore"))


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``["備考=kpi_note", "R7見込=target:2025"]`` -> {normalised header: field}; ValueError."""
    mapping: dict[str, str] = {}
    for item in items:
        header, sep, target = item.rpartition("=")
        header, target = header.strip(), target.strip().lower()
        if not sep or not header:
            raise ValueError(f"--map needs COLUMN=FIELD, not '{item}'")
        kind, colon, year = target.partition(":")
        valid = target in FIELDS or (colon and kind in PER_YEAR_KINDS
                                      and parse_fiscal_year(year) is not None)
        if not valid:
            raise ValueError(f"unknown field '{target}' in --map {item}; fields: "
                             + ", ".join(MAP_FIELDS))
        mapping[normalise_header(header)[0]] = target
    return mapping


def resolve(header: object, index: int, mapping: Mapping[str, str]) -> Column:
    text = "" if header is None else str(header).strip()
    key, note = normalise_header(text)
    target = mapping.get(key) or mapping.get(normalise_header(text.lower())[0])
    if target is not None:
        kind, _colon, year = target.partition(":")
        if year:
            return Column(index, text, kind, parse_fiscal_year(year), note)
        return Column(index, text, target, note=note)
    if key in _ALIASES and not (_ALIASES[key] == "target" and note and per_year(note)):
        return Column(index, text, _ALIASES[key], note=note)
    found = per_year(key) or (per_year(key + normalise_header(note)[0]) if note else None)
    if found is not None:
        return Column(index, text, found[0], found[1], note)
    return Column(index, text, None, note=note)


def plan_columns(headers: list[object], mapping: Mapping[str, str] | None = None) -> ColumnPlan:
    """What each column holds; two columns for one single-valued field is a file problem."""
    plan = ColumnPlan([resolve(h, i, mapping or {}) for i, h in enumerate(headers)])
    seen: dict[tuple[str, int | None], Column] = {}
    for column in plan.columns:
        if column.field in (None, "ignore"):
            continue
        key = (column.field, column.fiscal_year)
        if key in seen:
            plan.problems.append((
                f"列「{seen[key].header}」と「{column.header}」が同じ項目（{label(column)}）を表しています。"
                "どちらかの見出しを変えるか、--map で指定してください。",
                f"Columns '{seen[key].header}' and '{column.header}' both map to {column.field}; "
                "rename one or use --map."))
        seen[key] = column
    return plan


def label(column: Column) -> str:
    if column.fiscal_year is not None:
        return f"{column.fiscal_year}年度{PER_YEAR_KINDS.get(column.field or '', '')}"
    return FIELDS[column.field][0] if column.field in FIELDS else column.header
