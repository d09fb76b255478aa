"""The ``dxflow`` click group and what every command shares; it imports no command module."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command

from web.extensions import db
from workflow.seed import seed_departments


def _create_app():
    from web import create_app

    # Commands work on the database; serving is `dxflow demo` or gunicorn (web.wsgi), which
    # keep the secret-key check.
    return create_app({"DXFLOW_CLI": True})


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False, set_debug_flag=False)
def main() -> None:
    """dxflow — DX support workflow for the city (デジタル統括室の伴走支援)."""


main.add_command(shell_command)
main.add_command(routes_command)


def fail(message: str) -> None:
    """Exit 2 with one clear line, as for any bad argument."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def initialise_database() -> int:
    """Create or upgrade the schema, then seed departments; safe to run again."""
    from flask_migrate import upgrade

    upgrade()
    return seed_departments(db.session)


def terminal_width(text: str) -> int:
    # Full-width (Japanese) characters take two columns in a terminal.
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def register(app: Flask) -> None:
    """Commands are defined on ``main``; nothing extra to attach to the app yet."""
