"""Flask configuration from ``DXFLOW_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from workflow import config as wf_config

DEFAULT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused outside debug/demo
MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def from_environment() -> dict:
    return {
        "SECRET_KEY": wf_config.env("SECRET_KEY") or DEFAULT_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": wf_config.database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "DXFLOW_INSTANCE_DIR": str(wf_config.instance_dir()),
        "DXFLOW_DEMO": (wf_config.env("DEMO", "0") or "0") == "1",
    }
