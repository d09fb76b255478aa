"""Fixtures built on the app factory: a migrated database per test, users per role, a client.

Each test gets its own database: a copy of a migrated, seeded SQLite template, or with
``DXFLOW_TEST_DATABASE=postgresql`` a ``CREATE DATABASE ... TEMPLATE`` copy on a throw-away
PostgreSQL cluster started for the session.
"""

from __future__ import annotations

import itertools
import logging
import os
from pathlib import Path

import pytest
from sqlalchemy import select

import notifications.effects  # noqa: F401  (as in the app: transitions queue notifications)
from tests.support import skip_or_fail
from tests.support.databases import clone_database
from workflow.db import make_engine, make_session_factory
from workflow.models import Department, User
from workflow.people.passwords import hash_password

# Most tests sign administrators in with a password only; tests/test_mfa.py and the browser
# TOTP test require the second factor as production does (DXFLOW_MFA_REQUIRED_ROLES default).
os.environ.setdefault("DXFLOW_MFA_REQUIRED_ROLES", "none")

# aiosmtpd's per-connection chatter would otherwise interleave with pytest's progress lines.
logging.getLogger("mail.log").setLevel(logging.WARNING)

# world_template / world_app for the cross-cutting web tests.
pytest_plugins = ["tests.web_world"]

TEST_DATABASE = os.environ.get("DXFLOW_TEST_DATABASE", "sqlite")
PASSWORD = "correct-horse-42"
# Hashing with argon2's defaults costs ~50 ms; tests create many users, so hash once.
PASSWORD_HASH = hash_password(PASSWORD)
_counter = itertools.count(1)


def migrate_and_seed(url: str) -> None:
    """Run the real migrations on a bare Flask app (no blueprints: schema only)."""
    from flask import Flask
    from flask_migrate import upgrade

    from web.config import MIGRATIONS_DIR
    from web.extensions import db, migrate
    from workflow.seed import seed_departments

    app = Flask("dxflow-test-template")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    with app.app_context():
        upgrade()
        seed_departments(db.session)
        db.session.remove()
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
    return clone_database(database_template, tmp_path / "dxflow.sqlite3")


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


# --- web -------------------------------------------------------------------------------------

CSRF_RE = __import__("re").compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@pytest.fixture
def app(db_url, instance_dir):
    from web import create_app

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SECRET_KEY": "test-secret-key",
        "UPLOAD_DIR": str(instance_dir / "uploads"),
        "DXFLOW_INSTANCE_DIR": str(instance_dir),
    })
    yield app
    with app.app_context():
        from web.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, url: str = "/login") -> str:
    """Read the CSRF token from a rendered form, as a browser would (CSRF stays on in tests)."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, user, password: str = PASSWORD):
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"email": user.email, "password": password,
                                                "csrf_token": token})

    def logout(self):
        token = csrf_token(self.client, "/account")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, url: str, data: dict | None = None, *, form_url: str | None = None, **kwargs):
        """POST with the CSRF token read from ``form_url`` (default: the same URL)."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", csrf_token(self.client, form_url or url))
        return self.client.post(url, data=payload, **kwargs)


@pytest.fixture
def auth(client):
    return AuthActions(client)
