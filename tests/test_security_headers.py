"""Security headers on every page, cookies, the secret-key check, and CSP-safe templates.

* Every response the app sends (pages, redirects, error pages, static files, the API) carries
  a Content-Security-Policy whose script-src and style-src allow no inline code, frame denial
  and nosniff.
* The session cookie is HttpOnly and SameSite=Lax; Secure (with HSTS) when the deployment is
  configured for HTTPS (DXFLOW_HTTPS=1 or SESSION_COOKIE_SECURE).
* No template holds an inline script, an inline style, an event-handler attribute or a link
  to another site; and no page the app renders (each GET route, as a role allowed on it)
  contains one either.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import web
from tests.web_world import (
    ANONYMOUS,
    PASSWORD,
    call,
    close_app,
    csrf_from,
    mark_of,
    method_of,
    route_table,
    rule_id,
)
from tests.web_world import (
    cheap_user as make_cheap_user,
)
from web import create_app

TEMPLATES = Path(web.__file__).resolve().parent / "templates"
APP, RULES = route_table()
GET_RULES = [r for r in RULES if method_of(r) == "GET"]
PREFERENCE = ("office_lead", "requester", "dept_manager", "office", "executive", "admin",
              "expert")

INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(?P<body>.*?)</script\s*>", re.I | re.S)
DATA_BLOCK = re.compile(r"""\stype\s*=\s*["']application/json["']""", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.S)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
HANDLER_ATTR = re.compile(r"\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_safe_headers(response, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy")
    assert csp, f"{where}: no Content-Security-Policy"
    d = csp_directives(csp)
    script = d.get("script-src", d.get("default-src"))
    style = d.get("style-src", d.get("default-src"))
    assert script and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, where
    assert "*" not in script and not any(s.startswith(("http:", "https:")) for s in script)
    assert style and "'unsafe-inline'" not in style, where
    assert d.get("object-src") == ["'none'"], where
    assert d.get("frame-ancestors") == ["'none'"], where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where


def markup_problems(html: str) -> list[str]:
    problems = []
    for match in INLINE_SCRIPT.finditer(html):
        if DATA_BLOCK.search(match.group(0).split(">", 1)[0]):
            continue  # a JSON data block is never executed; the page's script file reads it
        if match.group("body").strip():
            problems.append(f"inline script: {match.group(0)[:80]!r}")
        if "src=" not in match.group(0).split(">", 1)[0]:
            problems.append(f"script without src: {match.group(0)[:80]!r}")
    if STYLE_ELEMENT.search(html):
        problems.append("<style> element")
    for tag in TAG.findall(html):
        if STYLE_ATTR.search(tag):
            problems.append(f"style attribute: {tag[:100]!r}")
        if HANDLER_ATTR.search(tag):
            problems.append(f"event handler attribute: {tag[:100]!r}")
        if JS_URL.search(tag):
            problems.append(f"javascript: URL: {tag[:100]!r}")
        if EXTERNAL.search(tag):
            problems.append(f"link to another site: {tag[:100]!r}")
    return problems


# --- headers ---------------------------------------------------------------------------------

def test_login_page_redirect_and_static_files_have_the_headers(client):
    assert_safe_headers(client.get("/login"), "/login")
    assert_safe_headers(client.get("/"), "redirect /")
    assert_safe_headers(client.get("/cases/"), "redirect to sign-in")
    static = client.get("/static/css/app.css", buffered=True)
    assert_safe_headers(static, "static file")
    static.close()
    assert_safe_headers(client.get("/no-such-page"), "404 page")
    assert_safe_headers(client.get("/api/v1/cases"), "API 401")


def test_the_csp_names_only_this_site():
    from web.security import CSP

    for directive, sources in csp_directives(CSP).items():
        for source in sources:
            assert source in {"'self'", "'none'", "data:"}, (directive, source)


# --- cookies ---------------------------------------------------------------------------------

def _session_cookie_header(app, user) -> str:
    """The Set-Cookie header of the session cookie issued on signing in."""
    client = app.test_client()
    token = csrf_from(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    headers = [h for h in response.headers.getlist("Set-Cookie")
               if h.startswith(app.config["SESSION_COOKIE_NAME"] + "=")]
    assert headers, response.headers
    return headers[-1]


def _attributes(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")[1:]]
    return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts}


@pytest.fixture
def cheap_user(session):
    return make_cheap_user(session, "requester", "welfare", "cookie-test")


def test_session_cookie_is_httponly_and_lax_but_not_secure_on_plain_http(app, cheap_user):
    attrs = _attributes(_session_cookie_header(app, cheap_user))
    assert "httponly" in attrs
    assert attrs.get("samesite", "").lower() == "lax"
    assert "secure" not in attrs  # an intranet on plain HTTP must still be able to sign in
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers


def test_session_cookie_is_secure_with_dxflow_https(monkeypatch, db_url, instance_dir,
                                                    cheap_user):
    monkeypatch.setenv("DXFLOW_HTTPS", "1")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url,
                      "SECRET_KEY": "test-secret-key", "DXFLOW_INSTANCE_DIR": str(instance_dir)})
    try:
        attrs = _attributes(_session_cookie_header(app, cheap_user))
        assert "secure" in attrs and "httponly" in attrs
        assert attrs.get("samesite", "").lower() == "lax"
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
        assert app.test_client().get("/login").headers["Strict-Transport-Security"]
    finally:
        close_app(app)


def test_session_cookie_is_secure_with_session_cookie_secure(db_url, instance_dir, cheap_user):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url,
                      "SECRET_KEY": "test-secret-key", "DXFLOW_INSTANCE_DIR": str(instance_dir),
                      "SESSION_COOKIE_SECURE": True})
    try:
        assert "secure" in _attributes(_session_cookie_header(app, cheap_user))
    finally:
        close_app(app)


# --- templates and rendered pages ------------------------------------------------------------

def test_there_are_templates_to_scan():
    assert len(list(TEMPLATES.rglob("*.html"))) >= 20


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_has_no_inline_code_or_external_links(path):
    problems = markup_problems(path.read_text(encoding="utf-8"))
    assert not problems, problems


def test_the_scanner_catches_what_it_should():
    bad = ('<script>alert(1)</script><p style="color:red">x</p><a href="#" onclick="x()">y</a>'
           '<img src="https://cdn.example.com/x.png"><script src="//cdn.example.com/x.js"></script>'
           '<a href="javascript:void(0)">z</a><style>p{}</style>')
    kinds = {p.split(":")[0] for p in markup_problems(bad)}
    assert kinds == {"inline script", "script without src", "style attribute",
                     "event handler attribute", "link to another site", "javascript",
                     "<style> element"}, kinds
    good = ('<script src="/static/js/app.js" defer></script><a href="/cases/">x</a>'
            '<script type="application/json" id="data">{"a": 1}</script>'
            '<p class="meter" data-value="40">y</p><form action="/logout" method="post"></form>')
    assert markup_problems(good) == []


def viewer(rule) -> str:
    allowed = mark_of(APP, rule)[0]
    if allowed is None:
        return ANONYMOUS
    return next(role for role in PREFERENCE if role in allowed)


@pytest.mark.parametrize("rule", GET_RULES, ids=rule_id)
def test_every_page_has_the_headers_and_no_inline_code(world_app, world_template, rule):
    role = viewer(rule)
    response = call(world_app, world_template, role, rule)
    assert response.status_code < 500
    assert_safe_headers(response, f"{rule.rule} as {role}")
    if response.mimetype == "text/html":
        problems = markup_problems(response.get_data(as_text=True))
        assert not problems, (role, problems)
