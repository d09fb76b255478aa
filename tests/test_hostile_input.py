"""Every route, as every role that may use it, with hostile values in every parameter it reads:
never a 5xx.

Which parameters a route reads is found by watching it: the app's request class stores query
arguments and form fields in a dict that notes each name looked up (``get``, ``getlist``,
``in``, ``[]``). A first pass sends each route its normal request (the world's ids, an empty
form); later passes send every name seen so far hostile values (odd digits, huge and negative
numbers, NUL, impossible dates, markup, very long text), each name a different value per pass,
and keep watching, so a parameter read only on some path is found and attacked too. URL
variables get hostile values as well (ids past the database's range, odd strings).
"""

from __future__ import annotations

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

from tests.web_world import ANONYMOUS, WRITE_METHODS, Visitor, mark_of, route_table

# One value per way parsing goes wrong: a digit str.isdigit accepts and int refuses, full-width
# digits, past every integer column, negative, NUL, an impossible date, markup, numbers that
# break Decimal arithmetic, far too long.
HOSTILE = ("²", "１２", "99999999999999999999", "-1", "\x00", "2026-02-30",
           "<script>alert(1)</script>", "NaN", "1e999999", "x" * 3000)
HOSTILE_PATH = {"int": "99999999999999999999", "text": "%00..%2F"}
APP, RULES = route_table()


class Watched(ImmutableMultiDict):
    """A request's args/form that remember each name the view asked for."""

    seen: set[str] = set()

    def _note(self, key):
        if isinstance(key, str):
            Watched.seen.add(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        self._note(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class WatchedRequest(Request):
    parameter_storage_class = Watched


def users_of(app, rule) -> list[str]:
    allowed, _auth = mark_of(app, rule)
    return [ANONYMOUS, "requester"] if allowed is None else sorted(allowed)


def url_of(app, world, role, rule, hostile_path: bool) -> str:
    from flask import url_for

    values = world.params(role, rule.endpoint)
    if hostile_path:
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                values[name] = HOSTILE_PATH["int"]
            elif isinstance(converter, UnicodeConverter | PathConverter):
                values[name] = HOSTILE_PATH["text"]
    with app.test_request_context():
        return url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})


def methods_of(rule) -> list[str]:
    """GET before the writes, so a form page is read before it is posted to."""
    return sorted(rule.methods - {"HEAD", "OPTIONS"}, key=lambda m: m != "GET")


def send(app, template, role, rule, method, params: dict[str, str], *, hostile_path=False):
    visitor = Visitor(app, template, role)
    url = url_of(app, template.world, role, rule, hostile_path)
    _allowed, auth = mark_of(app, rule)
    if auth == "token":
        headers = {"Authorization": f"Bearer {visitor.token}"} if visitor.token else {}
        return visitor.client.open(url, method=method, headers=headers, query_string=params,
                                   json={} if method in WRITE_METHODS else None, buffered=True)
    if method in WRITE_METHODS:
        # Both places: a write also reads query arguments (the board's filters to return to).
        return visitor.client.open(url, method=method, buffered=True, query_string=params,
                                   data={**params, "csrf_token": visitor.csrf})
    return visitor.client.open(url, method=method, query_string=params, buffered=True)


def hostile_values(names, shift: int) -> dict[str, str]:
    return {name: HOSTILE[(shift + i) % len(HOSTILE)]
            for i, name in enumerate(sorted(names)) if name != "csrf_token"}


def sweep(app, template, rules) -> list[str]:
    """Send every rule its requests; the answers that were 5xx, described.

    Per route and method: a normal request (to see what it reads), one with hostile URL
    variables, then, if it read any names, one request per hostile value with every name read
    so far set to it (shifted per name), the roles that may use the route taking turns."""
    app.request_class = WatchedRequest
    calls = [(rule, method) for rule in rules for method in methods_of(rule)]
    # Reads first: a write that succeeds (a logout, a revoked token) changes what later calls
    # see.
    calls.sort(key=lambda c: c[1] in WRITE_METHODS)
    failures, read = [], {}
    for rule, method in calls:
        users, names = users_of(app, rule), set()

        def attempt(role, params, hostile_path=False, rule=rule, method=method, names=names):
            Watched.seen = set()
            response = send(app, template, role, rule, method, params, hostile_path=hostile_path)
            names |= Watched.seen
            if response.status_code >= 500:
                failures.append(f"{method} {rule.rule} as {role} {params!r:.300}"
                                f"{' (hostile URL)' if hostile_path else ''}"
                                f" → {response.status_code}")

        attempt(users[-1], {})
        if rule.arguments:
            attempt(users[0], {}, hostile_path=True)
        if names - {"csrf_token"}:
            for i in range(max(len(users), len(HOSTILE))):
                attempt(users[i % len(users)], hostile_values(names, i))
        read[(rule.endpoint, method)] = names
    sweep.read = read
    return failures


@pytest.mark.slow
def test_no_route_answers_hostile_parameters_with_a_server_error(world_app, world_template):
    failures = sweep(world_app, world_template, RULES)
    assert not failures, "\n".join(failures)


def test_the_watch_finds_what_a_view_reads_and_the_sweep_catches_a_500(world_app,
                                                                       world_template):
    """The check itself: a route that trusts ``int(request.args["n"])`` is reported."""
    from datetime import date

    from flask import request

    from web.authz import public

    @public
    def trusting():
        return date.fromisoformat(request.args.get("n", "2026-04-01")).isoformat()

    world_app.add_url_rule("/__test__/trusting", "test_trusting", trusting)
    rule = next(r for r in world_app.url_map.iter_rules() if r.endpoint == "test_trusting")
    failures = sweep(world_app, world_template, [rule])
    assert sweep.read[("test_trusting", "GET")] == {"n"}
    # A NUL byte is refused with 400 before any view runs (web/request_input.py).
    # The normal request (no n) is fine; every other attack is reported.
    assert len(failures) == len([v for v in HOSTILE if "\x00" not in v])

