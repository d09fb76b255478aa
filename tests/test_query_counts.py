"""The number of SQL statements a page runs does not grow with the number of cases.

On a copy of the shared world (three cases walked through the real engine, with plans, a
review, supporters, an attachment, notifications), 10 cases are added in bulk with SQLAlchemy
Core (tests.web_world.bulk_portfolio: spread over every state and bureau, with their audit
events, plans and KPIs, reviews, supporters and inbox messages), each page is requested and its
statements counted with a ``before_cursor_execute`` listener on the app's engine; then 990 more
cases are added and the same pages counted again. A page whose count grows runs a query per
row somewhere (an N+1): the failure lists the statements that were repeated.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote

import pytest
from sqlalchemy import event

from tests.web_world import (
    Visitor,
    bulk_portfolio,
    close_app,
    make_template,
    people_for_portfolio,
)
from web.extensions import db

SMALL, LARGE = 10, 1000
# (name, role, path); {case_id} is the world's planning case.
PAGES = [
    ("cases list (bureau)", "requester", "/cases/"),
    ("cases list (office)", "office_lead", "/cases/"),
    ("cases list, searched", "office_lead", "/cases/?q=" + quote("オンライン")),
    ("case page", "office_lead", "/cases/{case_id}"),
    ("case page (bureau)", "requester", "/cases/{case_id}"),
    ("plan page", "requester", "/cases/{case_id}/plan"),
    ("office board", "office_lead", "/office/board"),
    ("office board (executive)", "executive", "/office/board"),
    ("triage queue", "office", "/office/triage"),
    ("dashboard", "executive", "/dashboard/"),
    ("tasks (requester)", "requester", "/tasks/"),
    ("tasks (manager)", "dept_manager", "/tasks/"),
    ("tasks (office)", "office", "/tasks/"),
    ("tasks (office lead)", "office_lead", "/tasks/"),
    ("reviews (manager)", "dept_manager", "/reviews/"),
    ("reviews overview", "office_lead", "/reviews/overview"),
    ("inbox", "requester", "/inbox/"),
    ("admin audit", "admin", "/admin/audit"),
    ("admin users", "admin", "/admin/users"),
]
# Pages allowed a small, constant difference, with the reason. Empty: every page is equal.
TOLERANCE: dict[str, tuple[int, str]] = {}


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(" ".join(statement.split()))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self)


def measure(app, template) -> dict[str, tuple[int, list[str]]]:
    """Each page once, warmed up first (per-process caches are not what is counted)."""
    results = {}
    with app.app_context():
        engine = db.engine
    for name, role, path in PAGES:
        url = path.format(case_id=template.world.case_id)
        client = Visitor(app, template, role).client
        assert client.get(url).status_code == 200, (name, url)
        app.extensions.pop("dxflow_dashboard", None)  # the dashboard recomputes, as on a change
        with StatementCounter(engine) as counter:
            response = client.get(url)
        assert response.status_code == 200, (name, url)
        results[name] = (len(counter.statements), counter.statements)
    return results


def add_cases(app, count: int, start: int) -> None:
    with app.app_context():
        people = people_for_portfolio(db.session)
        db.session.remove()
        with db.engine.begin() as connection:
            bulk_portfolio(connection, count, people, start=start)


@pytest.fixture(scope="module")
def counts(database_template, tmp_path_factory):
    """{page: (statements with SMALL bulk cases, with LARGE, statements of each)}."""
    directory = tmp_path_factory.mktemp("query-counts")
    template = make_template(database_template, directory)
    app = template.app(directory, DASHBOARD_FRESH_SECONDS=0)
    try:
        add_cases(app, SMALL, 0)
        small = measure(app, template)
        add_cases(app, LARGE - SMALL, SMALL)
        large = measure(app, template)
    finally:
        close_app(app)
    return {name: (small[name], large[name]) for name, _role, _path in PAGES}


def repeated(small: list[str], large: list[str]) -> str:
    grown = Counter(large) - Counter(small)
    return "\n".join(f"  +{n} × {sql[:300]}" for sql, n in grown.most_common(5))


@pytest.mark.parametrize("name", [p[0] for p in PAGES])
def test_statements_do_not_grow_with_the_cases(counts, name):
    (n_small, sql_small), (n_large, sql_large) = counts[name]
    allowed, _why = TOLERANCE.get(name, (0, ""))
    assert n_large - n_small <= allowed, (
        f"{name}: {n_small} statements with {SMALL} cases, {n_large} with {LARGE}:\n"
        + repeated(sql_small, sql_large))
    assert n_large >= n_small - 2, f"{name}: {n_small} → {n_large}?"


def test_pages_stay_lean(counts):
    """A sanity bound: no main page needs more than 40 statements."""
    heavy = {name: large[0] for name, (_small, large) in counts.items() if large[0] > 40}
    assert not heavy, heavy
