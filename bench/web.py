"""How fast are the web app's main pages with 10,000 cases?  (issue #3, "Benchmark")

    python bench/web.py [--quick] [--cases N] [--requests N] [--profile]

Builds one file SQLite database in a temp dir with the real migrations (WAL,
``synchronous=FULL``, as shipped), the city's departments, a requester and a manager per
bureau, the test world of ``tests/web_world.py`` (cases walked through the real engine, with a
plan, a review, supporters, an attachment) and then 10,000 cases (1,000 with ``--quick``)
inserted in bulk with SQLAlchemy Core, spread over every state, bureau and fiscal year with
their audit events, plans and KPIs, reviews, supporters and inbox messages.

Each page is then requested through the Flask test client, signed in as the role that uses
it (office lead; executive for the dashboard): a few warm-up requests, then ~50 timed
requests (20 with ``--quick``) measured server-side (the whole WSGI round trip in-process, no
network). Pages: the office board, a case page, the dashboard (as served: its figures are
cached per process until the data changes; and ``dashboard_uncached``, recomputing every
time), the cases list and my tasks. Also the SQL statements each page runs.

Target: p95 < 150 ms per page. ``--profile`` prints where the time of each page goes.
Progress goes to stderr; the figures are ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from tests.web_world import (  # noqa: E402
    CHEAP_HASH,
    build_world,
    bulk_portfolio,
    csrf_from,
    people_for_portfolio,
    sign_in,
)
from web import create_app  # noqa: E402
from web.extensions import db  # noqa: E402
from workflow.db import make_engine, make_session_factory  # noqa: E402
from workflow.models import Department, User  # noqa: E402

TARGET_P95_MS = 150.0
BATCH = 1000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def migrate(url: str) -> None:
    """The real migrations, on a bare Flask app (as the test suite does), then the seed."""
    from flask import Flask
    from flask_migrate import upgrade

    from web.config import MIGRATIONS_DIR
    from web.extensions import migrate as flask_migrate
    from workflow.seed import seed_departments

    app = Flask("dxflow-bench-schema")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    flask_migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    with app.app_context():
        import logging

        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade()
        seed_departments(db.session)
        db.session.remove()
        db.engine.dispose()


def bureau_staff(session) -> None:
    """A requester and a manager for every bureau (the world adds the Welfare and Finance ones)."""
    for dept in session.scalars(select(Department).where(Department.code != "digital")):
        for role in ("requester", "dept_manager"):
            session.add(User(email=f"bench-{role}-{dept.code}@city.example.jp",
                             name=f"{dept.name} {role}", role=role, department_id=dept.id,
                             password_hash=CHEAP_HASH, language="ja"))
    session.commit()


def build(directory: Path, n_cases: int) -> tuple[str, object]:
    url = f"sqlite:///{directory / 'bench-web.sqlite3'}"
    log(f"schema and departments → {url}")
    migrate(url)
    engine = make_engine(url)
    session = make_session_factory(engine)()
    log("the world: users per role, cases walked through the engine")
    world = build_world(session, directory / "uploads")
    bureau_staff(session)
    people = people_for_portfolio(session)
    session.close()
    started = time.perf_counter()
    for start in range(0, n_cases, BATCH):
        with engine.begin() as connection:
            bulk_portfolio(connection, min(BATCH, n_cases - start), people, start=start)
        log(f"  {min(start + BATCH, n_cases):,} cases")
    log(f"bulk insert: {time.perf_counter() - started:.1f} s")
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return url, world


class Counter:
    """SQL statements of one request, and the time spent in them (cursor execute to return)."""

    def __init__(self, engine) -> None:
        self.engine, self.n, self.seconds, self._t0 = engine, 0, 0.0, 0.0

    def before(self, *args) -> None:
        self.n += 1
        self._t0 = time.perf_counter()

    def after(self, *args) -> None:
        self.seconds += time.perf_counter() - self._t0

    def measure(self, fn) -> tuple[int, float]:
        self.n, self.seconds = 0, 0.0
        event.listen(self.engine, "before_cursor_execute", self.before)
        event.listen(self.engine, "after_cursor_execute", self.after)
        try:
            fn()
        finally:
            event.remove(self.engine, "before_cursor_execute", self.before)
            event.remove(self.engine, "after_cursor_execute", self.after)
        return self.n, self.seconds * 1000


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 cases, 20 requests a page")
    parser.add_argument("--cases", type=int, help="number of bulk cases (default 10,000)")
    parser.add_argument("--requests", type=int, help="timed requests per page (default 50)")
    parser.add_argument("--profile", action="store_true", help="profile each page")
    parser.add_argument("--pages", help="comma-separated subset, e.g. board,case")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database (its path is printed) for a closer look")
    args = parser.parse_args(argv)
    n_cases = args.cases or (1_000 if args.quick else 10_000)
    n_requests = args.requests or (20 if args.quick else 50)
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="dxflow-bench-web-") as tmp:
        directory = Path(tempfile.mkdtemp(prefix="dxflow-bench-web-")) if args.keep else Path(tmp)
        url, world = build(directory, n_cases)
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32),
            "DXFLOW_INSTANCE_DIR": str(directory), "UPLOAD_DIR": str(directory / "uploads"),
            "RATELIMIT_ENABLED": False,
        })
        try:
            figures = run(app, world, n_cases, n_requests, args.profile,
                          args.pages.split(",") if args.pages else None)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    if args.keep:
        log(f"database kept: {url}")
    figures.update({
        "python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__,
        "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "seconds": round(time.perf_counter() - started, 1),
    })
    print(json.dumps(figures, ensure_ascii=False))
    return figures


def run(app, world, n_cases: int, n_requests: int, profile: bool,
        only: list[str] | None = None) -> dict:
    clients = {}
    for role in ("office_lead", "executive"):
        clients[role] = app.test_client()
        sign_in(clients[role], world.emails[role])
        csrf_from(clients[role], "/account")
    pages = {
        "board": ("office_lead", "/office/board"),
        "case": ("office_lead", f"/cases/{world.case_id}"),
        "dashboard": ("executive", "/dashboard/"),
        "dashboard_uncached": ("executive", "/dashboard/"),
        "cases": ("office_lead", "/cases/"),
        "tasks": ("office_lead", "/tasks/"),
    }
    if only:
        pages = {name: page for name, page in pages.items() if name in only}
    with app.app_context():
        engine = db.engine
    counter = Counter(engine)
    results, cpu, statements, sql_ms, profiles = {}, {}, {}, {}, {}
    for name, (role, path) in pages.items():
        client = clients[role]
        uncached = name == "dashboard_uncached"

        def get(client=client, path=path, uncached=uncached):
            if uncached:
                app.extensions.pop("dxflow_dashboard", None)
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            response.close()

        for _ in range(3):
            get()
        statements[name], sql_ms[name] = counter.measure(get)
        samples, cpu_samples = [], []
        for _ in range(n_requests):
            t0, c0 = time.perf_counter(), time.process_time()
            get()
            samples.append((time.perf_counter() - t0) * 1000)
            cpu_samples.append((time.process_time() - c0) * 1000)
        results[name], cpu[name] = samples, cpu_samples
        log(f"{name:20} p50 {statistics.median(samples):7.1f} ms   p95 "
            f"{percentile(samples, 95):7.1f} ms   max {max(samples):7.1f} ms   "
            f"cpu p50 {statistics.median(cpu_samples):6.1f} ms   {statements[name]} statements "
            f"({sql_ms[name]:.1f} ms)")
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(10):
                get()
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            profiles[name] = out.getvalue()
            log(f"--- profile of {name} (10 requests) ---\n{profiles[name]}")

    figures: dict = {"benchmark": "web", "cases": n_cases + 3, "requests_per_page": n_requests,
                     "database": "sqlite file, WAL, synchronous=FULL",
                     "server": "Flask test client, in-process"}
    for name, samples in results.items():
        figures[f"{name}_p50_ms"] = round(statistics.median(samples), 1)
        figures[f"{name}_p95_ms"] = round(percentile(samples, 95), 1)
    # CPU time of this process per request: what the page costs, less the noise of a busy
    # machine (wall time also includes waiting for the CPU and for fsync).
    figures["cpu_p50_ms"] = {n: round(statistics.median(s), 1) for n, s in cpu.items()}
    figures["statements"] = statements
    figures["sql_ms"] = {n: round(v, 1) for n, v in sql_ms.items()}
    figures["target_p95_ms"] = TARGET_P95_MS
    figures["missed"] = [n for n, s in results.items() if percentile(s, 95) >= TARGET_P95_MS]
    return figures


if __name__ == "__main__":
    main()
