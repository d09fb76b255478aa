"""``dxflow init`` and ``dxflow users``: the database and the user accounts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from web.commands.base import fail, initialise_database, main
from web.extensions import db
from workflow.errors import InvalidInput
from workflow.models import ROLES, User
from workflow.people.users import create_user, deactivate_user, find_department


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
