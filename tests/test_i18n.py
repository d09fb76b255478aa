"""Japanese by default, English on request: the catalogue is complete, compiled and shown.

The msgids are the Japanese UI texts; web/translations/en holds the English catalogue and
its compiled .mo (committed). After changing texts run scripts/update_translations.sh,
translate the empty entries in the .po and run the script again.
"""

from __future__ import annotations

import functools
import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.workflow_helpers import new_case, walk_to
from workflow.models import User

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "web" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# Kana and kanji; full-width punctuation such as （） is not counted as untranslated text.
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%%|%")
APRIL_FIRST = datetime(2025, 4, 1, 1, 0, tzinfo=UTC)  # 10:00 JST on the first day of FY2025


# --- the catalogue ---------------------------------------------------------------------------

@functools.cache
def extracted_msgids() -> frozenset[str]:
    """What scripts/update_translations.sh would extract now, from the same babel.cfg."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, filename="babel.cfg")
    ignored = {"instance", "test-output", "node_modules"}  # as in the script

    def directory_filter(dirpath: str) -> bool:
        name = Path(dirpath).name
        return not name.startswith(".") and name not in ignored

    return frozenset(message for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=directory_filter)
        if isinstance(message, str) and message)


@pytest.fixture(scope="module")
def catalog():
    with open(PO, "rb") as f:
        return read_po(f, locale="en")


def test_every_extracted_msgid_has_an_english_translation(catalog):
    msgids = extracted_msgids()
    assert len(msgids) > 500, "extraction found suspiciously few messages: check babel.cfg"
    missing = sorted(m for m in msgids
                     if m not in catalog or not catalog[m].string or catalog[m].fuzzy)
    assert not missing, (
        f"{len(missing)} message(s) without an English translation; run "
        f"scripts/update_translations.sh, translate them in {PO.relative_to(ROOT)} "
        "and run the script again:\n" + "\n".join(missing))


def test_catalogue_has_no_fuzzy_or_obsolete_entries(catalog):
    assert not [m.id for m in catalog if m.id and m.fuzzy]
    assert not catalog.obsolete, f"obsolete entries: {list(catalog.obsolete)}"
    stale = sorted({m.id for m in catalog if m.id} - extracted_msgids())
    assert not stale, "entries no longer used in web/ (run scripts/update_translations.sh):\n" \
        + "\n".join(stale)


def test_committed_mo_matches_the_po(catalog):
    """The .mo in the repo is what compiling the .po gives (so nobody ships a stale one)."""
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    expected = {m.id: m.string for m in read_mo(compiled) if m.id}
    with open(MO, "rb") as f:
        committed = {m.id: m.string for m in read_mo(f) if m.id}
    assert committed == expected, (
        "web/translations/en/LC_MESSAGES/messages.mo is out of date: "
        "run scripts/update_translations.sh")


def test_translations_keep_the_placeholders(catalog):
    wrong = [(m.id, m.string) for m in catalog if m.id and m.string and
             sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))]
    assert not wrong, "\n".join(f"{i!r} -> {s!r}" for i, s in wrong)


def test_translations_are_safe_inside_html_attributes(catalog):
    """Jinja's newstyle gettext marks a translation as safe (only the %(…)s values are
    escaped), so a " in an English text would end a title="…" or aria-label="…" early."""
    special = re.compile(r'["<>]|&#?\w+;')
    wrong = [(m.id, m.string) for m in catalog if m.id and
             not set(special.findall(m.string)) <= set(special.findall(m.id))]
    assert not wrong, "use “ ” instead of \" (and no markup):\n" + "\n".join(map(repr, wrong))


def test_english_translations_contain_no_japanese_by_accident(catalog):
    # Examples of Japanese data (a department's Japanese name) may quote Japanese on purpose.
    allowed = {"例：デジタル推進局",
               "所管局に複数の局を書くときは「・」「、」または改行で区切ります。最初の局が所管になります。"
               "登録されていない名称は取り込まずにお知らせします。"}
    leftover = [m.id for m in catalog if m.id and m.id not in allowed and JAPANESE.search(m.string)]
    assert not leftover, leftover


# --- the pages -------------------------------------------------------------------------------

CHROME_TAGS = {"title", "nav", "h1", "h2", "h3", "button", "label", "th", "legend", "summary",
               "dt", "footer"}
CHROME_ATTRS = {"placeholder", "aria-label"}


class ChromeText(HTMLParser):
    """Text of the UI chrome: headings, menus, buttons, labels, table heads, footers."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("lang") == "ja":  # e.g. the "日本語" switch, in its own language on purpose
            tag = "lang-ja"
        self.parts.extend(v for k, v in attrs.items() if k in CHROME_ATTRS and v)
        if tag == "input" and attrs.get("type") == "submit" and attrs.get("value"):
            self.parts.append(attrs["value"])
        if tag == "a" and "button" in (attrs.get("class") or "").split():
            self.stack.append("a.button")
        elif tag not in {"br", "img", "input", "meta", "link", "hr"}:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag not in self.stack and "lang-ja" in self.stack:
            tag = "lang-ja"
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        elif tag == "a" and "a.button" in self.stack:
            while self.stack and self.stack.pop() != "a.button":
                pass

    def handle_data(self, data):
        if "lang-ja" in self.stack:
            return
        if data.strip() and any(t in CHROME_TAGS or t == "a.button" for t in self.stack):
            self.parts.append(data.strip())


def japanese_chrome(html: str, data: tuple[str, ...] = ()) -> list[str]:
    """Chrome texts that still contain Japanese once the given domain data is taken out."""
    parser = ChromeText()
    parser.feed(html)
    found = []
    for text in parser.parts:
        for value in sorted(data, key=len, reverse=True):
            text = text.replace(value, "")
        if JAPANESE.search(text):
            found.append(text)
    return found


def sign_in_english(client, auth, user, session):
    user.language = "en"
    session.commit()
    assert auth.login(user).status_code == 302


def test_login_is_english_after_switching_language(client):
    assert "ログイン" in client.get("/login").get_data(as_text=True)
    token = csrf_token(client, "/login")
    switched = client.post("/language", data={"csrf_token": token, "lang-language": "en",
                                              "lang-submit": "1", "next": "/login"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/login")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<h1>Sign in</h1>" in html
    assert 'value="Sign in"' in html
    assert not japanese_chrome(html), japanese_chrome(html)
    assert "日本語" in html  # the way back is offered in its own language


@pytest.mark.parametrize("role, url", [
    ("requester", "/cases/"),
    ("requester", "/cases/{case}"),
    ("office", "/cases/{case}"),
    ("office", "/office/board"),
    ("executive", "/dashboard/"),
    ("requester", "/tasks/"),
    ("dept_manager", "/tasks/"),
    ("office", "/tasks/"),
    ("requester", "/account"),
])
def test_pages_have_no_japanese_chrome_in_english(client, auth, session, people, role, url):
    case = walk_to(session, new_case(session, people["requester"], now=APRIL_FIRST),
                   "planning_plan", people)
    user = people[role]
    sign_in_english(client, auth, user, session)
    response = client.get(url.format(case=case.id), follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    # Domain data may stay Japanese: case titles, names of people and departments.
    data = (case.title, case.department.name, user.name, people["requester"].name)
    leftover = japanese_chrome(html, data)
    assert not leftover, f"Japanese left in the English UI of {url}: {leftover}"


# --- choosing the language -------------------------------------------------------------------

def test_japanese_is_the_default_for_a_new_visitor(app):
    for headers in ({}, {"Accept-Language": "ja"}, {"Accept-Language": "ja-JP,ja;q=0.9"}):
        html = app.test_client().get("/login", headers=headers).get_data(as_text=True)
        assert '<html lang="ja">' in html and "<h1>ログイン</h1>" in html, headers


def test_anonymous_choice_is_kept_in_the_session(client):
    token = csrf_token(client, "/login")
    client.post("/language", data={"csrf_token": token, "lang-language": "en",
                                   "lang-submit": "1", "next": "/login"})
    for _ in range(2):
        assert "<h1>Sign in</h1>" in client.get("/login", headers={"Accept-Language": "ja"}) \
            .get_data(as_text=True)
    token = csrf_token(client, "/login")
    client.post("/language", data={"csrf_token": token, "lang-language": "ja",
                                   "lang-submit": "1", "next": "/login"})
    assert "<h1>ログイン</h1>" in client.get("/login").get_data(as_text=True)


def test_signed_in_choice_is_saved_on_the_account(app, client, auth, session, people):
    user = people["requester"]
    auth.login(user)
    assert "<h1>アカウント設定</h1>" in client.get("/account").get_data(as_text=True)
    token = csrf_token(client, "/account")
    response = client.post("/language", data={"csrf_token": token, "lang-language": "en",
                                              "lang-submit": "1", "next": "/account"})
    assert response.status_code == 302
    session.expire_all()
    assert session.scalar(select(User.language).where(User.id == user.id)) == "en"
    assert "<h1>Account settings</h1>" in client.get("/account").get_data(as_text=True)

    # Remembered on another browser, whatever that browser asks for.
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other).login(user)
    page = other.get("/account", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "<h1>Account settings</h1>" in page


def test_unknown_language_is_ignored(client, auth, session, people):
    user = people["requester"]
    auth.login(user)
    token = csrf_token(client, "/account")
    client.post("/language", data={"csrf_token": token, "lang-language": "fr",
                                   "lang-submit": "1", "next": "/account"})
    session.expire_all()
    assert session.scalar(select(User.language).where(User.id == user.id)) == "ja"
    assert "<h1>アカウント設定</h1>" in client.get("/account").get_data(as_text=True)


# --- dates and fiscal years ------------------------------------------------------------------

def facts(html: str, label: str) -> str:
    """The <dd> after the <dt> with this label on a case page."""
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>(.*?)</dd>", html, re.S)
    assert match, f"no {label!r} on the page"
    return match.group(1).strip()


def test_dates_and_fiscal_years_in_japanese(client, auth, session, people):
    case = new_case(session, people["requester"], now=APRIL_FIRST)
    auth.login(people["requester"])
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert facts(html, "登録日") == "2025年4月1日"
    assert facts(html, "年度") == '<span title="令和7年度">2025年度</span>'


def test_dates_and_fiscal_years_in_english(client, auth, session, people):
    case = new_case(session, people["requester"], now=APRIL_FIRST)
    sign_in_english(client, auth, people["requester"], session)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert facts(html, "Registered on") == "2025-04-01"
    assert facts(html, "FY") == "<span>FY2025</span>"  # no 令和 era year in English
    assert "令和" not in html


def test_date_filters_follow_the_language(app, session, people):
    from flask_login import login_user

    for language, day, fy, era in (("ja", "2025年4月1日", "2025年度", "令和7年度"),
                                   ("en", "2025-04-01", "FY2025", "")):
        people["requester"].language = language
        session.commit()
        with app.test_request_context("/"):
            from web.extensions import db

            login_user(db.session.get(User, people["requester"].id))
            env = app.jinja_env
            assert env.from_string("{{ d|date }}").render(d=APRIL_FIRST) == day
            assert env.from_string("{{ 2025|fy }}").render() == fy
            assert env.from_string("{{ 2025|wareki }}").render() == era
