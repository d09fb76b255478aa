"""The dxflow web application: ``create_app`` wires extensions, blueprints and commands."""

from __future__ import annotations

from flask import Flask

from web import config as web_config
from web import logging_setup, request_input, secret_key
from web.extensions import babel, csrf, db, limiter, login_manager, migrate
from workflow.db import ensure_sqlite_dir

InsecureConfiguration = secret_key.InsecureConfiguration


def create_app(config: dict | None = None) -> Flask:
    settings = web_config.from_environment()
    settings.update(config or {})
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A pre-ping per checkout buys nothing on a local file and costs every transition.
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    app = Flask(__name__, instance_path=settings["DXFLOW_INSTANCE_DIR"])
    app.config.update(settings)
    request_input.init_app(app)
    app.config["SECRET_KEY"] = secret_key.resolve(app.config)
    logging_setup.init_app(app)
    ensure_sqlite_dir(app.config["SQLALCHEMY_DATABASE_URI"])
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    import notifications.effects  # noqa: F401  (queues notifications on transitions)
    from web import i18n, security

    db.init_app(app)
    migrate.init_app(app, db, directory=web_config.MIGRATIONS_DIR, render_as_batch=True,
                     compare_type=True)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=lambda: "Asia/Tokyo")
    limiter.init_app(app)
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from web import (
        admin,
        api,
        auth,
        cases,
        dashboard,
        data,
        health,
        inbox,
        office,
        plans,
        reviews,
        tasks,
    )

    for module in (auth, cases, plans, office, reviews, dashboard, tasks, inbox, admin, api, data,
                   health):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.account_bp)


def register_errorhandlers(app: Flask) -> None:
    from web import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from web import i18n, navigation, presenters

    i18n.init_templates(app)
    navigation.init_app(app)
    presenters.init_app(app)


def register_commands(app: Flask) -> None:
    """The CLI is the ``dxflow`` click group (web.commands); Flask-Migrate adds ``db``."""
