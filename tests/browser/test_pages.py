"""Each role's main page in the browser: it renders in Japanese, every entry of the role's
menu opens without a console error or a failed request, and a screenshot of the main page
lands in test-output/screenshots/<role>.png for people to look at."""

from __future__ import annotations

import importlib.util

import pytest

from tests.support import running_in_ci

if importlib.util.find_spec("playwright") is None:
    MISSING = "Playwright for Python is not installed (pip install -e '.[test]')"
    if running_in_ci():
        pytest.fail(MISSING, pytrace=False)
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser

# role -> (main page, its heading)
MAIN_PAGES = {
    "requester": ("/cases/", "自部局の案件"),
    "dept_manager": ("/tasks/", "マイタスク"),
    "office": ("/office/board", "案件ボード"),
    "office_lead": ("/office/triage", "受付待ちの相談"),
    "expert": ("/cases/", "担当案件"),
    "executive": ("/dashboard/", "DX推進ダッシュボード"),
    "admin": ("/admin/users", "ユーザー管理"),
}


@pytest.mark.parametrize("role", list(MAIN_PAGES))
def test_main_page_and_menu(as_role, role):
    person = as_role(role)
    path, heading = MAIN_PAGES[role]
    page = person.goto(path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator(".user-name")).to_contain_text(person.account.name)
    page.wait_for_load_state("networkidle")
    person.screenshot(role)
    person.assert_clean()

    menu = page.locator("nav.main-nav a")
    entries = [(menu.nth(i).inner_text(), menu.nth(i).get_attribute("href"))
               for i in range(menu.count())]
    assert entries, f"{role} has no menu"
    for label, href in entries:
        page = person.goto(href)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # The entry for the page is marked as the current one.
        expect(page.locator("nav.main-nav a[aria-current=page]")).to_have_text(label)
    person.assert_clean()


def test_the_watch_notices_broken_pages(as_role):
    """The clean-page checks can fail: a 404, a missing script and a CSP violation are caught."""
    person = as_role("requester")
    person.page.goto(person.url("/cases/999999"))
    expect(person.page.get_by_role("heading", level=1)).to_be_visible()
    person.page.evaluate("""() => new Promise(done => {
        const s = document.createElement("script");
        s.src = "/static/js/no-such-file.js";
        s.onerror = done;
        document.body.appendChild(s);
    })""")
    # An inline script, as a template mistake would ship it: the CSP refuses it, loudly.
    person.page.evaluate("""() => {
        const s = document.createElement("script");
        s.textContent = "window.inlineRan = true";
        document.body.appendChild(s);
    }""")
    assert person.page.evaluate("() => window.inlineRan === undefined")
    with pytest.raises(AssertionError) as caught:
        person.assert_clean()
    assert "HTTP 404: GET " in str(caught.value)
    assert "/cases/999999" in str(caught.value)
    assert "/static/js/no-such-file.js" in str(caught.value)
    assert "Content Security Policy" in str(caught.value)
    person.assert_clean()  # reported once, then cleared


def test_the_audit_notices_inaccessible_markup(as_role):
    """axe runs on the served page (CSP on) and reports a critical violation it finds."""
    person = as_role("office")
    page = person.goto("/office/triage")
    page.evaluate("""() => {
        const s = document.createElement("select");
        s.id = "unlabelled-kind";
        s.appendChild(new Option("a"));
        document.querySelector("main").appendChild(s);
    }""")
    with pytest.raises(AssertionError) as caught:
        person.audit()
    assert "[critical] select-name" in str(caught.value)
    assert "#unlabelled-kind" in str(caught.value)
    person.assert_clean()
