"""Parse the packaged DX Strategy Action Plan (FY2024-2026) into frozen dataclasses."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files
from typing import Any

from workflow.portfolio.departments import split_departments

_DASHES = frozenset("-‐‑‒–—―−ーｰ－")
_MULTIPLIERS = {"千": 1_000, "万": 10_000, "億": 100_000_000}
# Optional "label:" prefix (e.g. "汎用:70%"), optional 約, a number, optional 万/億, a unit.
_NUMBER = re.compile(
    r"(?:[^\d:]{1,10}:)?\s*約?\s*(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)\s*(?P<mult>[千万億])?"
    r"(?P<unit>\D*)"
)
_QUALIFIERS = re.compile(r"以上|以下|未満|超|程度|前後|まで")
_MAX_UNIT = 8  # longer tails are prose ("24年度までの状況を踏まえて設定"), not units
_REVISED = re.compile(r"(?P<cur>.*?\d.*?)\s*\((?P<orig>[^()]*)\)")

# A saving being counted ("短縮する窓口手続き時間") is a number to grow, not to shrink.
_SAVING = re.compile(r"(削減|短縮|低減)(する|した|される|された|できる|効果|量)")
_DECREASE_WORDS = ("削減", "減少", "短縮", "低減", "抑制", "発生件数")


@dataclass(frozen=True)
class PlanKpi:
    """One KPI row of an initiative; numbers are Decimal, non-numeric cells kept as text."""

    name: str | None
    unit: str | None
    kind: str
    baseline_label: str | None
    baseline: Decimal | None
    baseline_text: str | None
    baseline_initial: Decimal | None
    targets: dict[int, Decimal | None] = field(hash=False)
    target_texts: dict[int, str] = field(hash=False)
    original_targets: dict[int, Decimal] = field(hash=False)
    direction: str
    note: str | None
    uncertain: bool
    segment: str | None = None


@dataclass(frozen=True)
class Initiative:
    """One of the plan's initiatives (取組)."""

    external_id: str
    page: int
    title: str
    detail_title: str | None
    category: str
    group: str
    values: tuple[str, ...]
    summary: str
    status_text: str
    departments: tuple[str, ...]
    other_organizations: tuple[str, ...]
    kgi: str | None
    kgi_note: str | None
    outcome: str | None
    schedule: str | None
    kpis: tuple[PlanKpi, ...]


def _normalise(text: str) -> str:
    """NFKC without the ※ footnote marks the plan sprinkles into figures."""
    return unicodedata.normalize("NFKC", text).replace("※", "").strip()


def is_blank(cell: object) -> bool:
    """True for a missing cell or one printed as a bare dash (－, ー, ―)."""
    text = "" if cell is None else _normalise(str(cell))
    return not text or all(ch in _DASHES or ch.isspace() for ch in text)


def _parse_plain(text: str) -> Decimal | None:
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    unit = _QUALIFIERS.sub("", match["unit"]).strip()
    if len(unit) > _MAX_UNIT or unit.startswith("年"):
        return None
    value = Decimal(match["num"].replace(",", ""))
    if match["mult"]:
        value *= _MULTIPLIERS[match["mult"]]
    return value


def split_revised(text: str) -> tuple[str, Decimal | None]:
    """Split "250件（200件）" into the printed value's text and the bracketed original figure."""
    norm = _normalise(text)
    match = _REVISED.fullmatch(norm)
    if match is not None:
        original = _parse_plain(match["orig"].strip())
        if original is not None and _parse_plain(match["cur"]) is not None:
            return match["cur"], original
    return norm, None


def parse_number(text: str | int | float | Decimal | None) -> Decimal | None:
    """A plan cell's number: "1,000手続き" -> 1000, "6万件" -> 60000, "80%" -> 80, "－" -> None."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int | float | Decimal):
        return Decimal(str(text))
    return _parse_plain(split_revised(text)[0])


def infer_direction(name: str | None, unit: str | None, series: list[Decimal | None]) -> str:
    """Return "increase" or "decrease": the targets' trend wins, else the KPI's wording."""
    numbers = [value for value in series if value is not None]
    if len(numbers) >= 2 and numbers[-1] != numbers[0]:
        return "decrease" if numbers[-1] < numbers[0] else "increase"
    text = f"{name or ''}{unit or ''}"
    if _SAVING.search(text):
        return "increase"
    return "decrease" if any(word in text for word in _DECREASE_WORDS) else "increase"


def _text(cell: object) -> str | None:
    """The cell as printed when it is not a plain number (and not a bare dash)."""
    if is_blank(cell) or parse_number(str(cell)) is not None:
        return None
    return " ".join(str(cell).split())


def _original(cell: object) -> Decimal | None:
    return None if is_blank(cell) else split_revised(str(cell))[1]


def _kpi(row: dict[str, Any]) -> PlanKpi:
    cells: dict[str, Any] = row.get("raw") or {}
    printed: dict[str, Any] = row.get("targets") or {}
    years = sorted({int(y) for y in printed} | {int(y) for y in cells if y.isdigit()})
    targets: dict[int, Decimal | None] = {}
    for fy in years:
        targets[fy] = parse_number(printed.get(str(fy)))
        if targets[fy] is None and row.get("kind") == "numeric":
            targets[fy] = parse_number(cells.get(str(fy)))
    texts = {fy: text for fy in years if (text := _text(cells.get(str(fy)))) is not None}
    originals = {fy: v for fy in years if (v := _original(cells.get(str(fy)))) is not None}
    baseline = parse_number(row.get("baseline"))
    initial = parse_number(row.get("baseline_initial_value"))
    if initial is None:
        initial = _original(cells.get("baseline"))
    return PlanKpi(
        **{key: row.get(key) for key in ("name", "unit", "baseline_label", "note", "segment")},
        kind=row.get("kind") or "numeric",
        baseline=baseline,
        baseline_text=_text(cells.get("baseline")),
        baseline_initial=initial,
        targets=targets,
        target_texts=texts,
        original_targets=originals,
        direction=infer_direction(row.get("name"), row.get("unit"), [baseline, *targets.values()]),
        uncertain=bool(row.get("uncertain", False)),
    )


def _initiative(row: dict[str, Any], external_id: str) -> Initiative:
    return Initiative(
        **{key: row.get(key) for key in ("detail_title", "kgi", "kgi_note", "outcome", "schedule")},
        external_id=external_id,
        page=int(row["page"]),
        title=row["title"],
        category=row["category"],
        group=row["group"],
        values=tuple(row.get("values") or ()),
        summary=row.get("summary") or "",
        status_text=row.get("status") or "",
        departments=tuple(p for c in row.get("departments") or () for p in split_departments(c)),
        other_organizations=tuple(row.get("other_organizations") or ()),
        kpis=tuple(_kpi(kpi) for kpi in row.get("kpis") or ()),
    )


def parse_action_plan(rows: list[dict[str, Any]]) -> list[Initiative]:
    """Initiatives from the JSON rows; ids number initiatives within a page in file order."""
    seen: Counter[int] = Counter()
    result = []
    for row in rows:
        seen[page := int(row["page"])] += 1
        result.append(_initiative(row, f"AP2024-{page:03d}-{seen[page]}"))
    return result


def load_action_plan() -> list[Initiative]:
    """All initiatives of the packaged action_plan.json."""
    source = files("workflow") / "data" / "action_plan.json"
    return parse_action_plan(json.loads(source.read_text(encoding="utf-8")))
