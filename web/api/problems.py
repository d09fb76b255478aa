"""Every API error as ``application/problem+json`` (RFC 9457), with a clear ``detail``.

Plain HTTP errors use the type ``about:blank`` with a localised title; the domain's own refusals
(stale version, guard failed, ...) have a type URI of their own under ``/api/v1/problems/``,
which answers with a short description, and field problems add an ``errors`` member.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from web.errors import answer_database_unavailable, database_unavailable
from web.extensions import db
from web.i18n import lang
from workflow.errors import (
    AccessDenied,
    GuardFailed,
    InvalidInput,
    NotAllowedInState,
    RoleNotAllowed,
    StaleVersion,
    UnknownTrigger,
    WorkflowError,
)
from workflow.states import Reason

PROBLEM_JSON = "application/problem+json"

# code -> (status, Japanese title, English title, what it means)
PROBLEM_TYPES = {
    "invalid_token": (401, "APIトークンが無効です", "The API token is not valid",
                      "The Authorization header is missing, or the bearer token is unknown, "
                      "revoked or expired. Create a new token on the account page."),
    "validation": (422, "入力内容に誤りがあります", "The input is not valid",
                   "One or more fields are not acceptable; `errors` lists each field's reasons."),
    "stale_version": (409, "他の人が先に変更しました", "The case was changed by someone else",
                      "`expected_version` is not the case's current version. Read the case "
                      "again and retry with its `version`."),
    "not_allowed_in_state": (409, "現在の状態ではこの操作はできません",
                             "Not possible in the case's current state",
                             "The transition does not start from the case's current state."),
    "guard_failed": (422, "この操作の条件を満たしていません",
                     "The conditions of this action are not met",
                     "The transition's guards refused it; `errors.guards` lists every reason."),
    "forbidden": (403, "この操作を行う権限がありません", "You may not do this",
                  "The token's user sees the case but their role may not do this."),
}


class ApiProblem(Exception):
    """Raise inside an API view to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, code: str | None = None,
                 errors: dict | None = None, title: str | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code
        self.errors, self.title, self.headers = errors, title, headers or {}


def _generic_title(status: int) -> str:
    from web.errors import TITLES

    return str(TITLES.get(status, lambda: _("リクエストを処理できませんでした"))())


def problem_response(status: int, detail: str, *, code: str | None = None,
                     errors: dict | None = None, title: str | None = None,
                     headers: dict | None = None):
    if code in PROBLEM_TYPES:
        _status, ja, en, _what = PROBLEM_TYPES[code]
        type_uri = url_for("api.problem_type", code=code, _external=True)
        title = title or (en if lang() == "en" else ja)
    else:
        type_uri = "about:blank"
        title = title or _generic_title(status)
    body = {"type": type_uri, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    response.headers.update(headers or {})
    return response


def reasons_json(reasons: list[Reason]) -> list[dict]:
    return [{"code": r.code, "message": r.text(lang())} for r in reasons]


def field_errors(field_reasons: dict[str, list[Reason]]) -> dict[str, list[dict]]:
    return {name: reasons_json(reasons) for name, reasons in field_reasons.items()}


def invalid(field_reasons: dict[str, list[Reason]]) -> ApiProblem:
    """422 naming each field that is not acceptable, with its reasons."""
    return ApiProblem(422, _validation_detail(field_reasons), code="validation",
                      errors=field_errors(field_reasons))


def _validation_detail(field_reasons: dict[str, list[Reason]]) -> str:
    return _("入力内容を確認してください（%(fields)s）：%(reasons)s",
             fields=", ".join(field_reasons),
             reasons=" ".join(r.text(lang()) for rs in field_reasons.values() for r in rs))


def workflow_problem(exc: WorkflowError):
    """The engine's refusals, each with its HTTP status."""
    detail = exc.message(lang())
    if isinstance(exc, InvalidInput):
        return problem_response(422, _validation_detail(exc.field_errors), code="validation",
                                errors=field_errors(exc.field_errors))
    if isinstance(exc, GuardFailed):
        return problem_response(422, detail, code="guard_failed",
                                errors={"guards": reasons_json(exc.reasons)})
    if isinstance(exc, StaleVersion):
        return problem_response(409, detail, code="stale_version")
    if isinstance(exc, NotAllowedInState):
        return problem_response(409, detail, code="not_allowed_in_state")
    if isinstance(exc, RoleNotAllowed | AccessDenied):
        return problem_response(403, detail, code="forbidden")
    if isinstance(exc, UnknownTrigger):
        return problem_response(404, detail)
    return problem_response(400, detail)


def register(bp: Blueprint) -> None:
    @bp.errorhandler(ApiProblem)
    def api_problem(exc: ApiProblem):
        return problem_response(exc.status, exc.detail, code=exc.code, errors=exc.errors,
                                title=exc.title, headers=exc.headers)

    @bp.errorhandler(WorkflowError)
    def refused(exc: WorkflowError):
        db.session.rollback()
        return workflow_problem(exc)

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        headers = {}
        if status == 429:
            # Flask-Limiter adds Retry-After and the X-RateLimit-* headers after this handler.
            detail = _("リクエストが多すぎます（上限：%(limit)s）。"
                       "しばらく待ってから再試行してください。", limit=exc.description)
        elif status == 405:
            detail = _("この URL では %(method)s は使えません。", method=request.method)
            allowed = exc.get_response().headers.get("Allow")
            if allowed:
                headers["Allow"] = allowed
        else:
            detail = _plain_detail(status, exc)
        return problem_response(status, detail, headers=headers)

    @bp.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        if database_unavailable(exc):
            return answer_database_unavailable(exc)
        current_app.logger.exception("Unhandled API error on %s", request.path)
        db.session.rollback()
        return problem_response(500, _("サーバーで予期しないエラーが発生しました。"
                                       "時間をおいて再試行してください。"))


def _plain_detail(status: int, exc: HTTPException) -> str:
    details = {
        400: _("リクエストの形式が正しくありません。"),
        404: _("指定したリソースは存在しないか、閲覧する権限がありません。"),
        413: _("リクエストの本文が大きすぎます。"),
        415: _("本文は Content-Type: application/json の JSON で送ってください。"),
    }
    return details.get(status) or _("リクエストを処理できませんでした。")
