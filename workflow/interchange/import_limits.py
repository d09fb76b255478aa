"""How big an import file may be, checked before (and while) it is parsed.

A 1.5 KB workbook can declare ``A1:XFD1048576`` (openpyxl would pad every row to 16,384 cells
and every missing row up to 1,048,576: about 137 GB), and a 155 KB zip can unpack to
gigabytes. So the zip's directory is inspected first (entries, total unpacked size, ratio;
``zipfile`` never unpacks an entry past the size it declares, so the directory is a bound),
the declared dimension is ignored, and rows, columns and cells are counted while streaming.
The caps are far above a city's initiative list (a few hundred rows, fifty columns).
"""

from __future__ import annotations

import io
import zipfile

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 1_000
MAX_CELLS = 4_000_000
MAX_LINE_CHARS = 100_000
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 1_000
MAX_RATIO = 100  # unpacked / packed; worksheet XML compresses about 10-30 times
RATIO_FLOOR = 1024 * 1024  # small entries (styles, empty sheets) may compress better
MAX_JSON_BYTES = 20 * 1024 * 1024
MAX_JSON_DEPTH = 32


class TooLarge(Exception):
    """The file breaks a cap; ``ja``/``en`` say which, in words a clerk can act on."""

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(en)
        self.ja, self.en = ja, en


def _mb(n: int) -> int:
    return n // 1024 // 1024


def check_size(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise TooLarge(f"ファイルが大きすぎます（上限 {_mb(MAX_BYTES)} MB）。",
                       f"The file is too large (limit {_mb(MAX_BYTES)} MB).")


def check_zip(data: bytes) -> None:
    """Refuse a workbook whose archive would unpack too far, before anything is unpacked."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: the workbook reader says so in its own words
    if len(infos) > MAX_ZIP_ENTRIES:
        raise TooLarge(f"Excelファイルの中身が多すぎます（{len(infos):,}個、"
                       f"上限 {MAX_ZIP_ENTRIES:,}個）。",
                       f"The workbook holds too many parts ({len(infos):,}; "
                       f"limit {MAX_ZIP_ENTRIES:,}).")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise TooLarge(
            f"Excelファイルを展開すると大きすぎます（{_mb(total):,} MB、"
            f"上限 {_mb(MAX_UNZIPPED_BYTES)} MB）。"
            "行や列を減らすか、CSVで保存してください。",
            f"The workbook unpacks to too much data ({_mb(total):,} MB; limit "
            f"{_mb(MAX_UNZIPPED_BYTES)} MB). Use fewer rows or columns, or save it as CSV.")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise TooLarge(
                "Excelファイルの圧縮率が異常です（展開すると極端に大きくなります）。"
                "壊れているか、攻撃用のファイルの可能性があるため読み込みません。",
                "The workbook's compression ratio is abnormal (it would unpack to far more data "
                "than it holds); it may be damaged or malicious, so it is not read.")


def check_declared(rows: int | None, columns: int | None) -> None:
    """A sheet that says it is larger than any import may be (its cells are counted anyway)."""
    if (rows or 0) > MAX_ROWS or (columns or 0) > MAX_COLUMNS:
        raise TooLarge(
            f"シートの大きさ（{rows or 0:,}行×{columns or 0:,}列）が上限"
            f"（{MAX_ROWS:,}行×{MAX_COLUMNS:,}列）を超えています。"
            "使っていない行・列を削除して保存し直してください。",
            f"The sheet declares {rows or 0:,} rows x {columns or 0:,} columns, over the limit "
            f"({MAX_ROWS:,} x {MAX_COLUMNS:,}); delete unused rows and columns and save again.")


class TableCounter:
    """Counts rows, columns and cells as they stream by; raises ``TooLarge`` past a cap."""

    def __init__(self) -> None:
        self.rows = self.cells = 0

    def add(self, width: int) -> None:
        self.rows += 1
        self.cells += width
        if self.rows > MAX_ROWS:
            raise TooLarge(f"行が多すぎます（上限 {MAX_ROWS:,}行）。"
                           "ファイルを分けて取り込んでください。",
                           f"Too many rows (limit {MAX_ROWS:,}); split the file.")
        if width > MAX_COLUMNS:
            raise TooLarge(f"{self.rows:,}行目の列が多すぎます（上限 {MAX_COLUMNS:,}列）。",
                           f"Row {self.rows:,} has too many columns (limit {MAX_COLUMNS:,}).")
        if self.cells > MAX_CELLS:
            raise TooLarge(f"セルが多すぎます（上限 {MAX_CELLS:,}個）。"
                           "ファイルを分けて取り込んでください。",
                           f"Too many cells (limit {MAX_CELLS:,}); split the file.")


def check_lines(text: str) -> None:
    """A CSV line longer than any real row, found before the CSV parser runs."""
    lengths = list(map(len, text.splitlines()))  # C speed; a regex scan takes seconds
    if lengths and max(lengths) > MAX_LINE_CHARS:
        line = next(n for n, length in enumerate(lengths, start=1) if length > MAX_LINE_CHARS)
        raise TooLarge(f"{line:,}行目が長すぎます（上限 {MAX_LINE_CHARS:,}文字）。",
                       f"Line {line:,} is too long (limit {MAX_LINE_CHARS:,} characters).")


def check_json_text(text: str) -> None:
    if len(text.encode("utf-8")) > MAX_JSON_BYTES:
        raise TooLarge(f"JSONファイルが大きすぎます（上限 {_mb(MAX_JSON_BYTES)} MB）。",
                       f"The JSON file is too large (limit {_mb(MAX_JSON_BYTES)} MB).")


def too_deep() -> TooLarge:
    """The error for a value (or text the parser gave up on) nested past the cap."""
    return TooLarge(f"JSONの入れ子が深すぎます（上限 {MAX_JSON_DEPTH}段）。",
                    f"The JSON is nested too deeply (limit {MAX_JSON_DEPTH} levels).")


def check_json_depth(value) -> None:
    """Walk the parsed value without recursion (a deep value must not overflow our stack)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise too_deep()
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)

