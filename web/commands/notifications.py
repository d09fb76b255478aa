"""``dxflow scheduler``, ``dxflow reminders`` and ``dxflow outbox``: the notification side of the
CLI."""

from __future__ import annotations

from datetime import date, datetime, time

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from notifications import settings as notification_settings
from notifications.dispatcher import flush_outbox, retry_dead
from notifications.scheduler import build_scheduler
from notifications.sweeps import sweep_reviews, sweep_stale_work
from web import logging_setup
from web.commands.base import fail, main
from web.extensions import db
from workflow.db import make_engine, make_session_factory
from workflow.fiscal import TOKYO
from workflow.models import Notification


@main.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the sweeps (reviews, stale work, outbox) in this process until stopped."""
    # The app's log set-up (DXFLOW_LOG_JSON=1: one JSON object per line), installed afresh in
    # case a migration's logging config replaced it.
    logging_setup.configure_logging()
    engine = make_engine(db.engine.url.render_as_string(hide_password=False))
    scheduler = build_scheduler(make_session_factory(engine),
                                notification_settings.from_environment())
    click.echo("dxflow scheduler running (Asia/Tokyo); Ctrl+C to stop")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass


@main.command("reminders")
@click.option("--date", "on_date", required=True, help="The day to simulate, e.g. 2026-04-10.")
@click.option("--dry-run", is_flag=True, help="Only print what would be sent.")
@with_appcontext
def reminders_command(on_date: str, dry_run: bool) -> None:
    """Run the reminder sweeps for a day (at the configured hour, JST) and print each message."""
    try:
        day = date.fromisoformat(on_date)
    except ValueError:
        fail(f"--date must look like 2026-04-10, not '{on_date}'")
    settings = notification_settings.from_environment()
    now = datetime.combine(day, time(settings.reminder_hour, settings.reminder_minute), TOKYO)
    reviews = sweep_reviews(db.session, now, settings=settings, dry_run=dry_run)
    stale = sweep_stale_work(db.session, now, settings=settings, dry_run=dry_run)
    lines = reviews.describe() + stale.describe()
    verb = "would be sent" if dry_run else "queued"
    click.echo(f"{day.isoformat()}: {len(lines)} notification(s) {verb}")
    for line in lines:
        click.echo(f"  {line}")


@main.group("outbox")
def outbox_group() -> None:
    """Look at and deliver queued notifications."""


@outbox_group.command("flush")
@with_appcontext
def outbox_flush() -> None:
    """Deliver what is due now."""
    result = flush_outbox(db.session, notification_settings.from_environment())
    click.echo(f"sent {result.sent}, retrying {result.retried}, dead {result.dead}")
    for error in dict.fromkeys(result.errors):
        click.echo(f"  error: {error}")


@outbox_group.command("retry")
@click.argument("notification_id", type=int)
@with_appcontext
def outbox_retry(notification_id: int) -> None:
    """Queue a dead-lettered notification again."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.status != "dead":
        fail(f"no dead-lettered notification {notification_id}")
    retry_dead(db.session, notification)
    click.echo(f"notification {notification_id} queued again")


@outbox_group.command("status")
@with_appcontext
def outbox_status() -> None:
    """Counts by channel and status."""
    from sqlalchemy import func

    rows = db.session.execute(select(Notification.channel, Notification.status, func.count())
                              .group_by(Notification.channel, Notification.status))
    for channel, status, count in rows:
        click.echo(f"{channel}\t{status}\t{count}")
