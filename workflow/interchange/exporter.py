"""Cases and their KPIs as CSV (UTF-8 with BOM, so Excel opens it) or XLSX.

One row per KPI, the case's columns repeated on each (a case without KPIs gets one row), with
the headers the importer reads: exporting and importing into an empty database gives the same
cases, bureaus, states, KPIs, baselines, targets and actuals. The caller decides which cases
(``cases_stmt`` already carries the user's visibility and the list's filters).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from workflow import access
from workflow.fiscal import TOKYO
from workflow.interchange import spreadsheet
from workflow.models import Case, Kpi, Plan
from workflow.states import phase_of, state_label
from workflow.vocabulary import CASE_TYPES, CATEGORIES, KPI_DIRECTIONS, PRIORITIES, VALUES, label

CASE_HEADERS = ("案件番号", "外部ID", "件名", "所管部局", "状況", "段階", "状態コード",
                "保留前の状態コード", "相談の種類", "優先度", "分類", "VALUE", "概要", "現状の課題",
                "目指す姿", "KGI", "KGIの補足", "アウトカム")
KPI_HEADERS = ("KPI名", "単位", "増減の方向", "基準値", "基準値の時点")
TAIL_HEADERS = ("備考", "統括室担当", "登録日", "更新日")
FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx":
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_CHUNK = 500


def visible_cases(user) -> Select:
    """Every case ``user`` may see (None: every submitted case, as the office sees them)."""
    clause = access.visibility_clause(user) if user is not None else Case.state != "draft"
    return select(Case).where(clause)


def number(value: Decimal | None):
    """A Decimal as int or float for a spreadsheet cell."""
    if value is None:
        return None
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _figure(value: Decimal | None, text: str):
    return number(value) if value is not None else (text or None)


def _plans(session: Session, case_ids: list[int]) -> dict[int, Plan]:
    plans: dict[int, Plan] = {}
    for start in range(0, len(case_ids), _CHUNK):
        chunk = case_ids[start:start + _CHUNK]
        plans.update((p.case_id, p) for p in session.scalars(
            select(Plan).where(Plan.case_id.in_(chunk))
            .options(selectinload(Plan.kpis).selectinload(Kpi.targets),
                     selectinload(Plan.kpis).selectinload(Kpi.actuals))))
    return plans


def _years(kpis: Iterable[Kpi]) -> tuple[list[int], set[int], set[int]]:
    targets, revised, actuals = set(), set(), set()
    for kpi in kpis:
        for t in kpi.targets:
            targets.add(t.fiscal_year)
            if t.is_revised and (t.original_value is not None or t.original_text):
                revised.add(t.fiscal_year)
        actuals.update(a.fiscal_year for a in kpi.actuals if a.period == "FY")
    return sorted(targets | actuals), revised, actuals


def table(session: Session, cases_stmt: Select) -> tuple[list[str], list[list]]:
    """(headers, rows) for the cases ``cases_stmt`` selects, in its order."""
    cases = list(session.scalars(cases_stmt.options(joinedload(Case.department),
                                                    joinedload(Case.assignee))).unique())
    plans = _plans(session, [c.id for c in cases])
    years, revised, actual_years = _years(k for p in plans.values() for k in p.kpis)
    per_year = []
    for fy in years:
        per_year.append((fy, "target", f"{fy}年度目標"))
        if fy in revised:
            per_year.append((fy, "original", f"{fy}年度当初目標"))
        if fy in actual_years:
            per_year.append((fy, "actual", f"{fy}年度実績"))
    headers = [*CASE_HEADERS, *KPI_HEADERS, *(h for _fy, _k, h in per_year), *TAIL_HEADERS]
    rows = []
    for case in cases:
        plan = plans.get(case.id)
        head = [
            case.number, case.external_id, case.title, case.department.name,
            state_label(case.state, "ja"), phase_of(case.state).label("ja"), case.state,
            case.hold_return_state, label(CASE_TYPES, case.case_type),
            label(PRIORITIES, case.priority), label(CATEGORIES, case.category) or None,
            "・".join(label(VALUES, v) for v in case.values or []) or None,
            case.description, case.current_problem, case.desired_outcome,
            plan.kgi if plan else None, plan.kgi_note if plan else None,
            plan.outcome if plan else None,
        ]
        tail = [case.assignee.name if case.assignee else None,
                case.created_at.astimezone(TOKYO).date().isoformat(),
                case.updated_at.astimezone(TOKYO).date().isoformat()]
        kpis = plan.kpis if plan else []
        for kpi in kpis or [None]:
            rows.append([*head, *_kpi_cells(kpi, per_year), kpi.note if kpi else None, *tail])
    return headers, rows


def _kpi_cells(kpi: Kpi | None, per_year: list[tuple[int, str, str]]) -> list:
    if kpi is None:
        return [None] * (len(KPI_HEADERS) + len(per_year))
    cells = [kpi.name, kpi.unit or None, label(KPI_DIRECTIONS, kpi.direction),
             _figure(kpi.baseline, kpi.baseline_text), kpi.baseline_label or None]
    targets = {t.fiscal_year: t for t in kpi.targets}
    actuals = {a.fiscal_year: a for a in kpi.actuals if a.period == "FY"}
    for fy, kind, _header in per_year:
        if kind == "actual":
            a = actuals.get(fy)
            cells.append(_figure(a.value, a.text) if a else None)
            continue
        t = targets.get(fy)
        if t is None:
            cells.append(None)
        elif kind == "target":
            cells.append(_figure(t.value, t.text))
        else:
            cells.append(_figure(t.original_value, t.original_text) if t.is_revised else None)
    return cells


def to_csv(headers: list[str], rows: list[list]) -> bytes:
    return spreadsheet.csv_bytes(headers, rows)


def to_xlsx(headers: list[str], rows: list[list], title: str = "案件・KPI") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title)
    ws.freeze_panes = "D2"
    widths = defaultdict(lambda: 14, {1: 14, 2: 14, 3: 36, 4: 14, 5: 24, 13: 40, 16: 40})
    for index, header in enumerate(headers, start=1):
        if header.endswith(("目標", "実績")):
            widths[index] = 12
        ws.column_dimensions[get_column_letter(index)].width = widths[index]
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    header_cells = []
    for header in headers:
        cell = spreadsheet.fill(WriteOnlyCell(ws), header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            cells.append(spreadsheet.fill(WriteOnlyCell(ws), value))
        ws.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_cases(session: Session, cases_stmt: Select, fmt: str) -> bytes:
    """The file's bytes in ``fmt`` ("csv" or "xlsx")."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    headers, rows = table(session, cases_stmt)
    return to_csv(headers, rows) if fmt == "csv" else to_xlsx(headers, rows)
