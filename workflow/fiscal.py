"""Japanese fiscal year (年度, April 1 - March 31), wareki labels and date formatting."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")

# (era name, romaji initial, first year), newest first.
# Fiscal labels switch era at the FY boundary: FY2019 is 令和元年度 and FY1989 is
# 平成元年度, although both eras began partway through the calendar year.
_ERAS: tuple[tuple[str, str, int], ...] = (
    ("令和", "R", 2019),
    ("平成", "H", 1989),
    ("昭和", "S", 1926),
)
# Documents drafted before May 2019 say 平成31年度 for FY2019, so parsing accepts it.
_PARSE_LAST_ERA_YEAR = {"平成": 31, "昭和": 63}

_WESTERN_RE = re.compile(r"(?:FY\s*)?(\d{4})\s*(?:年度)?", re.IGNORECASE | re.ASCII)
_ERA_RE = re.compile(r"(令和|平成|昭和|[RHS])\s*(元|\d{1,3})\s*(?:年度)?", re.IGNORECASE | re.ASCII)
_COMBINED_RE = re.compile(r"(.+?)\s*\((.+)\)")


def _is_english(lang: str) -> bool:
    """True for "en"/"en_US"/"en-GB", False for "ja"/"ja_JP"; ValueError otherwise."""
    base = lang.replace("-", "_").split("_", 1)[0].lower()
    if base not in ("ja", "en"):
        raise ValueError(f"unsupported language: {lang!r}")
    return base == "en"


def fiscal_year(d: date | datetime) -> int:
    """Fiscal year containing ``d``; aware datetimes are judged in Asia/Tokyo, naive as local."""
    if isinstance(d, datetime):
        d = (d.astimezone(TOKYO) if d.tzinfo is not None else d).date()
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day (inclusive) of fiscal year ``fy``: April 1 and the next March 31."""
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def wareki_year(fy_or_year: int) -> str:
    """Japanese era year for a fiscal year, e.g. 2025 -> "令和7年", 2019 -> "令和元年"."""
    for name, _initial, first in _ERAS:
        if fy_or_year >= first:
            n = fy_or_year - first + 1
            return f"{name}{'元' if n == 1 else n}年"
    raise ValueError(f"no supported era for year {fy_or_year}")


def fiscal_year_label(fy: int, lang: str = "ja", wareki: bool = False) -> str:
    """Label such as "2025年度", "2025年度（令和7年度）" (``wareki``) or "FY2025" (English)."""
    if _is_english(lang):
        return f"FY{fy}"
    label = f"{fy}年度"
    return f"{label}（{wareki_year(fy)}度）" if wareki else label


def format_date(d: date, lang: str = "ja") -> str:
    """Date as "2025年4月1日" or, in English, "2025-04-01"."""
    if isinstance(d, datetime):
        # A datetime's date part depends on its time zone; make the caller choose.
        raise TypeError("format_date() takes a date; use format_datetime() for datetimes")
    if _is_english(lang):
        return d.isoformat()
    return f"{d.year}年{d.month}月{d.day}日"


def format_datetime(dt: datetime, lang: str = "ja") -> str:
    """Asia/Tokyo wall-clock time, e.g. "2025年4月1日 09:05"; naive values are taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)  # the database stores naive UTC
    local = dt.astimezone(TOKYO)
    return f"{format_date(local.date(), lang)} {local:%H:%M}"


def _parse_era(name: str, year_text: str) -> int | None:
    n = 1 if year_text == "元" else int(year_text)
    for era, initial, first in _ERAS:
        if name in (era, initial):
            last = _PARSE_LAST_ERA_YEAR.get(era)
            if n < 1 or (last is not None and n > last):
                return None
            return first + n - 1
    return None


def parse_fiscal_year(text: str) -> int | None:
    """Fiscal year from "2025", "2025年度", "FY2025", "令和7年度", "R7", "令和元年度",
    "平成30年度", full-width forms or "2025年度（令和7年度）"; None if not understood."""
    s = unicodedata.normalize("NFKC", text).strip()
    if m := _WESTERN_RE.fullmatch(s):
        return int(m.group(1))
    if m := _ERA_RE.fullmatch(s):
        return _parse_era(m.group(1).upper(), m.group(2))
    if m := _COMBINED_RE.fullmatch(s):
        # "2025年度（令和7年度）": both halves must name the same fiscal year.
        western, era = parse_fiscal_year(m.group(1)), parse_fiscal_year(m.group(2))
        return western if western is not None and western == era else None
    return None
