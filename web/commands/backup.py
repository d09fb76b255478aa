"""``dxflow backup`` and ``dxflow restore``: SQLite's online backup API, pg_dump for PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess  # noqa: S404 - runs pg_dump/pg_restore with fixed arguments, no shell
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from web.commands.base import fail, main
from web.extensions import db
from workflow import config as wf_config
from workflow.fiscal import TOKYO


def _default_target(suffix: str) -> Path:
    stamp = datetime.now(TOKYO).strftime("%Y%m%d-%H%M%S")
    return wf_config.instance_dir() / "backups" / f"dxflow-{stamp}{suffix}"


def _run_pg(tool: str, url, *args: str) -> None:
    """Run pg_dump/pg_restore against ``url``; exit 2 with its last error line on failure."""
    import os

    connection = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
                  "-U", url.username or "postgres"]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PGSSLMODE")}
    if url.password:
        env["PGPASSWORD"] = url.password
    result = subprocess.run([_tool(tool), *connection, *args], env=env,  # noqa: S603
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or [f"exit code {result.returncode}"]
        fail(f"{tool} failed: {lines[-1]}")


def _tool(name: str) -> str:
    path = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                                                  reverse=True)), None)
    if path is None:
        fail(f"{name} is not installed (apt-get install postgresql-client)")
    return str(path)


@main.command("backup")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the backup (default: instance/backups/dxflow-<time>).")
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Copy the database while the app keeps running."""
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite":
        target = output or _default_target(".sqlite3")
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(url.database)
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)  # consistent even while others write (online backup API)
        finally:
            dest.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        target = output or _default_target(".dump")
        target.parent.mkdir(parents=True, exist_ok=True)
        _run_pg("pg_dump", url, "-Fc", "-f", str(target), url.database)
    else:
        fail(f"backup does not support {url.get_backend_name()}")
    click.echo(f"Backup written: {target}")


@main.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm that the current data will be replaced.")
@with_appcontext
def restore_command(backup: Path, yes: bool) -> None:
    """Replace the database with a backup (stop the app and scheduler first)."""
    if not yes:
        fail("restore replaces every record in the database; add --yes to confirm")
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        try:
            source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
            source.execute("SELECT count(*) FROM alembic_version").fetchone()
        except sqlite3.DatabaseError as exc:
            fail(f"{backup} is not a dxflow SQLite backup ({exc})")
        dest = sqlite3.connect(url.database)
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        _run_pg("pg_restore", url, "--clean", "--if-exists", "--no-owner", "-d", url.database,
                str(backup))
    else:
        fail(f"restore does not support {url.get_backend_name()}")
    click.echo(f"Restored from {backup}")
