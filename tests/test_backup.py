"""dxflow backup / restore: a restored database holds exactly what was backed up."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.workflow_helpers import new_case, walk_to
from workflow.models import AuditEvent, Case


@pytest.fixture
def cli(app):
    from web.commands import main

    def run(*args):
        runner = app.test_cli_runner()
        return runner.invoke(main, list(args))

    return run


def snapshot(session):
    session.expire_all()
    cases = session.execute(select(Case.number, Case.state, Case.version).order_by(Case.id)).all()
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    return cases, events


def test_backup_then_restore_gives_back_the_same_data(cli, app, session, people, tmp_path):
    case = new_case(session, people["requester"])
    walk_to(session, case, "consultation_study", people)
    before = snapshot(session)
    target = tmp_path / "backup.bin"
    result = cli("backup", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    # Work continues after the backup...
    walk_to(session, case, "planning_as_is", people)
    assert snapshot(session) != before
    session.close()
    result = cli("restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    assert snapshot(session) == before


def test_restore_refuses_without_confirmation_or_with_a_foreign_file(cli, app, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    assert cli("restore", str(junk)).exit_code == 2
    result = cli("restore", str(junk), "--yes")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert result.exit_code == 2 and "not a dxflow SQLite backup" in result.output
    else:
        assert result.exit_code == 2
