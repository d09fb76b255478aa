"""Reading an import file into rows of cells: CSV (UTF-8, UTF-8 with BOM, CP932), XLSX, JSON.

The encoding of a CSV is detected, not asked for: a BOM means UTF-8; bytes that decode as
UTF-8 are UTF-8 (CP932 text almost never does); then CP932, which is what Japanese Excel
writes when told "CSV"; then charset-normalizer's best guess. Whatever cannot be read raises
``ImportFileError`` with a sentence a clerk can act on; nothing is written in that case.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from charset_normalizer import from_bytes

from workflow.interchange import import_limits as limits
from workflow.interchange.spreadsheet import unguard

MAX_BYTES = limits.MAX_BYTES
_SNIFF = 8192
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls


class ImportFileError(Exception):
    """The file as a whole cannot be imported (empty, binary, wrong sheet, unreadable)."""

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(en)
        self.ja, self.en = ja, en

    def message(self, lang: str = "ja") -> str:
        return self.en if lang == "en" else self.ja


@dataclass
class SourceTable:
    """A sheet's rows as lists of cells, numbered as the spreadsheet numbers them (from 1)."""

    kind: str  # csv | xlsx | json
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    encoding: str | None = None
    sheet: str | None = None
    records: list[dict] | None = None  # JSON: the items themselves


def read_table(data: bytes, filename: str, sheet: str | None = None) -> SourceTable:
    """Rows of the file's first (or named) sheet; JSON gives ``records`` instead."""
    try:
        return _read_table(data, filename, sheet)
    except limits.TooLarge as exc:
        raise ImportFileError(exc.ja, exc.en) from None


def _read_table(data: bytes, filename: str, sheet: str | None) -> SourceTable:
    if not data or not data.strip():
        raise ImportFileError("ファイルが空です。", "The file is empty.")
    limits.check_size(data)
    suffix = PurePath(filename).suffix.lower()
    if data.startswith(_OLE_MAGIC):
        raise ImportFileError(
            "古い形式のExcelファイル（.xls）は読み込めません。Excelで「.xlsx」形式で保存し直してください。",
            "Old .xls workbooks cannot be read; save the file as .xlsx in Excel.")
    if data.startswith(_ZIP_MAGIC) or suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(data, sheet)
    if sheet:
        raise ImportFileError("シート名（--sheet）を指定できるのはExcelファイル（.xlsx）だけです。",
                              "--sheet only applies to Excel (.xlsx) files.")
    text, encoding = decode_text(data)
    if suffix == ".json" or (suffix != ".csv" and text.lstrip()[:1] in {"[", "{"}):
        return _read_json(text)
    return _read_csv(text, encoding)


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV/JSON file and the encoding it was read with."""
    if b"\x00" in data[:_SNIFF]:
        raise ImportFileError(
            "テキストファイルではありません（バイナリデータのようです）。CSV・Excel・JSONのいずれかを選んでください。",
            "This is not a text file (it looks binary); choose a CSV, Excel or JSON file.")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    guess = from_bytes(data[: 1024 * 1024]).best()
    if guess is not None and guess.encoding:
        try:
            return data.decode(guess.encoding), guess.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise ImportFileError(
        "文字コードを判別できません。UTF-8またはShift_JIS（CP932）のCSVで保存し直してください。",
        "The character encoding could not be detected; save the CSV as UTF-8 or Shift_JIS (CP932).")


def _read_csv(text: str, encoding: str) -> SourceTable:
    limits.check_lines(text)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    counter = limits.TableCounter()
    rows = []
    try:
        for n, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                                start=1):
            counter.add(len(row))
            rows.append((n, row))
    except csv.Error as exc:
        raise ImportFileError(f"CSVとして読めません（{exc}）。",
                              f"The file cannot be read as CSV ({exc}).") from None
    return SourceTable("csv", _trimmed([(n, [unguard(c) for c in row]) for n, row in rows]),
                       encoding=encoding)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read_xlsx(data: bytes, sheet: str | None) -> SourceTable:
    from openpyxl import load_workbook

    limits.check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportFileError(
            "Excelファイル（.xlsx）として読めません。ファイルが壊れていないか確認してください。",
            f"The file cannot be read as an Excel workbook (.xlsx): {type(exc).__name__}.",
        ) from None
    except Exception as exc:  # openpyxl raises its own InvalidFileException and friends
        raise ImportFileError("Excelファイル（.xlsx）として読めません。",
                              f"The file cannot be read as an Excel workbook: {exc}") from None
    try:
        names = workbook.sheetnames
        if sheet is not None and sheet not in names:
            listed = "、".join(f"「{n}」" for n in names)
            raise ImportFileError(
                f"シート「{sheet}」はありません。このファイルのシート：{listed}",
                f"No sheet named '{sheet}'. Sheets in this file: {', '.join(names)}")
        ws = workbook[sheet] if sheet is not None else workbook[names[0]]
        # The declared dimension is not trusted: openpyxl would pad every row and every
        # missing row to it. Without it each row is as wide as its last cell, then counted.
        limits.check_declared(ws.max_row, ws.max_column)
        ws.reset_dimensions()
        counter = limits.TableCounter()
        rows = []
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            counter.add(len(row))
            if row:  # openpyxl yields () for each missing row; _trimmed would drop it anyway
                rows.append((n, [_cell(v) for v in row]))
        return SourceTable("xlsx", _trimmed(rows), sheet=ws.title)
    finally:
        workbook.close()


def _read_json(text: str) -> SourceTable:
    limits.check_json_text(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"JSONとして読めません（{exc.lineno}行目：{exc.msg}）。",
            f"The file is not valid JSON (line {exc.lineno}: {exc.msg}).") from None
    except RecursionError:
        raise limits.too_deep() from None
    limits.check_json_depth(data)
    if isinstance(data, dict):
        data = data.get("initiatives", data.get("items"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ImportFileError(
            "JSONは取組の配列（アクションプランのデータと同じ形）にしてください。",
            "The JSON must be a list of initiatives (the shape of the action-plan data).")
    return SourceTable("json", records=data)


def _trimmed(rows: list[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
    """Rows without trailing empty cells, and without wholly empty rows."""
    result = []
    for number, cells in rows:
        values = [None if (isinstance(c, str) and not c.strip()) else c for c in cells]
        while values and values[-1] is None:
            values.pop()
        if values:
            result.append((number, values))
    return result
