"""Import (office lead, admin), export of the case lists (everyone, what they may see) and the
DX HQ meeting workbook (executives and the Digital Office)."""

from __future__ import annotations

import calendar
import io
from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from web.authz import ANY_SIGNED_IN, roles, today
from web.cases.queries import visible_cases
from web.data import jobs, staging
from web.data.blueprint import bp
from web.data.forms import ConfirmForm, ImportForm
from web.extensions import db
from web.i18n import lang
from web.office.queries import BoardFilters
from web.uploads import client_filename
from workflow.fiscal import fiscal_year
from workflow.interchange import exporter
from workflow.interchange.headers import FIELDS, PER_YEAR_KINDS
from workflow.interchange.headers import label as column_label
from workflow.interchange.import_jobs import report_from_data
from workflow.interchange.import_status import mapping_table
from workflow.interchange.status_words import LEAF_STATES
from workflow.models import Case, ImportJob
from workflow.reports.hq_report import default_as_of, hq_filename
from workflow.reports.hq_workbook import build_hq_report
from workflow.states import STATES, state_label

IMPORT_ROLES = ("office_lead", "admin")
HQ_ROLES = ("executive", "office_lead", "office")
SORTS = {"updated": (Case.updated_at.desc(), Case.id.desc()), "number": (Case.number.desc(),),
         "title": (Case.title, Case.id)}
SAMPLE_HEADERS = ["外部ID", "取組名", "所管局", "状況", "概要", "KGI", "KPI名", "単位",
                  "基準値（2023年度末現在）", "2025年度目標", "2026年度目標", "2024年度実績"]
SAMPLE_ROWS = [
    ["K-001", "行政手続きのオンライン化", "市民局・こども青少年局", "実施中",
     "申請をオンラインで完結できるようにする", "全ての手続きがオンラインで完結している",
     "オンライン化した手続き数", "手続き", "1,000", "2,000", "2,500", "1,300"],
    ["", "", "", "", "", "", "窓口の平均待ち時間", "分", "30", "20", "15", ""],
    ["K-002", "消防指令システムの高度化", "消防局", "検討中", "", "", "", "", "", "", "", ""],
]


# --- import ---------------------------------------------------------------------------------


def _field_choices() -> list[tuple[str, str]]:
    choices = [(name, f"{label}（{name}）") for name, (label, _a) in FIELDS.items()
               if name != "ignore"]
    current = fiscal_year(today())
    for fy in range(current - 3, current + 5):
        for kind, text in PER_YEAR_KINDS.items():
            choices.append((f"{kind}:{fy}", f"{fy}年度{text}"))
    return choices


def _mappings_from_form() -> tuple[dict[str, str], dict[str, str]]:
    """The column and status-word choices made on the check page (unknown values dropped)."""
    fields = {value for value, _label in _field_choices()} | {"ignore"}
    columns, statuses = {}, {}
    for key, header in request.form.items():
        if key.startswith("column-name-"):
            chosen = request.form.get("column-field-" + key.removeprefix("column-name-"), "")
            if chosen in fields:
                columns[header] = chosen
        elif key.startswith("status-word-"):
            chosen = request.form.get("status-state-" + key.removeprefix("status-word-"), "")
            if chosen in LEAF_STATES:
                statuses[header] = chosen
    return columns, statuses


def _report_page(report, token: str, sheet: str, skip_invalid: bool, columns, statuses):
    form = ConfirmForm(formdata=None, token=token, sheet=sheet, skip_invalid=skip_invalid)
    unknown_statuses = list(dict.fromkeys(i.value for i in report.errors
                                          if i.code == "unknown_status"))
    return render_template(
        "data/import_report.html", report=report, form=form, lang_code=lang(),
        field_choices=_field_choices(), columns=columns, statuses=statuses,
        unknown_statuses=unknown_statuses, column_label=column_label,
        state_choices=[(s, state_label(s, lang())) for s in STATES if s in LEAF_STATES],
    )


@bp.route("/import", methods=["GET", "POST"])
@roles(*IMPORT_ROLES)
def import_upload():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        filename = client_filename(upload, default="upload")
        token = staging.stage(upload.read(), filename, current_user.id)
        job = jobs.queue(current_user, token, filename, sheet=(form.sheet.data or "").strip(),
                         skip_invalid=form.skip_invalid.data, dry_run=True, columns={},
                         statuses={})
        return redirect(url_for("data.import_job", job_id=job.id), code=303)
    return render_template("data/import.html", form=form, status_rows=mapping_table(),
                           state_label=lambda s: state_label(s, lang()))


@bp.route("/import/confirm", methods=["POST"])
@roles(*IMPORT_ROLES)
def import_confirm():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    staged = staging.load(form.token.data, current_user.id)
    if staged is None:
        flash(_("確認した内容の有効期限が切れました。もう一度ファイルを選んでください。"),
              "warning")
        return redirect(url_for("data.import_upload"))
    columns, statuses = _mappings_from_form()
    job = jobs.queue(current_user, form.token.data, staged[1], sheet=form.sheet.data or "",
                     skip_invalid=form.skip_invalid.data, dry_run=not form.run.data,
                     columns=columns, statuses=statuses)
    return redirect(url_for("data.import_job", job_id=job.id), code=303)


@bp.route("/import/jobs/<int:job_id>")
@roles(*IMPORT_ROLES)
def import_job(job_id: int):
    """The job's progress (the page reloads itself), then its check page or its result."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    jobs.settle_abandoned(job)
    if job.state == "failed":
        return render_template("data/import_progress.html", job=job, lang_code=lang())
    if not job.finished:
        done, total = jobs.progress(job)
        return render_template("data/import_progress.html", job=job, done=done, total=total,
                               lang_code=lang())
    report = report_from_data(job.result)
    options = job.options or {}
    sheet, skip_invalid = options.get("sheet") or "", bool(options.get("skip_invalid"))
    columns, statuses = options.get("columns") or {}, options.get("statuses") or {}
    if report.written:
        staging.discard(job.token)
        return render_template("data/import_done.html", report=report, lang_code=lang())
    if not job.dry_run and report.stopped:
        flash(_("無効な行があるため、取り込みませんでした。内容を直すか「無効な行を除いて取り込む」を選んでください。"),
              "error")
    return _report_page(report, job.token, sheet, skip_invalid, columns, statuses)


@bp.route("/import/sample.csv")
@roles(*IMPORT_ROLES)
def import_sample():
    headers, rows = SAMPLE_HEADERS, SAMPLE_ROWS
    return send_file(io.BytesIO(exporter.to_csv(headers, rows)), mimetype=exporter.FORMATS["csv"],
                     as_attachment=True, download_name="dxflow_取込見本.csv", max_age=0)


# --- export ---------------------------------------------------------------------------------


@bp.route("/export/cases.<fmt>")
@roles(*ANY_SIGNED_IN)
def export_cases(fmt: str):
    """The case list or board as the user sees it (their access, the filters on screen)."""
    if fmt not in exporter.FORMATS:
        abort(404)
    filters = BoardFilters.from_request(request)
    order = SORTS.get(request.args.get("sort", "updated"), SORTS["updated"])
    data = exporter.export_cases(db.session, visible_cases(filters).order_by(*order), fmt)
    name = f"dxflow_案件一覧_{today().isoformat()}.{fmt}"
    return send_file(io.BytesIO(data), mimetype=exporter.FORMATS[fmt], as_attachment=True,
                     download_name=name, max_age=0)


# --- the DX HQ meeting workbook ---------------------------------------------------------------


def _requested_as_of() -> date | None:
    """?as_of=2026-07-31 or ?month=2026-07 (its last day); default the end of last month."""
    raw_day, raw_month = request.args.get("as_of", "").strip(), request.args.get("month", "")
    try:
        if raw_day:
            return date.fromisoformat(raw_day)
        if raw_month.strip():
            year, month = (int(p) for p in raw_month.strip().split("-"))
            return date(year, month, calendar.monthrange(year, month)[1])
    except ValueError:
        return None
    return default_as_of(today())


@bp.app_context_processor
def hq_defaults():
    """The dashboard's download form starts on the last complete month."""
    return {"hq_default_month": lambda: default_as_of(today()).strftime("%Y-%m")}


@bp.route("/hq-report")
@roles(*HQ_ROLES)
def hq_report():
    as_of = _requested_as_of()
    if as_of is None or as_of.year < 2000:
        flash(_("日付の形式が正しくありません（例：2026-07-31）。"), "error")
        return redirect(url_for("dashboard.index"))
    if as_of > today():
        flash(_("未来の日付の資料は作成できません。%(date)s以前を選んでください。",
                date=today().isoformat()), "error")
        return redirect(url_for("dashboard.index"))
    data = build_hq_report(db.session, as_of, viewer=current_user._get_current_object())
    response = send_file(io.BytesIO(data), mimetype=exporter.FORMATS["xlsx"], as_attachment=True,
                         download_name=hq_filename(as_of), max_age=0)
    response.headers["X-Report-As-Of"] = as_of.isoformat()
    return response

