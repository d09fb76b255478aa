"""The ``dxflow`` command: set-up, users, the state machine, cases (and later demo, scheduler)."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext
from sqlalchemy import select

from web.extensions import db
from workflow.errors import InvalidInput
from workflow.fiscal import format_datetime
from workflow.models import ROLES, AuditEvent, Case, User
from workflow.people.users import create_user, deactivate_user, find_department
from workflow.seed import seed_departments
from workflow.states import state_label
from workflow.states.diagram import mermaid, table


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


@main.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database and seed the city's departments (idempotent)."""
    added = initialise_database()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"Departments added: {added}")


@main.group("users")
def users_group() -> None:
    """Manage user accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--department", "department_ref", help="Department code or name (bureau staff).")
@click.option("--language", default="ja", type=click.Choice(["ja", "en"]))
@click.password_option(help="Prompted when omitted.")
@with_appcontext
def users_create(email, name, role, department_ref, language, password) -> None:
    """Create a user."""
    department = None
    if department_ref:
        department = find_department(db.session, department_ref)
        if department is None:
            fail(f"unknown department '{department_ref}' (see the departments table)")
    try:
        user = create_user(db.session, email=email, name=name, role=role, password=password,
                           department=department, language=language)
    except InvalidInput as exc:
        fail(exc.message("en"))
    click.echo(f"Created {user.email} ({user.role})")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List users with role, department and status."""
    for user in db.session.scalars(select(User).order_by(User.role, User.email)):
        dept = user.department.name if user.department else "-"
        status = "active" if user.active else "inactive"
        click.echo(f"{user.email}\t{user.name}\t{user.role}\t{dept}\t{status}")


@users_group.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    """Deactivate a user (they can no longer sign in; their history stays)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        fail(f"no user with e-mail '{email}'")
    deactivate_user(db.session, user)
    click.echo(f"Deactivated {user.email}")


@main.command("states")
@click.option("--format", "fmt", type=click.Choice(["table", "mermaid", "both"]), default="both")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja")
def states_command(fmt: str, lang: str) -> None:
    """Print the case state machine as a table and as a Mermaid diagram."""
    if fmt in ("table", "both"):
        header = ("trigger", "label", "from", "to", "roles", "guards")
        rows = [header, *table(lang)]
        widths = [max(_width(r[i]) for r in rows) for i in range(len(header))]
        for row in rows:
            cells = (cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True))
            click.echo("  ".join(cells).rstrip())
    if fmt == "both":
        click.echo()
    if fmt in ("mermaid", "both"):
        click.echo(mermaid())


def _width(text: str) -> int:
    # Full-width (Japanese) characters take two columns in a terminal.
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@main.group("case")
def case_group() -> None:
    """Look at cases."""


@case_group.command("show")
@click.argument("number")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja")
@with_appcontext
def case_show(number: str, lang: str) -> None:
    """Show a case's state and history."""
    case = db.session.scalar(select(Case).where(Case.number == number.strip().upper()))
    if case is None:
        fail(f"no case numbered '{number}' (numbers look like DX-2025-0007)")
    click.echo(f"{case.number}  {case.title}")
    click.echo(f"  department: {case.department.name}")
    click.echo(f"  state:      {case.state} ({state_label(case.state, lang)})"
               f"  version {case.version}")
    if case.assignee:
        click.echo(f"  assignee:   {case.assignee.name}")
    click.echo("  history:")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    )
    for event in events:
        who = event.actor.name if event.actor else "system"
        if event.on_behalf_of:
            who += f" (on behalf of {event.on_behalf_of.name})"
        move = f"{event.from_state or ''} -> {event.to_state}" if event.to_state else ""
        what = event.trigger or event.kind
        line = f"    {format_datetime(event.created_at, lang)}  {what:<14} {move}  {who}"
        click.echo(line.rstrip())
        if event.comment:
            quoted = f"「{event.comment}」" if lang == "ja" else f"\"{event.comment}\""
            click.echo(f"        {quoted}")


def register(app: Flask) -> None:
    """Commands are defined on ``main``; nothing extra to attach to the app yet."""
