"""The audit log screen and its CSV download."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from flask import Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import select

from web.admin.auditlog import (
    KIND_LABELS,
    PER_PAGE,
    AuditFilters,
    cases_of,
    details,
    events_query,
    kind_label,
    summary,
)
from web.admin.blueprint import bp
from web.authz import roles
from web.extensions import db
from web.i18n import lang
from web.request_input import page_number
from workflow.fiscal import TOKYO
from workflow.models import AuditEvent
from workflow.states import state_label

CSV_BATCH = 500
# Excel runs a cell starting with these as a formula (CSV injection); a leading ' keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _kinds() -> list[str]:
    """The known kinds, then any other kind the log holds (added by later features)."""
    present = db.session.scalars(select(AuditEvent.kind).distinct()).all()
    return list(KIND_LABELS) + sorted(k for k in present if k not in KIND_LABELS)


@bp.route("/audit")
@roles("admin")
def audit():
    filters = AuditFilters.from_request(request)
    page = db.paginate(events_query(filters), page=page_number(), per_page=PER_PAGE,
                       error_out=False)
    return render_template(
        "admin/audit.html", page=page, filters=filters, kinds=_kinds(), kind_label=kind_label,
        cases=cases_of(db.session, page.items), summary=summary, details=details,
    )


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_row(event: AuditEvent, case_number: str) -> list[str]:
    when = event.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S")
    actor = event.actor
    behalf = event.on_behalf_of
    return [_cell(v) for v in (
        when, kind_label(event.kind), event.kind, actor.name if actor else "",
        actor.email if actor else "", behalf.name if behalf else "", case_number,
        summary(event),
        state_label(event.from_state, lang()) if event.from_state else "",
        state_label(event.to_state, lang()) if event.to_state else "",
        " / ".join(details(event)), event.comment or "",
        json.dumps(event.data, ensure_ascii=False) if event.data else "",
    )]


@bp.route("/audit.csv")
@roles("admin")
def audit_csv():
    filters = AuditFilters.from_request(request)
    header = [_("日時（日本時間）"), _("種類"), _("種類コード"), _("操作者"),
              _("操作者のメールアドレス"), _("代理元（本人）"), _("案件番号"), _("内容"),
              _("変更前の状態"), _("変更後の状態"), _("詳細"), _("コメント"), _("データ")]

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # The BOM makes Excel read the file as UTF-8 instead of Shift_JIS.
        buffer.write("\ufeff")
        writer.writerow(header)
        stmt = events_query(filters).execution_options(yield_per=CSV_BATCH)
        batch: list[AuditEvent] = []
        for event in db.session.scalars(stmt):
            batch.append(event)
            if len(batch) == CSV_BATCH:
                yield from _flush(batch, writer, buffer)
                batch = []
        yield from _flush(batch, writer, buffer)

    stamp = datetime.now(TOKYO).strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(generate()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"',
        "Cache-Control": "no-store",
    })


def _flush(batch: list[AuditEvent], writer, buffer: io.StringIO):
    cases = cases_of(db.session, batch)
    for event in batch:
        case = cases.get(event.case_id)
        writer.writerow(_csv_row(event, case.number if case else ""))
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
