"""The audit log screen and its CSV download."""

from __future__ import annotations

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
from workflow.interchange.spreadsheet import csv_line
from workflow.models import AuditEvent
from workflow.states import state_label

CSV_BATCH = 500


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


def _csv_row(event: AuditEvent, case_number: str) -> tuple:
    when = event.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S")
    actor = event.actor
    behalf = event.on_behalf_of
    return (
        when, kind_label(event.kind), event.kind, actor.name if actor else "",
        actor.email if actor else "", behalf.name if behalf else "", case_number,
        summary(event),
        state_label(event.from_state, lang()) if event.from_state else "",
        state_label(event.to_state, lang()) if event.to_state else "",
        " / ".join(details(event)), event.comment or "",
        json.dumps(event.data, ensure_ascii=False) if event.data else "",
    )


@bp.route("/audit.csv")
@roles("admin")
def audit_csv():
    filters = AuditFilters.from_request(request)
    header = [_("日時（日本時間）"), _("種類"), _("種類コード"), _("操作者"),
              _("操作者のメールアドレス"), _("代理元（本人）"), _("案件番号"), _("内容"),
              _("変更前の状態"), _("変更後の状態"), _("詳細"), _("コメント"), _("データ")]

    def generate():
        # The BOM makes Excel read the file as UTF-8 instead of Shift_JIS.
        yield "\ufeff" + csv_line(header)
        stmt = events_query(filters).execution_options(yield_per=CSV_BATCH)
        batch: list[AuditEvent] = []
        for event in db.session.scalars(stmt):
            batch.append(event)
            if len(batch) == CSV_BATCH:
                yield _flush(batch)
                batch = []
        yield _flush(batch)

    stamp = datetime.now(TOKYO).strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(generate()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"',
        "Cache-Control": "no-store",
    })


def _flush(batch: list[AuditEvent]) -> str:
    cases = cases_of(db.session, batch)
    return "".join(csv_line(_csv_row(event, cases[event.case_id].number
                                     if event.case_id in cases else ""))
                   for event in batch)
