import threading
from datetime import timedelta

from werkzeug.serving import make_server

from tests.conftest import PASSWORD
from tests.test_tasks import add_review
from tests.workflow_helpers import new_case, walk_to
from web.authz import today as web_today
from workflow.substitutes import name_substitute
from workflow.models import utcnow
from tests.support.browser import launch_chromium


def test_screens(app, session, people, make_user):
    deputy = make_user("requester", name="代理 花子")
    for state in ("draft", "consultation_submitted", "consultation_hearing", "consultation_study",
                  "planning_plan", "planning_approval", "solution_poc", "review_monitoring"):
        walk_to(session, new_case(session, people["requester"], title=f"窓口手続のオンライン化 {state}"), state, people, satisfy=False)
    fresh = new_case(session, people["requester"], title="新着：保育所入所申請の電子化", now=utcnow())
    walk_to(session, fresh, "consultation_submitted", people, now=utcnow())
    day = web_today()
    name_substitute(session, people["dept_manager"], deputy, day, day + timedelta(days=7), "夏季休暇", people["dept_manager"], today=day)
    server = make_server("127.0.0.1", 0, app)
    port = server.server_port
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = launch_chromium(p)
        for who, user, urls in (("manager", people["dept_manager"], ["/tasks/", "/tasks/substitutes"]),
                                ("deputy", deputy, ["/tasks/", "/tasks/substitutes"]),
                                ("office", people["office"], ["/tasks/", "/tasks/?overdue=1&sort=kind"]),
                                ("requester", people["requester"], ["/tasks/"]),
                                ("executive", people["executive"], ["/tasks/"])):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"http://127.0.0.1:{port}/login")
            page.fill("input[name=email]", user.email)
            page.fill("input[name=password]", PASSWORD)
            page.click("form:has(input[name=password]) [type=submit]"); page.wait_for_load_state()
            for i, url in enumerate(urls):
                page.goto(f"http://127.0.0.1:{port}{url}")
                page.screenshot(path=f"/tmp/shot_{who}_{i}.png", full_page=True)
            if who == "manager":
                page.goto(f"http://127.0.0.1:{port}/tasks/substitutes")
                page.select_option("select[name=substitute_id]", str(people["requester"].id))
                page.fill("input[name=ends_on]", "2020-01-01")
                page.click("input[name=save]")
                page.screenshot(path=f"/tmp/shot_{who}_err.png", full_page=True)
            print(who, errors)
            page.close()
        browser.close()
    server.shutdown()
