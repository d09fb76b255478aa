"""Every route × every role → the expected status, generated from the app's own route list.

The routes come from ``app.url_map`` at collection time, so a route added later is tested
without anyone editing this file, and a route whose view carries no role mark
(``@roles``/``@public`` in web/authz.py, ``@api_roles`` in web/api/auth.py) fails.

For each route and each role (and an anonymous visitor) the test sends the route's request:
GET when the route answers GET, else its one method (web POSTs carry a valid CSRF token and no
other data; API calls carry the role's bearer token and an empty JSON body). URL variables are
filled with real ids of objects in ``tests.web_world``: a Welfare Bureau case in
``planning_plan`` with a plan, a KPI, a review, an attachment, supporters, an inbox message
per user, an API token per user.

Expected:
* anonymous → a redirect to /login on web pages, 401 problem+json on the token API;
* a role not in the mark → 403 (problem+json on the API);
* a role in the mark → never 401/403, never a redirect to /login; 400 only for a POST whose
  empty form is refused (and then not as a CSRF failure); 404 only where an object-level
  refusal is documented in ``OBJECT_LEVEL`` below;
* never a 5xx, for anyone.
And: a case (review, attachment) of another bureau is 404 on every case-scoped route for the
bureau roles and for an expert who does not support it; an unknown id is 404 for everyone.
"""

from __future__ import annotations

import pytest

from tests.web_world import (
    ANONYMOUS,
    CSRF_MESSAGE,
    PROBLEM_JSON,
    ROLES,
    WRITE_METHODS,
    call,
    mark_of,
    method_of,
    route_table,
    rule_id,
)

SCOPED_ARGS = {"case_id", "review_id", "attachment_id"}

# Object-level refusals that are right for a role the route's mark admits, with the reason.
# endpoint -> {role: (status, why)}. Anything not listed here must not be 404 (nor 403).
OBJECT_LEVEL: dict[str, dict[str, tuple[int, str]]] = {
    "cases.edit": dict.fromkeys(("requester", "dept_manager"), (
        403, "bureau staff edit the consultation only until the hearing "
             "(workflow.cases.BUREAU_EDITABLE_STATES); the world's case is in planning")),
}
# Routes whose normal answer sends a signed-in user to the sign-in page.
SIGNS_OUT = {"auth.logout", "auth.sign_out_everywhere"}


APP, RULES = route_table()


def test_every_route_carries_a_role_mark():
    missing = []
    for rule in RULES:
        try:
            mark_of(APP, rule)
        except LookupError:
            missing.append(rule_id(rule))
    assert not missing, ("routes without @roles(...)/@public (web/authz.py) or @api_roles "
                         f"(web/api/auth.py): {missing}")


def test_an_unmarked_route_would_be_caught():
    """The check itself: a view registered without a mark is reported."""
    from web import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "self-test"})
    app.add_url_rule("/__unmarked__", "unmarked", lambda: "hello")
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "unmarked")
    with pytest.raises(LookupError):
        mark_of(app, rule)


def test_the_oracle_flags_wrong_answers():
    """The check itself: what it must refuse, it refuses."""
    from werkzeug.wrappers import Response

    rule = next(r for r in RULES if r.endpoint == "admin.users")
    ok, forbidden = Response("ok", 200), Response("no", 403)
    to_login = Response("", 302, headers={"Location": "/login?next=/admin/users"})
    assert check(rule, "requester", frozenset({"admin"}), "session", ok)
    assert check(rule, "admin", frozenset({"admin"}), "session", forbidden)
    assert check(rule, ANONYMOUS, frozenset({"admin"}), "session", ok)
    assert check(rule, "admin", frozenset({"admin"}), "session", Response("x", 500))
    assert check(rule, "admin", frozenset({"admin"}), "session", Response("x", 404))
    assert check(rule, "admin", frozenset({"admin"}), "session", to_login)
    assert check(rule, ANONYMOUS, frozenset({"admin"}), "session", to_login) is None
    assert check(rule, "requester", frozenset({"admin"}), "session", forbidden) is None
    assert check(rule, "admin", frozenset({"admin"}), "session", ok) is None


def test_marks_name_only_known_roles():
    unknown = {rule_id(r): sorted(set(mark_of(APP, r)[0]) - set(ROLES)) for r in RULES
               if mark_of(APP, r)[0] is not None and set(mark_of(APP, r)[0]) - set(ROLES)}
    assert not unknown


def test_object_level_exceptions_name_real_endpoints():
    endpoints = {r.endpoint for r in RULES}
    assert set(OBJECT_LEVEL) <= endpoints, set(OBJECT_LEVEL) - endpoints


def test_the_matrix_covers_every_area():
    """A smoke check on the generator itself: it sees the blueprints and the API."""
    prefixes = {r.rule.split("/")[1] for r in RULES}
    assert {"cases", "office", "dashboard", "admin", "tasks", "api"} <= prefixes, prefixes


# --- fixtures: the world is built once per module, its database copied per test --------------

def _describe(response) -> str:
    text = response.get_data(as_text=True)
    location = response.headers.get("Location", "")
    return f"{response.status_code}{' → ' + location if location else ''} {text[:160]!r}"


def _goes_to_login(response) -> bool:
    return response.status_code == 302 and \
        response.headers.get("Location", "").split("?")[0].endswith("/login")


def check(rule, role: str, allowed, auth: str, response) -> str | None:
    """None when ``response`` is what ``role`` should get on ``rule``, else why not."""
    status, method = response.status_code, method_of(rule)
    if status >= 500:
        return "server error"
    api = auth == "token"
    if api and status in (401, 403) and response.mimetype != PROBLEM_JSON:
        return "an API refusal must be problem+json"
    if allowed is None:  # public
        return None if status < 400 else "a public route refused"
    if role == ANONYMOUS:
        if api:
            return None if status == 401 else "anonymous API call must get 401"
        return None if _goes_to_login(response) else "anonymous must be sent to /login"
    if role not in allowed:
        return None if status == 403 else "a role outside the mark must get 403"
    documented = OBJECT_LEVEL.get(rule.endpoint, {}).get(role)
    if documented and documented[0] == status:
        return None
    if status in (401, 403):
        return "refused although the mark admits this role (OBJECT_LEVEL documents exceptions)"
    if _goes_to_login(response) and rule.endpoint not in SIGNS_OUT:
        return "signed-in user sent to /login"
    if status == 404:
        return "404 on an object this role may see (document it in OBJECT_LEVEL if intended)"
    if status == 400:
        if method not in WRITE_METHODS:
            return "400 on a GET"
        if CSRF_MESSAGE in response.get_data(as_text=True):
            return "refused as a CSRF failure although the token was valid"
    return None


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_route_answers_each_role_as_its_mark_says(world_app, world_template, rule):
    allowed, auth = mark_of(world_app, rule)
    problems = []
    for role in (*ROLES, ANONYMOUS):
        response = call(world_app, world_template, role, rule)
        why = check(rule, role, allowed, auth, response)
        if why:
            problems.append(f"{role}: {why}: {_describe(response)}")
    assert not problems, f"{method_of(rule)} {rule.rule}\n" + "\n".join(problems)


SCOPED_RULES = [r for r in RULES if set(r.arguments) & SCOPED_ARGS]


def test_there_are_case_scoped_routes():
    assert len(SCOPED_RULES) >= 15, [rule_id(r) for r in SCOPED_RULES]


@pytest.mark.parametrize("rule", SCOPED_RULES, ids=rule_id)
def test_another_bureaus_case_is_not_found(world_app, world_template, rule):
    """Requester and manager of the Welfare Bureau, and an expert who does not support the
    case, get 404 for a Finance Bureau case (its review, its attachment) wherever their role
    could otherwise go: never 403, which would reveal that it exists."""
    allowed, auth = mark_of(world_app, rule)
    problems = []
    for role in ("requester", "dept_manager", "expert"):
        if allowed is not None and role not in allowed:
            continue
        response = call(world_app, world_template, role, rule, foreign=True)
        if response.status_code != 404:
            problems.append(f"{role}: {_describe(response)}")
        elif auth == "token" and response.mimetype != PROBLEM_JSON:
            problems.append(f"{role}: API 404 must be problem+json")
    assert not problems, f"{method_of(rule)} {rule.rule}\n" + "\n".join(problems)


@pytest.mark.parametrize("rule", SCOPED_RULES, ids=rule_id)
def test_an_unknown_id_is_not_found_for_the_portfolio_roles(world_app, world_template, rule):
    allowed, _auth = mark_of(world_app, rule)
    problems = []
    missing = dict.fromkeys(SCOPED_ARGS, 987654)
    for role in ("office_lead", "office", "executive", "admin", "requester"):
        if allowed is not None and role not in allowed:
            continue
        response = call(world_app, world_template, role, rule, **missing)
        if response.status_code != 404:
            problems.append(f"{role}: {_describe(response)}")
    assert not problems, f"{method_of(rule)} {rule.rule}\n" + "\n".join(problems)
