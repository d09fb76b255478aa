"""``dxflow states`` and ``dxflow case show``: the process and a case's history, on a terminal."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from web.commands.base import fail, main, terminal_width
from web.extensions import db
from workflow.fiscal import format_datetime
from workflow.models import AuditEvent, Case
from workflow.states import state_label
from workflow.states.diagram import mermaid, table


@main.command("states")
@click.option("--format", "fmt", type=click.Choice(["table", "mermaid", "both"]), default="both")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja")
def states_command(fmt: str, lang: str) -> None:
    """Print the case state machine as a table and as a Mermaid diagram."""
    if fmt in ("table", "both"):
        header = ("trigger", "label", "from", "to", "roles", "guards")
        rows = [header, *table(lang)]
        widths = [max(terminal_width(r[i]) for r in rows) for i in range(len(header))]
        for row in rows:
            cells = (cell + " " * (w - terminal_width(cell))
                     for cell, w in zip(row, widths, strict=True))
            click.echo("  ".join(cells).rstrip())
    if fmt == "both":
        click.echo()
    if fmt in ("mermaid", "both"):
        click.echo(mermaid())


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
