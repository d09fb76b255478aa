"""Fixtures built on the app factory: a migrated database per test, users per role, a client.

Each test gets its own database: a copy of a migrated, seeded SQLite template, or with
``DXFLOW_TEST_DATABASE=postgresql`` a ``CREATE DATABASE ... TEMPLATE`` copy on a throw-away
PostgreSQL cluster started for the session.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support import skip_or_fail
from workflow.db import make_engine, make_session_factory
from workflow.models import Department, User
from workflow.passwords import hash_password

TEST_DATABASE = os.environ.get("DXFLOW_TEST_DATABASE", "sqlite")
PASSWORD = "correct-horse-42"
# Hashing with argon2's defaults costs ~50 ms; tests create many users, so hash once.
PASSWORD_HASH = hash_password(PASSWORD)
_counter = itertools.count(1)


def migrate_and_seed(url: str) -> None:
    from web import create_app
    from web.cli import initialise_database

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        initialise_database()
        from web.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def pg_cluster():
    """A throw-away PostgreSQL cluster for this test process (skip, or fail in CI, if absent)."""
    from tests.support.postgres import PostgresCluster, PostgresUnavailable

    try:
        cluster = PostgresCluster().start()
    except PostgresUnavailable as exc:
        skip_or_fail(f"PostgreSQL is not available: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, request):
    """A migrated, seeded database every test copies."""
    if TEST_DATABASE == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.create_database("dxflow_template")
        migrate_and_seed(url)
        return ("postgresql", cluster)
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate_and_seed(f"sqlite:///{path}")
    return ("sqlite", path)


@pytest.fixture
def db_url(database_template, tmp_path) -> str:
    kind, source = database_template
    if kind == "postgresql":
        import psycopg

        name = f"dxflow_test_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(host="127.0.0.1", port=source.port, user="dxflow",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE dxflow_template')
        return source.url_for(name)
    target = tmp_path / "dxflow.sqlite3"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    session = make_session_factory(engine)()
    yield session
    session.close()


def department(session, code: str) -> Department:
    return session.scalar(select(Department).where(Department.code == code))


@pytest.fixture
def make_user(session):
    """Create a user with a role (bureau roles default to the Welfare Bureau)."""

    def make(role: str, dept: str | None = None, *, name: str | None = None,
             email: str | None = None, language: str = "ja") -> User:
        n = next(_counter)
        if dept is None and role in {"requester", "dept_manager"}:
            dept = "welfare"
        if dept is None and role in {"office", "office_lead"}:
            dept = "digital"
        user = User(
            email=email or f"{role}{n}@city.example.jp",
            name=name or f"{role} {n}",
            role=role,
            department_id=department(session, dept).id if dept else None,
            password_hash=PASSWORD_HASH,
            language=language,
        )
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def people(make_user):
    """One user per role, bureau roles in the Welfare Bureau."""
    return {role: make_user(role) for role in
            ("requester", "dept_manager", "office", "office_lead", "expert", "executive", "admin")}


@pytest.fixture
def instance_dir(tmp_path) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    return path
