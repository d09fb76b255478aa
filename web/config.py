"""Flask configuration from ``DXFLOW_*`` environment variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from web import signin_config
from workflow import config as wf_config

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def _flag(name: str, default: str = "0") -> bool:
    return (wf_config.env(name, default) or default).lower() in {"1", "true", "yes", "on"}


def from_environment() -> dict:
    instance = wf_config.instance_dir()
    https = _flag("HTTPS")
    return {
        "SECRET_KEY": wf_config.env("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": wf_config.database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "DXFLOW_INSTANCE_DIR": str(instance),
        "DXFLOW_DEMO": _flag("DEMO"),
        "UPLOAD_DIR": wf_config.env("UPLOAD_DIR") or str(instance / "uploads"),
        "MAX_CONTENT_LENGTH": int(wf_config.env("MAX_UPLOAD_MB", "10") or 10) * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PERMANENT_SESSION_LIFETIME": timedelta(
            hours=int(wf_config.env("SESSION_HOURS", "10") or 10)),
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
        "RATELIMIT_STORAGE_URI": wf_config.env("RATELIMIT_STORAGE_URI") or "database://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_IP_LIMIT": wf_config.env("LOGIN_IP_LIMIT") or "300 per minute",
        "LOGIN_ACCOUNT_LIMIT": wf_config.env("LOGIN_ACCOUNT_LIMIT") or "30 per 10 minutes",
        "LOGIN_MAX_FAILURES": int(wf_config.env("LOGIN_MAX_FAILURES", "5") or 5),
        "LOGIN_LOCK_MINUTES": int(wf_config.env("LOGIN_LOCK_MINUTES", "5") or 5),
        "LOGIN_LOCK_MAX_MINUTES": int(wf_config.env("LOGIN_LOCK_MAX_MINUTES", "240") or 240),
        "WTF_CSRF_TIME_LIMIT": None,
        "API_RATE_LIMIT": wf_config.env("API_RATE_LIMIT") or "120 per minute",
        **signin_config.from_environment(),
    }
