"""CSRF protection on every POST of the web app, generated from the route list.

For each route that accepts POST (outside the token API), a user whose role the route admits
(anonymous for public routes) posts the world's ids:
* without a token → 400, the friendly error page saying the form expired or was forged;
* with a token from another session → the same refusal;
* with their own token → not refused for CSRF reasons (and never a 5xx).
The token API is CSRF-exempt because it ignores cookies: a write there carrying only a
signed-in browser's session cookie is 401, never performed.
"""

from __future__ import annotations

import pytest

from tests.web_world import (
    ANONYMOUS,
    CSRF_MESSAGE,
    PROBLEM_JSON,
    WRITE_METHODS,
    Visitor,
    call,
    mark_of,
    route_table,
    rule_id,
)

APP, RULES = route_table()
WEB_POSTS = [r for r in RULES if "POST" in r.methods and mark_of(APP, r)[1] == "session"]
API_WRITES = [r for r in RULES if r.methods & set(WRITE_METHODS) and mark_of(APP, r)[1] == "token"]
# Who posts: the first role in this order that the route admits and that reaches the form.
PREFERENCE = ("office_lead", "office", "requester", "dept_manager", "admin", "expert",
              "executive")

# Where the form belongs to someone in particular: the review is the bureau manager's to submit.
POSTER = {"reviews.form": "dept_manager"}


def poster(rule) -> str:
    if rule.endpoint in POSTER:
        return POSTER[rule.endpoint]
    allowed = mark_of(APP, rule)[0]
    if allowed is None:
        return ANONYMOUS
    return next(role for role in PREFERENCE if role in allowed)


def test_every_form_post_of_the_app_is_covered():
    endpoints = {r.endpoint for r in WEB_POSTS}
    assert {"auth.login", "cases.new", "cases.fire", "cases.comment", "cases.upload",
            "admin.user_new"} <= endpoints, endpoints


def _is_csrf_refusal(response) -> bool:
    return response.status_code == 400 and CSRF_MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize("rule", WEB_POSTS, ids=rule_id)
def test_post_without_token_is_refused(world_app, world_template, rule):
    role = poster(rule)
    response = call(world_app, world_template, role, rule, method="POST", csrf=False)
    assert _is_csrf_refusal(response), (role, response.status_code,
                                        response.get_data(as_text=True)[:300])
    page = response.get_data(as_text=True)
    assert "リクエストが正しくありません" in page and "Traceback" not in page


@pytest.mark.parametrize("rule", WEB_POSTS, ids=rule_id)
def test_post_with_another_sessions_token_is_refused(world_app, world_template, rule):
    role = poster(rule)
    stranger = Visitor(world_app, world_template, ANONYMOUS)  # a fresh session's token
    response = call(world_app, world_template, role, rule, method="POST",
                    data={"csrf_token": stranger.csrf})
    assert _is_csrf_refusal(response), (role, response.status_code)


@pytest.mark.parametrize("rule", WEB_POSTS, ids=rule_id)
def test_post_with_token_passes_the_csrf_check(world_app, world_template, rule):
    role = poster(rule)
    response = call(world_app, world_template, role, rule, method="POST")
    assert response.status_code < 500, (role, response.status_code)
    assert not _is_csrf_refusal(response), (role, response.get_data(as_text=True)[:300])
    assert response.status_code != 403, role


@pytest.mark.parametrize("rule", API_WRITES, ids=rule_id)
def test_api_writes_ignore_the_session_cookie(world_app, world_template, rule):
    """CSRF-exempt is safe only because a browser's cookies carry no authority on /api/."""
    visitor = Visitor(world_app, world_template, "office_lead")  # signed-in session cookie
    method = next(m for m in WRITE_METHODS if m in rule.methods)
    values = world_template.world.params("office_lead", rule.endpoint)
    with world_app.test_request_context():
        from flask import url_for

        url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
    response = visitor.client.open(url, method=method, json={"title": "偽の相談"},
                                   headers={"X-CSRFToken": visitor.csrf}, buffered=True)
    assert response.status_code == 401, response.get_data(as_text=True)[:300]
    assert response.mimetype == PROBLEM_JSON
