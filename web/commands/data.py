"""``dxflow import``, ``dxflow export`` and ``dxflow report hq``: the portfolio in and out.

Exit status: 0 done; 1 the file had invalid rows and nothing was written (all-or-nothing);
2 the file or the arguments cannot be used at all (nothing written either).
"""

from __future__ import annotations

import sys
import textwrap
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from web.commands.base import fail, main
from web.extensions import db
from workflow.errors import AccessDenied
from workflow.fiscal import TOKYO
from workflow.interchange.exporter import FORMATS, export_cases, visible_cases
from workflow.interchange.headers import MAP_FIELDS, parse_mapping
from workflow.interchange.import_status import mapping_table, parse_status_map
from workflow.interchange.importer import ImportFileError, ImportOptions, ImportReport, import_file
from workflow.models import Case, User, utcnow
from workflow.reports.hq_report import default_as_of, hq_filename
from workflow.reports.hq_workbook import build_hq_report

PROGRESS_FROM = 1000  # initiatives; smaller files finish before a bar is worth drawing
IMPORT_EPILOG = "\n".join([
    "\b", "Status words (without a plan / with KPI targets):",
    *(f"  {word}: {a}" + (f" / {b}" if b != a else "") for word, a, b in mapping_table()),
    "Also read: state codes (planning_plan), state and phase labels as dxflow exports them;",
    "a blank status is read as 検討中. Details: workflow/interchange/import_status.py.",
    "", "\b", "Fields for --map:", *textwrap.wrap(", ".join(MAP_FIELDS), 76,
                                                initial_indent="  ", subsequent_indent="  "),
])


def _user(email: str | None) -> User | None:
    if not email:
        return None
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        fail(f"no active user with e-mail '{email}'")
    return user


def _progress(label: str):
    """A progress callback drawing a bar on stderr once the file proves large."""
    state: dict = {}

    def update(done: int, total: int) -> None:
        if total < 2 * PROGRESS_FROM:
            return
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return update


def _describe(report: ImportReport, lang: str) -> list[str]:
    ja = lang == "ja"
    kind = report.kind.upper() + (f", {report.encoding}" if report.encoding else "") + (
        f", シート「{report.sheet}」" if ja and report.sheet else
        f", sheet '{report.sheet}'" if report.sheet else "")
    rows = ("" if report.kind == "json" else
            f"{report.rows}行、" if ja else f"{report.rows} rows, ")
    lines = [f"{report.source} ({kind}): {rows}" + (
        f"取組{report.initiatives}件" if ja else f"{report.initiatives} initiatives")
        + (f"（見出しは{report.header_row}行目）" if ja and report.header_row else
           f" (header on row {report.header_row})" if report.header_row else "")]
    if report.unknown_columns:
        names = ", ".join(report.unknown_columns)
        lines.append(f"読み取らなかった列: {names}（--map 列名=項目 で指定できます）" if ja else
                     f"Columns not recognised: {names} (name them with --map COLUMN=FIELD)")
    for title, issues in ((("エラー" if ja else "Errors"), report.errors),
                          (("注意" if ja else "Warnings"), report.warnings)):
        if issues:
            lines.append(f"{title} ({len(issues)}):")
            for issue in issues:
                where = report.where(issue, lang)
                column = f" [{issue.column}]" if issue.column else ""
                lines.append(f"  {where}{column}: {issue.text(lang)}")
    return lines


def _outcome(report: ImportReport, lang: str) -> str:
    ja = lang == "ja"
    created, updated = len(report.created), len(report.updated)
    skipped = len(report.skipped)
    if report.stopped:
        if ja:
            return ("無効な行があるため、何も書き込みませんでした。"
                    "修正するか --skip-invalid を付けて再実行してください。")
        return "Nothing was written: fix the rows above or run again with --skip-invalid."
    verb = ""
    if report.dry_run:
        verb = "（確認のみ・書き込みなし）" if ja else " (dry run: nothing written)"
    numbers = ", ".join(report.created[:3]) + (" ..." if created > 3 else "")
    if ja:
        return (f"新規 {created}件{f'（{numbers}）' if created else ''}、更新 {updated}件、"
                f"変更なし {report.unchanged}件、スキップ {skipped}件{verb}")
    return (f"created {created}{f' ({numbers})' if created else ''}, updated {updated}, "
            f"unchanged {report.unchanged}, skipped {skipped}{verb}")


@main.command("import", epilog=IMPORT_EPILOG)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--map", "mappings", multiple=True, metavar="COLUMN=FIELD",
              help="Read a column as a field (e.g. --map 備考=kpi_note, --map R7見込=target:2025).")
@click.option("--status-map", "status_words", multiple=True, metavar="WORD=STATE",
              help="Read a status word as a state, or STATE/STATE without/with a plan.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid initiatives, list the rest.")
@click.option("--sheet", help="Excel: the sheet to read (default: the first).")
@click.option("--as", "as_email", help="Record the import as this office lead or admin.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@with_appcontext
def import_command(file: Path, dry_run, mappings, status_words, skip_invalid, sheet, as_email,
                   lang) -> None:
    """Import initiatives from a CSV (UTF-8 or Shift_JIS), XLSX or JSON file."""
    try:
        options = ImportOptions(sheet=sheet, column_map=parse_mapping(mappings),
                                status_map=parse_status_map(status_words),
                                skip_invalid=skip_invalid, dry_run=dry_run)
    except ValueError as exc:
        fail(str(exc))
    if not file.is_file():
        fail(f"no such file: {file}")
    actor = _user(as_email)
    try:
        report = import_file(db.session, file.read_bytes(), file.name, actor=actor,
                             options=options, progress=_progress("Importing"))
    except ImportFileError as exc:
        fail(exc.message(lang))
    except AccessDenied as exc:
        fail(exc.message(lang))
    for line in _describe(report, lang):
        click.echo(line)
    click.echo(_outcome(report, lang))
    if report.stopped:
        sys.exit(1)


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)),
              help="Default: from the output file's extension, else csv.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "as_email", help="Export only what this user may see.")
@with_appcontext
def export_command(fmt: str | None, output: Path, as_email: str | None) -> None:
    """Export cases and their KPIs (CSV in UTF-8 with BOM, or XLSX)."""
    fmt = fmt or ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")
    user = _user(as_email)
    stmt = visible_cases(user).order_by(Case.fiscal_year, Case.seq)
    data = export_cases(db.session, stmt, fmt)
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    count = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    click.echo(f"Exported {count} case(s) to {output} ({fmt})")


@main.group("report")
def report_group() -> None:
    """Reports for the DX HQ meeting."""


@report_group.command("hq")
@click.option("--as-of", "as_of", help="The report's date, e.g. 2026-07-31 (default: the end "
                                        "of last month).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Default: DX推進本部会議資料_<date>.xlsx in the current folder.")
@click.option("--as", "as_email", help="Report only what this user may see.")
@with_appcontext
def report_hq(as_of: str | None, output: Path | None, as_email: str | None) -> None:
    """The DX HQ meeting's progress workbook (DX推進本部会議 資料), as of a date."""
    if as_of:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of must look like 2026-07-31, not '{as_of}'")
    else:
        day = default_as_of(utcnow().astimezone(TOKYO).date())
    output = output or Path(hq_filename(day))
    data = build_hq_report(db.session, day, viewer=_user(as_email))
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    click.echo(f"Wrote {output} (as of {day.isoformat()})")
