"""Friendly error pages in both languages, and workflow errors turned into HTTP answers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from web.i18n import lang
from workflow.errors import StaleVersion

TITLES = {
    400: lambda: _("リクエストが正しくありません"),
    403: lambda: _("この操作を行う権限がありません"),
    404: lambda: _("ページが見つかりません"),
    405: lambda: _("この方法では利用できません"),
    409: lambda: _("他の人が先に変更しました"),
    413: lambda: _("ファイルが大きすぎます"),
    429: lambda: _("操作が多すぎます。しばらく待ってからお試しください"),
    500: lambda: _("システムエラーが発生しました"),
    503: lambda: _("データベースに接続できません"),
}
HINTS = {
    400: lambda: _("入力内容を確認して、もう一度お試しください。"),
    403: lambda: _("必要な権限がない場合は、"
                   "所属の管理者またはデジタル統括室にお問い合わせください。"),
    404: lambda: _("URLが正しいか確認してください。案件が存在しないか、閲覧権限がありません。"),
    405: lambda: _("このURLではこの操作はできません。画面のリンクやボタンから操作してください。"),
    409: lambda: _("この案件は他の人によって変更されました。"
                   "画面を再読み込みして最新の内容を確認してください。"),
    413: lambda: _("アップロードできるファイルの大きさには上限があります。"),
    429: lambda: _("安全のため、短時間に多くの操作を受け付けないようにしています。"),
    500: lambda: _("お手数ですが、時間をおいて再度お試しください。"
                   "解決しない場合はシステム管理者に連絡してください。"),
    503: lambda: _("一時的に利用できません。しばらく待ってから再度お試しください。"
                   "続く場合はシステム管理者に連絡してください。"),
}
# Seconds a client is asked to wait after a 503 (the database restarting, the pool exhausted).
RETRY_AFTER_SECONDS = 30


def database_unavailable(exc: Exception) -> bool:
    """The database cannot be reached now (down, restarting, pool exhausted, locked): a
    temporary condition, answered 503. Other database errors (constraints, SQL) are bugs: 500."""
    return isinstance(exc, OperationalError | PoolTimeout) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def reload_url() -> str:
    """Where "reload" leads after a 409: the page the form was on (a same-site referrer), else
    this address if it answers GET, else the case page of a case address, else the top page."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.scheme in ("http", "https"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    try:
        current_app.url_map.bind_to_environ(request.environ).match(request.path, method="GET")
        return request.path
    except HTTPException:  # POST-only (405), unknown (404) or a redirect
        pass
    case_id = (request.view_args or {}).get("case_id")
    return url_for("cases.detail", case_id=case_id) if case_id else url_for("auth.root")


def render_error(code: int, detail: str | None = None):
    title = TITLES.get(code, TITLES[500])()
    hint = HINTS.get(code, HINTS[500])()
    if request.path.startswith("/api/"):
        body = {"type": "about:blank", "title": title, "status": code, "detail": detail or hint}
        return body, code, {"Content-Type": "application/problem+json"}
    return render_template("errors/error.html", code=code, title=title, hint=hint,
                           detail=detail, reload_url=reload_url() if code == 409 else None), code


def answer_database_unavailable(exc: Exception):
    """503 (problem+json under /api/) with Retry-After, rendered without touching the database."""
    from web.extensions import db, login_manager

    current_app.logger.warning("Database unavailable on %s: %s", request.path,
                               str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
    try:
        db.session.rollback()
    except Exception:  # noqa: S110 - the connection is gone; teardown discards the session
        pass
    # Rendered as for a signed-out visitor: the header of a signed-in page queries the database.
    login_manager._update_request_context_with_user()
    response = make_response(render_error(503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        detail = exc.description if code in (400, 409) and exc.description and \
            not exc.description.startswith(("The browser", "The server")) else None
        response = make_response(render_error(code, detail))
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # RFC 9110: 405 needs it
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(400, _("フォームの有効期限が切れたか、不正な送信です。"
                                   "画面を再読み込みしてください。"))

    @app.errorhandler(StaleVersion)
    def stale(exc: StaleVersion):
        return render_error(409, exc.message(lang()))

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_error(exc: Exception):
        if not database_unavailable(exc):
            return unexpected(exc)
        return answer_database_unavailable(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("Unhandled error on %s", request.path)
        from web.extensions import db

        db.session.rollback()
        return render_error(500)
