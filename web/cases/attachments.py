"""Upload and download of case attachments, behind the same access rules as the case."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from web.authz import ANY_SIGNED_IN, get_case_or_404, roles
from web.cases.blueprint import bp
from web.extensions import db
from web.i18n import lang
from web.uploads import client_filename
from workflow.attachments import store_attachment
from workflow.errors import WorkflowError
from workflow.models import Attachment


def storage_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


@bp.route("/<int:case_id>/attachments", methods=["POST"])
@roles("requester", "dept_manager", "office", "office_lead", "expert")
def upload(case_id: int):
    case = get_case_or_404(case_id, need="comment")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("ファイルを選んでください。"), "error")
        return redirect(url_for("cases.detail", case_id=case.id, _anchor="attachments"))
    try:
        store_attachment(db.session, case, current_user._get_current_object(),
                         client_filename(upload),
                         upload.read(), storage_dir(),
                         max_bytes=current_app.config["MAX_CONTENT_LENGTH"])
    except WorkflowError as exc:
        flash(exc.message(lang()), "error")
    else:
        flash(_("ファイルを添付しました。"), "success")
    return redirect(url_for("cases.detail", case_id=case.id, _anchor="attachments"))


@bp.route("/<int:case_id>/attachments/<int:attachment_id>")
@roles(*ANY_SIGNED_IN)
def download(case_id: int, attachment_id: int):
    case = get_case_or_404(case_id)
    attachment = db.session.scalar(select(Attachment).where(
        Attachment.id == attachment_id, Attachment.case_id == case.id))
    if attachment is None:
        abort(404)
    path = storage_dir() / attachment.stored_name
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.filename, max_age=0)
