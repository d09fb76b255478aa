"""The web side of server-side sessions (workflow.sessions): the cookie carries a token only.

``sign_in`` starts a session row and puts its token in the signed cookie; the user loader
accepts a cookie only while that row is live, so logout, "sign out everywhere", an
administrator or a password/role change ends a session for every app process at once.
"""

from __future__ import annotations

import logging

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from web.extensions import db
from workflow import sessions as user_sessions
from workflow.models import User, UserSession, utcnow

TOKEN_KEY = "_sid"  # noqa: S105 - the session key holding the token, not a secret
log = logging.getLogger(__name__)


def _lifetime():
    return current_app.permanent_session_lifetime


def sign_in(user: User) -> UserSession:
    """Start a server-side session for ``user`` and sign the browser in (commits)."""
    token, row = user_sessions.start(db.session, user, ip=request.remote_addr,
                                     user_agent=request.user_agent.string)
    db.session.commit()
    session.clear()  # nothing from before sign-in carries over (session fixation)
    login_user(user)
    session[TOKEN_KEY] = token
    session.permanent = True
    g._user_session = row
    return row


def open_sessions(user: User) -> list[UserSession]:
    return user_sessions.active_sessions(db.session, user, lifetime=_lifetime())


def current() -> UserSession | None:
    """This request's session row, once the user loader accepted the cookie."""
    return g.get("_user_session")


def accepts(user: User) -> bool:
    """Whether the cookie's token names a live session of ``user`` (for the user loader)."""
    row = user_sessions.find_active(db.session, session.get(TOKEN_KEY), user.id,
                                    lifetime=_lifetime())
    if row is None:
        return False
    g._user_session = row
    now = utcnow()
    if now - row.last_seen_at >= user_sessions.TOUCH_EVERY:
        _note_activity(row.id, now)
    return True


def _note_activity(row_id: int, now) -> None:
    # Its own short transaction: the view's unit of work must not be committed from here.
    try:
        with db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.id == row_id)
                               .values(last_seen_at=now))
    except SQLAlchemyError:
        log.warning("could not note activity of session %s", row_id, exc_info=True)


def sign_out(user: User, reason: str = "logout") -> None:
    """End this browser's session (and with ``reason="everywhere"`` every other too)."""
    row = current()
    if reason == "everywhere":
        user_sessions.end_all(db.session, user, reason=reason, actor=user)
    elif row is not None:
        user_sessions.end(db.session, row, reason=reason, actor=user)
    db.session.commit()
    logout_user()
    session.clear()
