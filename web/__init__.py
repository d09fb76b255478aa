"""The dxflow web application: ``create_app`` wires extensions, blueprints and commands."""

from __future__ import annotations

from flask import Flask

from web import config as web_config
from web.extensions import db, migrate
from workflow.db import ensure_sqlite_dir


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=web_config.from_environment()["DXFLOW_INSTANCE_DIR"])
    app.config.update(web_config.from_environment())
    app.config.update(config or {})
    ensure_sqlite_dir(app.config["SQLALCHEMY_DATABASE_URI"])
    register_extensions(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=web_config.MIGRATIONS_DIR, render_as_batch=True,
                     compare_type=True)


def register_commands(app: Flask) -> None:
    from web.cli import register

    register(app)
