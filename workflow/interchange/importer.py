"""Importing a city's initiatives from CSV, XLSX or JSON: validate everything, then write once.

    report = import_file(session, data, "取組一覧.xlsx", actor=user,
                         options=ImportOptions(skip_invalid=True))

1. ``readers`` reads the file (CSV encodings detected; XLSX first sheet or ``sheet``; JSON in
   the action plan's shape); a file that cannot be read raises ``ImportFileError``.
2. ``headers`` finds the header row (within the first 10 rows) and what each column holds;
   unknown columns are reported and can be named with ``column_map`` (``--map``).
3. ``import_rows`` groups rows into initiatives and validates them, with row, column and reason
   for every problem; ``import_status`` documents how status words become states.
4. Each initiative is matched to an existing case (external id, else title + bureau); the
   whole file is then written in ONE transaction by ``import_writer``. By default nothing is
   written when any initiative is invalid; ``skip_invalid`` writes the valid ones and lists
   the rest. ``dry_run`` writes, reports, and rolls back.

Who may import: the office lead, an administrator, or the CLI (actor None: "system").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.cases import validate_fields
from workflow.errors import AccessDenied, InvalidInput
from workflow.interchange.headers import FIELDS, Column, ColumnPlan, plan_columns
from workflow.interchange.import_drafts import InitiativeDraft, Issue
from workflow.interchange.import_json import drafts_from_records
from workflow.interchange.import_rows import RowReader
from workflow.interchange.import_status import PhaseRule
from workflow.interchange.import_writer import CASE_FIELDS, Writer
from workflow.interchange.readers import ImportFileError, SourceTable, read_table
from workflow.models import Case, Department, User, utcnow
from workflow.portfolio.departments import match_department, split_departments

IMPORT_ROLES = frozenset({"office_lead", "admin"})
HEADER_SEARCH_ROWS = 10
_CHUNK = 500

__all__ = ["IMPORT_ROLES", "ImportFileError", "ImportOptions", "ImportReport", "import_file"]


@dataclass(frozen=True)
class ImportOptions:
    sheet: str | None = None
    column_map: Mapping[str, str] = field(default_factory=dict)  # headers.parse_mapping
    status_map: Mapping[str, PhaseRule] = field(default_factory=dict)
    skip_invalid: bool = False
    dry_run: bool = False


@dataclass
class ImportReport:
    source: str
    kind: str
    encoding: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    columns: list[Column] = field(default_factory=list)
    rows: int = 0
    initiatives: int = 0
    created: list[str] = field(default_factory=list)  # case numbers
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[InitiativeDraft] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    stopped: bool = False  # invalid rows stopped the whole import (all-or-nothing)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    @property
    def unknown_columns(self) -> list[str]:
        return [c.header for c in self.columns if c.field is None and c.header]

    def where(self, issue: Issue, lang: str = "ja") -> str:
        """"12行目" / "row 12" (a JSON file's items: "3件目" / "item 3")."""
        if issue.row is None:
            return ""
        if self.kind == "json":
            return f"{issue.row}件目" if lang == "ja" else f"item {issue.row}"
        return f"{issue.row}行目" if lang == "ja" else f"row {issue.row}"


def _department_resolver(departments: list[Department]):
    by_name = {d.name: d.id for d in departments}
    by_ref = {ref.lower(): d.name for d in departments for ref in (d.code, d.name_en) if ref}
    cache: dict[str, tuple] = {}

    def one(text: str) -> str | None:
        return match_department(text, by_name) or by_ref.get(text.strip().lower())

    def resolve(cell: str):
        if cell not in cache:
            whole = one(cell)
            if whole is not None:
                cache[cell] = (by_name[whole], whole, [], [])
            else:
                matched, unknown = [], []
                for part in split_departments(cell):
                    name = one(part)
                    if name is None:
                        unknown.append(part)
                    elif name not in matched:
                        matched.append(name)
                cache[cell] = ((by_name[matched[0]], matched[0], matched[1:], unknown) if matched
                               else (None, None, [], unknown))
        return cache[cell]

    return resolve


def _header(table: SourceTable, mapping: Mapping[str, str]) -> tuple[int, ColumnPlan]:
    """The first of the top rows that names a title column and one more known field."""
    for position, (_n, cells) in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        plan = plan_columns(cells, mapping)
        if any(c.field == "title" for c in plan.columns) and plan.recognised >= 2:
            return position, plan
    return 0, plan_columns(table.rows[0][1], mapping)


def _check_columns(plan: ColumnPlan) -> None:
    problems = list(plan.problems)
    fields = {c.field for c in plan.columns}
    for name in ("title", "department"):
        if name not in fields:
            label, aliases = FIELDS[name]
            problems.append((f"必須の列「{label}」がありません（見出しの例：{'・'.join(aliases[:4])}）",
                             f"Required column '{name}' is missing "
                             f"(e.g. {', '.join(aliases[-3:])})"))
    if problems:
        unknown = [c.header for c in plan.columns if c.field is None and c.header][:10]
        hint = (f"　読めなかった見出し：{'、'.join(unknown)}。--map 見出し=項目 で指定できます。"
                if unknown else "")
        hint_en = f" Unrecognised headers: {', '.join(unknown)}; use --map." if unknown else ""
        raise ImportFileError("／".join(ja for ja, _en in problems) + hint,
                              "; ".join(en for _ja, en in problems) + hint_en)


def _validate_fields(session: Session, draft: InitiativeDraft) -> dict:
    fields = {k: draft.title if k == "title" else draft.fields.get(k) for k in CASE_FIELDS}
    try:
        return validate_fields(session, fields)
    except InvalidInput as exc:
        for name, reasons in exc.field_errors.items():
            cell = draft.cells.get("department" if name == "department_id" else name)
            for reason in reasons:
                draft.error(cell[0] if cell else draft.row, cell[1] if cell else name,
                            reason.ja, reason.en)
        return {}


def _chunks(values: list, size: int = _CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _match(session: Session, drafts: list[InitiativeDraft]) -> dict[int, Case]:
    """{id(draft): existing case}: by external id, else by title + bureau (drafts never)."""
    external = [d.external_id for d in drafts if d.external_id]
    by_external: dict[str, Case] = {}
    for chunk in _chunks(external):
        by_external.update((c.external_id, c) for c in session.scalars(
            select(Case).where(Case.external_id.in_(chunk))))
    titles = list({d.title for d in drafts if d.title})
    by_title: dict[tuple[str, int], list[Case]] = {}
    for chunk in _chunks(titles):
        for case in session.scalars(select(Case).where(Case.title.in_(chunk),
                                                       Case.state != "draft")):
            by_title.setdefault((case.title, case.department_id), []).append(case)
    matches: dict[int, Case] = {}
    taken: dict[int, int] = {}  # case id -> the row that matched it
    for d in drafts:
        case = by_external.get(d.external_id) if d.external_id else None
        if case is None:
            found = [c for c in by_title.get((d.title, d.department_id), [])
                     if not (d.external_id and c.external_id and c.external_id != d.external_id)]
            if len(found) > 1:
                numbers = "、".join(c.number for c in found)
                d.error(d.row, FIELDS["title"][0],
                        f"同じ件名・所管部局の案件が複数あります（{numbers}）。外部IDで区別してください",
                        f"Several cases have this title and department ({numbers}); "
                        "use an external id")
                continue
            case = found[0] if found else None
        if case is None:
            continue
        if case.id in taken:
            d.error(d.row, FIELDS["title"][0],
                    f"{taken[case.id]}行目と同じ案件（{case.number}）を指しています",
                    f"Refers to the same case ({case.number}) as row {taken[case.id]}")
            continue
        taken[case.id] = d.row
        matches[id(d)] = case
    return matches


def read_drafts(departments: list[Department], data: bytes, filename: str,
                options: ImportOptions, report: ImportReport) -> list[InitiativeDraft]:
    """Read and validate the file; the report gets its shape. Raises ``ImportFileError``."""
    table = read_table(data, filename, options.sheet)
    report.kind, report.encoding, report.sheet = table.kind, table.encoding, table.sheet
    resolver = _department_resolver(departments)
    if table.records is not None:
        if not table.records:
            raise ImportFileError("取り込む取組がありません（空の配列です）。",
                                  "The JSON list is empty.")
        report.rows = len(table.records)
        reader = RowReader(ColumnPlan(), resolver, options.status_map)
        return drafts_from_records(table.records, reader)
    if not table.rows:
        raise ImportFileError("ファイルが空です。", "The file is empty.")
    position, plan = _header(table, options.column_map)
    _check_columns(plan)
    report.header_row, report.columns = table.rows[position][0], plan.columns
    data_rows = table.rows[position + 1:]
    if not data_rows:
        raise ImportFileError("見出しの下にデータの行がありません。",
                              "There are no rows below the header.")
    report.rows = len(data_rows)
    reader = RowReader(plan, resolver, options.status_map)
    for number, cells in data_rows:
        reader.add(number, cells)
    return reader.finish()


def import_file(session: Session, data: bytes, filename: str, *, actor: User | None = None,
                options: ImportOptions | None = None, now: datetime | None = None,
                progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Validate ``data`` and write it in one transaction (see the module docstring)."""
    options = options or ImportOptions()
    if actor is not None and actor.role not in IMPORT_ROLES:
        raise AccessDenied("データを取り込む権限がありません", "You may not import data")
    now = now or utcnow()
    report = ImportReport(source=filename, kind="", dry_run=options.dry_run)
    # Held for the whole import: the session's identity map keeps objects only weakly, and
    # validate_fields' session.get() would otherwise query the department again on every row.
    departments = list(session.scalars(select(Department).where(Department.active.is_(True))))
    drafts = read_drafts(departments, data, filename, options, report)
    report.initiatives = len(drafts)
    total, done = 2 * len(drafts), 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(min(done, total), total)

    matches = _match(session, [d for d in drafts if not d.invalid])
    clean: dict[int, dict] = {}
    for draft in drafts:
        if draft.department_id is None and not draft.invalid:
            case = matches.get(id(draft))
            if case is None:
                row, column, _v = draft.cells.get("department", (draft.row, None, None))
                draft.error(row, column or FIELDS["department"][0], "所管部局が空です",
                            "The department is empty")
            else:
                draft.department_id = draft.fields["department_id"] = case.department_id
        if not draft.invalid:
            clean[id(draft)] = _validate_fields(session, draft)
        advance(1)
    for draft in drafts:
        if draft.invalid:
            matches.pop(id(draft), None)
    valid = [d for d in drafts if not d.invalid]
    report.skipped = [d for d in drafts if d.invalid]
    report.issues = sorted((i for d in drafts for i in d.issues),
                           key=lambda i: (i.row or 0, i.level != "error"))
    if report.skipped and not options.skip_invalid:
        report.stopped = True
        session.rollback()
        return report
    writer = Writer(session, actor, filename, now, advance)
    try:
        writer.create([(d, clean[id(d)]) for d in valid if id(d) not in matches])
        writer.preload(list(matches.values()))
        for d in valid:
            if id(d) in matches:
                for ja, en in writer.update(matches[id(d)], d, clean[id(d)]):
                    report.issues.append(Issue(d.row, None, ja, en, "warning"))
        session.flush()
        if options.dry_run:
            session.rollback()
        else:
            session.commit()
            report.written = True
    except BaseException:
        session.rollback()
        raise
    report.created, report.updated = writer.created, writer.updated
    report.unchanged = writer.unchanged
    return report
