"""Settings read from the environment (prefix ``DXFLOW_``), shared by the CLI, web app and
scheduler."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "DXFLOW_"


def env(name: str, default: str | None = None) -> str | None:
    """Return ``DXFLOW_<name>`` from the environment, or ``default``."""
    return os.environ.get(ENV_PREFIX + name, default)


def instance_dir() -> Path:
    """The writable folder for the SQLite file, uploads and backups (``DXFLOW_INSTANCE_DIR``)."""
    return Path(env("INSTANCE_DIR") or Path.cwd() / "instance").resolve()


def default_database_url() -> str:
    return f"sqlite:///{instance_dir() / 'dxflow.sqlite3'}"


def database_url() -> str:
    """``DXFLOW_DATABASE_URL``, defaulting to a SQLite file under ``instance/``."""
    return env("DATABASE_URL") or default_database_url()


@dataclass(frozen=True)
class ReviewPolicy:
    """When KPI reviews fall due (DOMAIN.md: yearly after each FY end, optional quarterly)."""

    days_after_fy_end: int = 60
    quarterly: bool = False


def review_policy() -> ReviewPolicy:
    return ReviewPolicy(
        days_after_fy_end=int(env("REVIEW_DAYS_AFTER_FY_END", "60") or 60),
        quarterly=(env("REVIEW_QUARTERLY", "0") or "0").lower() in {"1", "true", "yes"},
    )
