"""The migrations and the models describe the same schema, on SQLite and on PostgreSQL.

Autogenerate (``compare_metadata``) must find no difference after ``upgrade head``; the
chain must go down to base and up again; ``dxflow init`` run twice must change nothing.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from tests.support.console import run_dxflow
from web import config as web_config
from workflow.db import make_engine
from workflow.models import Base, Department
from workflow.portfolio.departments import CITY_DEPARTMENTS

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path) -> str:
    """The URL of a database with nothing in it yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"dxflow_migrations_{uuid.uuid4().hex[:12]}")


def _migrate(url: str, direction: str, revision: str) -> None:
    from web import create_app
    from web.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        getattr(flask_migrate, direction)(revision=revision)
        db.engine.dispose()


def _differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _head() -> str:
    heads = ScriptDirectory(web_config.MIGRATIONS_DIR).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def test_the_migrations_have_one_head():
    assert _head()


def test_upgrade_head_matches_the_models(empty_database):
    _migrate(empty_database, "upgrade", "head")

    assert _current_revision(empty_database) == _head()
    assert _differences(empty_database) == []
    assert {t.name for t in Base.metadata.sorted_tables} <= _tables(empty_database)


def test_downgrade_to_base_and_upgrade_again(empty_database):
    _migrate(empty_database, "upgrade", "head")
    _migrate(empty_database, "downgrade", "base")

    assert _current_revision(empty_database) is None
    assert _tables(empty_database) <= {"alembic_version"}

    _migrate(empty_database, "upgrade", "head")
    assert _current_revision(empty_database) == _head()
    assert _differences(empty_database) == []


# --- dxflow init, twice --------------------------------------------------------------------


_dxflow = run_dxflow  # the name the tests below use


def _snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table (and the Alembic revision), in primary-key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = {
                table.name: [tuple(r) for r in conn.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for table in Base.metadata.sorted_tables
            }
            rows["alembic_version"] = [tuple(r) for r in conn.execute(
                text("SELECT version_num FROM alembic_version"))]
            return rows
    finally:
        engine.dispose()


def test_dxflow_init_twice_changes_nothing(empty_database, tmp_path):
    instance = tmp_path / "instance"
    env = {
        **os.environ,
        "DXFLOW_DATABASE_URL": empty_database,
        "DXFLOW_INSTANCE_DIR": str(instance),
        "DXFLOW_SECRET_KEY": "migration-test-secret-key",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }

    first = _dxflow("init", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"Departments added: {len(CITY_DEPARTMENTS)}" in first.stdout
    assert len(CITY_DEPARTMENTS) == 46
    before = _snapshot(empty_database)
    assert len(before["departments"]) == 46

    second = _dxflow("init", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "Departments added: 0" in second.stdout
    assert _snapshot(empty_database) == before
    assert _differences(empty_database) == []

    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Department)) == 46
    finally:
        engine.dispose()
