"""Sign-in throttling for shared office networks (one NAT address for a whole city office).

Three layers, all in storage every app process shares:

* a generous ceiling per client address (``LOGIN_IP_LIMIT``, Flask-Limiter), so a whole
  office signing in at 9:00 is not refused but one machine cannot hammer the form;
* a limit per account over all addresses (``LOGIN_ACCOUNT_LIMIT``), against guessing one
  account's password from many addresses;
* a lock per (account, address) after ``LOGIN_MAX_FAILURES`` failures with back-off
  (workflow.lockouts), of which the account owner is told in the inbox and by e-mail.

The client address is ``request.remote_addr``: the reverse proxy's ``X-Forwarded-For`` is
used only when ``DXFLOW_PROXY_FIX`` says a proxy is there (web.proxy); otherwise a browser
could pick any address it liked.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app, request

from notifications.messages import render
from notifications.outbox import Pending, Recipient, enqueue
from notifications.settings import from_environment as notification_settings
from web.extensions import db
from workflow import lockouts
from workflow.models import User, utcnow


def source() -> str:
    return request.remote_addr or "unknown"


def ip_limit() -> str:
    return current_app.config["LOGIN_IP_LIMIT"]


def account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_LIMIT"]


def account_key() -> str:
    """The e-mail being tried, normalised as sign-in looks it up; hashed so that any length
    fits the limiter's key column with its own prefixes."""
    email = (request.form.get("email") or "").strip().lower()
    return "login-account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def policy() -> lockouts.Policy:
    config = current_app.config
    return lockouts.Policy(max_failures=config["LOGIN_MAX_FAILURES"],
                           first_lock=timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
                           longest_lock=timedelta(minutes=config["LOGIN_LOCK_MAX_MINUTES"]))


def is_locked(user: User) -> bool:
    return lockouts.is_locked(db.session, user, source())


def failed(user: User) -> None:
    """Count a failure of ``user`` from here; tell the owner when it starts a lock."""
    now = utcnow()
    length = lockouts.note_failure(db.session, user, source(), policy(), now=now)
    if length is not None:
        _tell_owner(user, length, now)


def succeeded(user: User) -> None:
    lockouts.note_success(db.session, user, source())


def _tell_owner(user: User, length: timedelta, now) -> None:
    settings = notification_settings()
    recipient = Recipient(user.id, user.name, user.email, user.language,
                          email_reminders=True)  # a security notice, not a reminder
    message = render("login_locked", user.language, name=user.name, source=source(),
                     minutes=int(length.total_seconds() // 60),
                     url=f"{settings.base_url}/account")
    pending = Pending(recipient, "login_locked", "user", user.id, f"lock-{now.isoformat()}",
                      message, data={"source": source()})
    enqueue(db.session, [pending], now=now, email_enabled=settings.smtp.enabled, webhook=False)
