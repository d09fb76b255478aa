"""The one way the app writes a spreadsheet cell or a CSV field: text never runs as a formula.

Excel and LibreOffice evaluate a CSV field (and text typed into a cell) that starts with
``= + - @``, and they skip leading blanks before looking: `` =1+1`` still runs in LibreOffice
with "trim spaces" and in Excel's paste. Japanese Excel's IME also turns a full-width ``＝ ＋ －
＠`` into the ASCII operator when the cell is edited, and a leading tab or CR/LF breaks the
field into another cell that starts the formula. So a text value whose first non-blank
character is any of these is *guarded*:

- CSV: a leading apostrophe (``'=HYPERLINK(...)``), which Excel shows as text and hides; the
  importer drops it again (``unguard``), so export → import gives the same text.
- XLSX: the cell is typed as a string (never a ``<f>`` formula) and gets Excel's quote prefix,
  so the text is shown exactly and re-editing the cell keeps it text.

Numbers (int, float, Decimal) are written as numbers and never guarded: ``-1`` stays ``-1``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
_BLANKS = " \u3000\u00a0"
# XML 1.0 cannot carry these; openpyxl refuses them (a 500), Excel would refuse the file.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_guarded(text: str) -> bool:
    """True when Excel or LibreOffice could run ``text`` as a formula."""
    first = text.lstrip(_BLANKS)[:1]
    return first != "" and first in FORMULA_STARTS


def guard(text: str) -> str:
    """``text`` with a leading apostrophe when it needs one (also before an apostrophe that
    already guards, so ``unguard`` gives back exactly what was written)."""
    body = text.lstrip("'")
    return "'" + text if body and is_guarded(body) else text


def unguard(text: str) -> str:
    """Undo ``guard`` for a field read back from a CSV (or an XLSX cell typed as text)."""
    return text[1:] if text.startswith("'") and is_guarded(text.lstrip("'")) else text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def csv_field(value: Any) -> str | int | float | Decimal:
    """One CSV field: None is empty, numbers stay numbers, text is guarded."""
    if value is None:
        return ""
    if _is_number(value):
        return value
    return guard(str(value))


def csv_line(row: Iterable[Any]) -> str:
    """One CSV record (CRLF-terminated, as Excel writes), every field through ``csv_field``."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow([csv_field(v) for v in row])
    return out.getvalue()


def csv_bytes(headers: Iterable[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    """A whole CSV as UTF-8 with a BOM (so Excel reads it as UTF-8, not Shift_JIS)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_field(v) for v in headers])
    for row in rows:
        writer.writerow([csv_field(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def cell_value(value: Any) -> Any:
    """What to store in an XLSX cell: numbers as numbers, text without XML-illegal bytes."""
    if value is None or _is_number(value) or not isinstance(value, str):
        return value
    return _ILLEGAL_XML.sub("", value)


def fill(cell, value: Any):
    """Put ``value`` into an openpyxl cell (a normal or write-only one) as data, never code."""
    value = cell_value(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would make "=..." a formula
        if is_guarded(value):
            cell.quotePrefix = True
    return cell


def put(ws, row: int, column: int, value: Any):
    """``ws.cell(row, column, value)`` through ``fill``."""
    return fill(ws.cell(row, column), value)


__all__ = ["FORMULA_STARTS", "csv_bytes", "csv_field", "csv_line", "fill", "guard",
           "is_guarded", "put", "unguard"]
