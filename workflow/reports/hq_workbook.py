"""The HQ report's layout: a summary sheet and one block of rows per initiative, ready to print.

Japanese headers, frozen header rows, widths that fit the content, A3 landscape fitted to the
page width with the header rows repeated on every page. Figures are numbers (not text), so
the sheet can be summed and filtered; a revised target shows its original figure beside it
(当初目標), as the plan prints "（）内は当初設定数値".
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from workflow.fiscal import fiscal_year, fiscal_year_label, format_datetime
from workflow.interchange.spreadsheet import fill
from workflow.models import User
from workflow.reports.hq_report import (
    BUCKETS,
    BUREAU_COLUMNS,
    HqData,
    Initiative,
    as_of_label,
    bucket,
    cutoff,
    hq_data,
)
from workflow.reports.metrics import support_kpi_label
from workflow.states import PHASES, phase_of, state_label, substate_label
from workflow.vocabulary import ASSESSMENTS, label

TITLE = "DX推進本部会議 資料"
_PHASE_LABELS = {p.name: p.label("ja") for p in PHASES}
_THIN = Side(style="thin", color="8A9BAE")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(wrap_text=True, vertical="top")
# Named styles: assigning one is several times faster than setting font, border and alignment
# cell by cell (openpyxl hashes every style object it is given).
STYLES = {
    "hq_text": {"border": _BORDER, "alignment": _TOP},
    "hq_int": {"border": _BORDER, "alignment": _TOP, "number_format": "#,##0"},
    "hq_dec": {"border": _BORDER, "alignment": _TOP, "number_format": "#,##0.0##"},
    "hq_pct": {"border": _BORDER, "alignment": _TOP, "number_format": "0%"},
    "hq_head": {"border": _BORDER, "font": Font(bold=True),
                "fill": PatternFill("solid", fgColor="DDE7F0"),
                "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True)},
    "hq_total": {"border": _BORDER, "font": Font(bold=True),
                 "fill": PatternFill("solid", fgColor="F2F4F7"), "alignment": _TOP,
                 "number_format": "#,##0"},
}


def bucket_label(key: str) -> str:
    if key.startswith("closed_"):
        return f"{_PHASE_LABELS['closed']}：{substate_label(key)}"
    return "終了" if key == "closed" else _PHASE_LABELS[key]


def _number(value: Decimal | None, text: str = ""):
    if value is None:
        return text or None
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _merge(ws: Worksheet, row: int, col: int, rows: int, cols: int) -> None:
    # Added as a range only: openpyxl's merge_cells() also redraws every covered cell's
    # border (about 12 ms a range), and the covered cells here already carry their style.
    ws.merged_cells.add(MergedCellRange(ws, f"{get_column_letter(col)}{row}:"
                                            f"{get_column_letter(col + cols - 1)}{row + rows - 1}"))


def _head(ws: Worksheet, row: int, col: int, value, *, span: tuple[int, int] = (1, 1)) -> None:
    cell = ws.cell(row, col)
    cell.style = "hq_head"
    fill(cell, value)
    rows, cols = span
    if rows > 1 or cols > 1:
        for r in range(row, row + rows):
            for c in range(col, col + cols):
                ws.cell(r, c).style = "hq_head"
        _merge(ws, row, col, rows, cols)


def _put(ws: Worksheet, row: int, col: int, value, style: str | None = None):
    if style is None:
        style = "hq_text"
        if isinstance(value, int | float) and not isinstance(value, bool):
            style = "hq_int" if isinstance(value, int) else "hq_dec"
    cell = ws.cell(row, col)
    cell.style = style  # first: a named style replaces the cell's quote prefix
    return fill(cell, value)


def _print_setup(ws: Worksheet, title_rows: str | None, paper: str, as_of: str) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if paper == "A3" else ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddHeader.right.text = f"{TITLE}（{as_of}）"
    ws.oddFooter.center.text = "&P / &N"


def _titles(ws: Worksheet, data: HqData, subtitle: str) -> None:
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=16)
    ws["A2"] = f"{subtitle}（{as_of_label(data.as_of)}）"
    ws["A2"].font = Font(bold=True, size=13)


# --- the summary sheet ------------------------------------------------------------------------


def _summary(ws: Worksheet, data: HqData) -> None:
    _titles(ws, data, "DX取組の進捗状況")
    total = sum(data.by_bucket.values())
    ws["A3"] = (f"作成：{format_datetime(data.generated_at)}　集計対象：{as_of_label(data.as_of)}"
                f"の案件 {total:,}件（下書きを除く）")
    row = 5
    ws.cell(row, 1, "1. 段階別の件数").font = Font(bold=True, size=12)
    row += 1
    _head(ws, row, 1, "段階")
    _head(ws, row, 2, "件数")
    for key in BUCKETS:
        row += 1
        _put(ws, row, 1, bucket_label(key))
        _put(ws, row, 2, data.by_bucket[key])
    row += 1
    _put(ws, row, 1, "合計", "hq_total")
    _put(ws, row, 2, total, "hq_total")

    row += 2
    ws.cell(row, 1, "2. 部局別の件数").font = Font(bold=True, size=12)
    row += 1
    _head(ws, row, 1, "部局・区")
    for i, key in enumerate((*BUREAU_COLUMNS, "total"), start=2):
        _head(ws, row, i, "合計" if key == "total" else bucket_label(key))
    for department, counts in data.by_department:
        row += 1
        _put(ws, row, 1, department.name)
        for i, key in enumerate(BUREAU_COLUMNS, start=2):
            _put(ws, row, i, counts.get(key, 0))
        _put(ws, row, len(BUREAU_COLUMNS) + 2, sum(counts.values()), "hq_total")
    if not data.by_department:
        row += 1
        ws.cell(row, 1, "この時点の案件はありません。")

    row += 2
    ws.cell(row, 1, "3. 伴走支援の成果指標（累計）").font = Font(bold=True, size=12)
    row += 1
    years = sorted({fy for line in data.support for fy in line.years})
    _head(ws, row, 1, "指標", span=(2, 1))
    for i, fy in enumerate(years):
        _head(ws, row, 2 + 3 * i, fiscal_year_label(fy, wareki=True), span=(1, 3))
        for j, text in enumerate(("実績", "目標", "達成率")):
            _head(ws, row + 1, 2 + 3 * i + j, text)
    row += 1
    for line in data.support:
        row += 1
        _put(ws, row, 1, support_kpi_label(line.key))
        for i, fy in enumerate(years):
            actual, target = line.years[fy]
            goal = target.value if not target.is_revised else f"{target.value}（{target.original}）"
            rate = (actual / target.value if actual is not None and target.value else None)
            _put(ws, row, 2 + 3 * i, actual if actual is not None else "－")
            _put(ws, row, 3 + 3 * i, goal if target.value is not None else "－")
            _put(ws, row, 4 + 3 * i, rate if rate is not None else "－", "hq_pct")
    current = fiscal_year(cutoff(data.as_of))
    row += 2
    for note in (f"実績は各年度末（{fiscal_year_label(current)}は"
                 f"{as_of_label(data.as_of)}）までの累計。"
                 "「－」は目標の設定がない、またはその年度が始まっていないことを示します。",
                 "目標の（）内は当初設定数値。"
                 "数値はdxflowの記録（所属長の決定、実行計画の承認、支援体制）から集計しています。"):
        ws.cell(row, 1, note).alignment = Alignment(wrap_text=False)
        row += 1
    ws.column_dimensions["A"].width = 62
    for col in range(2, 2 + 3 * len(years)):
        ws.column_dimensions[get_column_letter(col)].width = 11
    _print_setup(ws, None, "A4", as_of_label(data.as_of))


# --- the initiatives sheet --------------------------------------------------------------------

FIXED = (("No.", 5), ("案件番号", 13), ("取組名", 30), ("所管部局", 13), ("段階", 12),
         ("状態", 18), ("KGI（2030年の目標）", 36), ("KPI", 30), ("単位", 8), ("基準値", 11),
         ("基準値の時点", 13))
PER_YEAR = (("目標", 11), ("当初目標", 10), ("実績", 11))
TAIL = (("最新のKPI評価", 14), ("評価コメント", 36))
_CASE_COLS = 7  # columns A..G describe the initiative, H.. its KPIs


def _initiative_rows(ws: Worksheet, row: int, item: Initiative, n: int, years: list[int]) -> int:
    case = item.case
    review = item.review
    assessment = "未実施"
    if review is not None:
        assessment = (f"{fiscal_year_label(review.fiscal_year)}："
                      f"{label(ASSESSMENTS, review.assessment)}")
    case_cells = (n, case.number, case.title, case.department.name,
                  phase_of(item.state).label("ja"), state_label(item.state),
                  item.kgi or None)
    tail_col = len(FIXED) + 3 * len(years) + 1
    height = max(1, len(item.kpis))
    for col, value in enumerate(case_cells, start=1):
        _put(ws, row, col, value)
    _put(ws, row, tail_col, assessment)
    _put(ws, row, tail_col + 1, (review.comment or None) if review else None)
    lines = item.kpis or [None]
    for offset, line in enumerate(lines):
        r = row + offset
        if offset:
            for col in (*range(1, _CASE_COLS + 1), tail_col, tail_col + 1):
                ws.cell(r, col).style = "hq_text"
        if line is None:
            for col in range(_CASE_COLS + 1, tail_col):
                _put(ws, r, col, None)
            continue
        kpi = line.kpi
        _put(ws, r, 8, kpi.name)
        _put(ws, r, 9, kpi.unit or None)
        _put(ws, r, 10, _number(kpi.baseline, kpi.baseline_text))
        _put(ws, r, 11, kpi.baseline_label or None)
        targets = {t.fiscal_year: t for t in kpi.targets}
        for i, fy in enumerate(years):
            col = len(FIXED) + 1 + 3 * i
            t = targets.get(fy)
            actual = line.actuals.get(fy)
            _put(ws, r, col, _number(t.value, t.text) if t else None)
            _put(ws, r, col + 1, _number(t.original_value, t.original_text)
                 if t is not None and t.is_revised else None)
            _put(ws, r, col + 2, _number(actual.value, actual.text) if actual else None)
    if height > 1:
        for col in (*range(1, _CASE_COLS + 1), tail_col, tail_col + 1):
            _merge(ws, row, col, height, 1)
    return row + height


def _initiatives(ws: Worksheet, data: HqData) -> None:
    _titles(ws, data, "DX取組一覧")
    years = data.years
    ws["A3"] = ("段階・状態・実績・評価は" + as_of_label(data.as_of) + "の記録。"
                "目標は現在の計画の値で、"
                "見直した目標は「当初目標」に当初設定数値を示します。")
    head = 4
    for col, (text, _w) in enumerate(FIXED, start=1):
        _head(ws, head, col, text, span=(2, 1))
    for i, fy in enumerate(years):
        col = len(FIXED) + 1 + 3 * i
        _head(ws, head, col, fiscal_year_label(fy, wareki=True), span=(1, 3))
        for j, (text, _w) in enumerate(PER_YEAR):
            _head(ws, head + 1, col + j, text)
    tail_col = len(FIXED) + 3 * len(years) + 1
    for j, (text, _w) in enumerate(TAIL):
        _head(ws, head, tail_col + j, text, span=(2, 1))
    row = head + 2
    for n, item in enumerate(data.initiatives, start=1):
        row = _initiative_rows(ws, row, item, n, years)
    if not data.initiatives:
        ws.cell(row, 1, "この時点の取組はありません。")
    widths = [*(w for _t, w in FIXED), *(w for _fy in years for _t, w in PER_YEAR),
              *(w for _t, w in TAIL)]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(head + 2, 4)
    _print_setup(ws, f"{head}:{head + 1}", "A3", as_of_label(data.as_of))


def workbook_bytes(data: HqData) -> bytes:
    workbook = Workbook()
    for name, attributes in STYLES.items():
        workbook.add_named_style(NamedStyle(name=name, **attributes))
    summary = workbook.active
    summary.title = "概要"
    _summary(summary, data)
    _initiatives(workbook.create_sheet("取組一覧"), data)
    workbook.properties.title = f"{TITLE}（{as_of_label(data.as_of)}）"
    workbook.properties.creator = "dxflow"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


__all__ = ["bucket", "bucket_label", "workbook_bytes"]


def build_hq_report(session: Session, as_of: date, *, viewer: User | None = None,
                    now: datetime | None = None) -> bytes:
    """The workbook's bytes (XLSX)."""
    return workbook_bytes(hq_data(session, as_of, viewer=viewer, now=now))
