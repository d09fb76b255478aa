"""Where a signed-in user lands: their role's home page, or a safe same-site ``next``."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for

from workflow.models import User

HOME_BY_ROLE = {
    "requester": "cases.index",
    "dept_manager": "tasks.index",
    "office": "office.board",
    "office_lead": "office.board",
    "expert": "cases.index",
    "executive": "dashboard.index",
    "admin": "admin.users",
}


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: an absolute ``next`` would be an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_url(user: User) -> str:
    return url_for(HOME_BY_ROLE.get(user.role, "tasks.index"))
