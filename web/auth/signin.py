"""The end of every sign-in path (password, directory, identity provider): the second factor
when the account has or needs one, then the session and its audit event."""

from __future__ import annotations

import logging
import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from web.auth import directory, throttle
from web.auth import sessions as web_sessions
from web.extensions import db
from workflow import mfa
from workflow.external_accounts import Refused, sync_account
from workflow.models import User, utcnow
from workflow.people.audit import record

log = logging.getLogger(__name__)
PENDING_KEY = "mfa_pending"
PENDING_SECONDS = 600


def mfa_required(user: User) -> bool:
    return user.role in current_app.config["MFA_REQUIRED_ROLES"]


def finish_sign_in(user: User, method: str, next_url: str | None = None):
    """The first factor is proven: ask for the second one, or start the session."""
    from web.auth.landing import safe_next

    next_url = safe_next(next_url if next_url is not None else request.args.get("next"))
    throttle.succeeded(user)
    db.session.commit()
    if mfa.enabled(user) or mfa_required(user):
        session.clear()
        session[PENDING_KEY] = {"user": user.id, "method": method, "next": next_url,
                                "at": int(time.time())}
        return redirect(url_for("auth.mfa_verify" if mfa.enabled(user) else "auth.mfa_enrol"))
    return start_session(user, method, next_url)


def pending_user() -> tuple[User, dict] | None:
    """The account half-way through sign-in (first factor done, second not yet), if fresh."""
    pending = session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending["user"])
    return (user, pending) if user is not None and user.active else None


def start_session(user: User, method: str, next_url: str | None, factor: str | None = None):
    from web.auth.landing import home_url

    user.last_login_at = utcnow()
    data = {"ip": request.remote_addr, "method": method}
    if factor:
        data["mfa"] = factor
    record(db.session, "login", user, data=data)
    web_sessions.sign_in(user)  # commits; a fresh server-side session (nothing carries over)
    return redirect(next_url or home_url(user))


def record_failure(email: str, user: User | None, reason: str, method: str) -> None:
    record(db.session, "login_failed", user, data={
        "email": email[:254], "ip": request.remote_addr, "method": method, "reason": reason})
    db.session.commit()


def _failed(form, email: str, user: User | None, reason: str, message: str | None = None):
    record_failure(email, user, reason, "ldap")
    flash(message or _("メールアドレスまたはパスワードが正しくないか、"
                       "アカウントが一時的にロックされています。"), "error")
    return render_template("auth/login.html", form=form)


def directory_sign_in(form, email: str, password: str):
    """Sign in through LDAP/AD when it applies to ``email``; None: use the local password."""
    config = current_app.config
    if not directory.enabled(config):
        return None
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None and user.auth_source == "local" and (
            config["LOCAL_SIGNIN"] != "admins" or user.role == "admin"):
        return None
    try:
        identity = directory.authenticate(config, email, password)
    except directory.DirectoryUnavailable as exc:
        log.warning("directory unavailable: %s", exc)
        if user is not None and user.auth_source == "local":
            return None
        return _failed(form, email, user, "directory_unavailable", _(
            "庁内ディレクトリ（認証サーバー）に接続できないため、ログインできません。"
            "しばらくしてから再度お試しください。"))
    except directory.BadCredentials as exc:
        return _failed(form, email, user, exc.reason)
    try:
        user = sync_account(db.session, identity,
                            take_over_local=config["LOCAL_SIGNIN"] == "admins")
    except Refused as exc:
        db.session.rollback()
        return _failed(form, email, exc.user, exc.reason)
    return finish_sign_in(user, "ldap")
