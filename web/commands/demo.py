"""``dxflow demo``: a demo city in a fresh SQLite file, served on http://127.0.0.1:5000."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from web.commands.base import fail, initialise_database, main, terminal_width
from web.extensions import db
from web.security import NoVersionRequestHandler
from workflow import config as wf_config
from workflow.db import make_session_factory
from workflow.demo.loader import DemoError, DemoSummary, load_demo
from workflow.demo.people import DEMO_DOMAIN, DEMO_PASSWORD
from workflow.models import Case, User, utcnow
from workflow.states import PHASES

DEMO_DATABASE = "demo.sqlite3"


@main.command("demo", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to serve on.")
@click.option("--no-serve", is_flag=True, help="Load the demo and exit without serving it.")
@click.option("--reset", is_flag=True, help="Delete the demo's SQLite file first and start afresh.")
def demo_command(host: str, port: int, no_serve: bool, reset: bool) -> None:
    """Load the demo (the action plan's initiatives, users for every role) and serve it.

    The database is instance/demo.sqlite3, or DXFLOW_DATABASE_URL when set. An existing
    demo is reused; a database holding anything else is never touched.
    """
    from web import create_app

    url = _database_url(reset)
    # The demo's passwords are printed for everyone: an authenticator app would prove nothing.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DXFLOW_DEMO": True,
                      "MFA_REQUIRED_ROLES": frozenset()})
    with app.app_context():
        initialise_database()
        session = make_session_factory(db.engine)()
        try:
            if _holds_other_data(session):
                fail("the database already holds cases or users that are not the demo's; "
                     "use --reset (SQLite only) or point DXFLOW_DATABASE_URL at an empty database")
            click.echo("デモデータを読み込んでいます（数十秒かかることがあります）…")
            summary = load_demo(session, now=utcnow())
        except DemoError as exc:
            fail(f"{exc}; run again with --reset")
        finally:
            session.close()
            db.engine.dispose()  # the server opens its own connections
    click.echo(f"Database: {make_url(url).render_as_string(hide_password=True)}")
    _print_summary(summary)
    if no_serve:
        return
    if not _is_loopback(host):
        _warn_shared_password(host)
    click.echo(f"\nブラウザで http://{host}:{port}/ を開き、"
               "上のメールアドレスでサインインしてください。（Ctrl+C で終了）")
    scheduler = _start_scheduler(url)
    # Flask ignores app.run() under its own CLI (FlaskGroup sets this); here it is the point.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    try:
        app.run(host=host, port=port, debug=False, use_reloader=False,
                request_handler=NoVersionRequestHandler)
    finally:
        scheduler.shutdown(wait=False)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _warn_shared_password(host: str) -> None:
    """Other machines can reach this demo, and every demo account has the same password."""
    line = "!" * 72
    click.secho("\n".join([
        line,
        f"警告: デモを {host} で公開します。ネットワーク上の誰でもアクセスできます。",
        f"デモの全アカウント（管理者を含む）のパスワードは共通で公開されています: {DEMO_PASSWORD}",
        "本物のデータを入れないでください。"
        "自分だけで試すときは --host 127.0.0.1 を使ってください。",
        f"WARNING: serving the demo on {host}: anyone on the network can reach it, and every",
        f"demo account (the administrator too) shares the published password {DEMO_PASSWORD}.",
        "Do not put real data in it; use --host 127.0.0.1 to keep it to this machine.",
        line,
    ]), fg="red", bold=True, err=True)


def _start_scheduler(url: str):
    """The single-process demo embeds the sweeps (production runs `dxflow scheduler` alone)."""
    from notifications import settings as notification_settings
    from notifications.scheduler import build_scheduler
    from workflow.db import make_engine

    settings = notification_settings.from_environment()
    scheduler = build_scheduler(make_session_factory(make_engine(url)), settings, background=True)
    scheduler.start()
    mail = f"SMTP {settings.smtp.host}:{settings.smtp.port}" if settings.smtp.enabled else \
        "e-mail off (set DXFLOW_SMTP_HOST/PORT to send to a local catcher)"
    at = f"{settings.reminder_hour:02d}:{settings.reminder_minute:02d}"
    click.echo(f"Scheduler: reminders daily at {at} Asia/Tokyo, outbox every minute; {mail}")
    return scheduler


def _database_url(reset: bool) -> str:
    url = wf_config.env("DATABASE_URL") or f"sqlite:///{wf_config.instance_dir() / DEMO_DATABASE}"
    parsed = make_url(url)
    is_file = (parsed.get_backend_name() == "sqlite"
               and parsed.database not in (None, "", ":memory:"))
    if reset:
        if not is_file:
            fail("--reset only deletes a SQLite file; empty that database yourself")
        path = Path(parsed.database)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    return url


def _holds_other_data(session) -> bool:
    """True when the database has users, or cases, that are not the demo's: never mix them."""
    demo = User.email.like(f"%@{DEMO_DOMAIN}")
    if session.scalar(select(func.count()).select_from(User).where(~demo)):
        return True
    has_demo_users = session.scalar(select(func.count()).select_from(User).where(demo))
    return not has_demo_users and bool(session.scalar(select(func.count()).select_from(Case)))


def _print_summary(summary: DemoSummary) -> None:
    if summary.already_loaded:
        click.echo("既存のデモデータを使います（作り直すときは --reset）。")
    counts = summary.phases
    parts = "・".join(f"{p.label_ja} {counts[p.name]}" for p in PHASES if counts.get(p.name))
    click.echo(f"案件: {summary.cases}件（{parts}）\n")
    rows = [("役割", "メールアドレス", "氏名", "所属")]
    rows += [(u.role_ja, u.email, u.name, u.department or "－")
             for u in summary.users if u.featured]
    widths = [max(terminal_width(row[i]) for row in rows) for i in range(4)]
    for n, row in enumerate(rows):
        cells = (c + " " * (w - terminal_width(c)) for c, w in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))
    others = [u for u in summary.users if not u.featured]
    if others:
        depts = list(dict.fromkeys(u.department for u in others))
        tanto, kacho = (next(u for u in others if u.role == r)
                        for r in ("requester", "dept_manager"))
        click.echo(f"\nほかに {len(depts)} 部局（{'、'.join(depts[:4])} など）にも"
                   "担当者と所属長がいます。")
        click.echo(f"  例: {tanto.email}（{tanto.role_ja}）、{kacho.email}（{kacho.role_ja}）")
    click.echo(f"\nパスワード（全員共通）: {DEMO_PASSWORD}")
