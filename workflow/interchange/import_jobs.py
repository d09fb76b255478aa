"""An import report as JSON for the import job's row, and back, so any app process can show
the result of an import another one ran."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from workflow.interchange.headers import Column
from workflow.interchange.import_drafts import InitiativeDraft, Issue
from workflow.interchange.importer import ImportReport

# (Japanese, English), as ``ImportFileError`` carries them: the domain has no Babel.
EXPIRED = ("確認した内容の有効期限が切れました。もう一度ファイルを選んでください。",
           "The checked file has expired; choose the file again.")
DENIED = ("データを取り込む権限がありません。", "You may not import data.")
BROKE = ("取り込み中に予期しないエラーが起きました。何も書き込んでいません。"
         "管理者に連絡してください。",
         "The import failed unexpectedly; nothing was written. Tell an administrator.")
INTERRUPTED = ("取り込みが途中で止まりました（サーバーの再起動など）。何も書き込んでいません。"
               "もう一度ファイルを選んでください。",
               "The import was interrupted (the server restarted?); nothing was written. "
               "Choose the file again.")
_PLAIN = ("source", "kind", "encoding", "sheet", "header_row", "rows", "initiatives", "created",
          "updated", "unchanged", "written", "dry_run", "stopped")


def report_data(report: ImportReport) -> dict[str, Any]:
    """What the check and result pages show of ``report``, as JSON-ready values."""
    data = {name: getattr(report, name) for name in _PLAIN}
    data["columns"] = [asdict(c) for c in report.columns]
    data["issues"] = [asdict(i) for i in report.issues]
    data["skipped_rows"] = [d.row for d in report.skipped]
    return data


def report_from_data(data: dict[str, Any]) -> ImportReport:
    report = ImportReport(**{name: data.get(name) for name in _PLAIN})
    report.columns = [Column(**c) for c in data.get("columns", [])]
    report.issues = [Issue(**i) for i in data.get("issues", [])]
    # The pages count the skipped initiatives; their rows are in ``issues``.
    report.skipped = [InitiativeDraft(row=row) for row in data.get("skipped_rows", [])]
    return report
