"""``dxflow tokens``: personal API tokens from the command line (create, list, revoke)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from web.commands.base import fail, main
from web.extensions import db
from workflow.errors import InvalidInput
from workflow.fiscal import format_datetime
from workflow.models import ApiToken, User, utcnow
from workflow.people import tokens


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        fail(f"no user with e-mail '{email}'")
    return user


@main.group("tokens")
def tokens_group() -> None:
    """Personal API tokens (Authorization: Bearer ...) for the REST API under /api/v1."""


@tokens_group.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What the token is for, e.g. 'progress macro'.")
@click.option("--days", default=90, show_default=True, type=int,
              help="Days until it expires; 0 for no expiry.")
@with_appcontext
def tokens_create(email: str, name: str, days: int) -> None:
    """Create a token and print it once (it is stored only as a hash)."""
    user = _user(email)
    try:
        token, secret = tokens.create_token(db.session, user, name,
                                            expires_in_days=days or None)
    except InvalidInput as exc:
        fail(exc.message("en"))
    expires = format_datetime(token.expires_at, "en") if token.expires_at else "never"
    click.echo(f"Created token {token.id} '{token.name}' for {user.email} (expires: {expires})")
    click.echo(secret)
    click.echo("Copy it now: it is shown only this once.", err=True)


@tokens_group.command("list")
@click.option("--email", required=True)
@with_appcontext
def tokens_list(email: str) -> None:
    """List a user's tokens with their status and last use."""
    user = _user(email)
    now = utcnow()
    rows = tokens.tokens_of(db.session, user)
    if not rows:
        click.echo(f"{user.email} has no API tokens")
    for token in rows:
        last = format_datetime(token.last_used_at, "en") if token.last_used_at else "never used"
        expires = format_datetime(token.expires_at, "en") if token.expires_at else "no expiry"
        click.echo(f"{token.id}\t{token.name}\t{token.status(now)}\t"
                   f"created {format_datetime(token.created_at, 'en')}\t{last}\t"
                   f"expires {expires}")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by its id: requests with it get 401 from now on."""
    token = db.session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None:
        fail(f"no API token {token_id}")
    if tokens.revoke_token(db.session, token):
        click.echo(f"Revoked token {token.id} '{token.name}' of {token.user.email}")
    else:
        click.echo(f"Token {token.id} was already revoked")
