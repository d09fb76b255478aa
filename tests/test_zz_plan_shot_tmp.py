import threading
from decimal import Decimal
from werkzeug.serving import make_server
from playwright.sync_api import sync_playwright
from tests.support.browser import launch_chromium
from tests.conftest import PASSWORD
from tests.workflow_helpers import new_case, walk_to
from tests.test_plan_editor import approved_case, FY
from workflow.plans import KpiInput, save_kpi, update_plan, plan_for

def test_shot(app, session, people):
    a = walk_to(session, new_case(session, people["requester"]), "planning_as_is", people, satisfy=False)
    update_plan(session, a, people["requester"], {"as_is_notes": "紙で受付", "security_checklist": {"personal_data": "yes"}})
    save_kpi(session, a, people["requester"], KpiInput(name="オンライン化する手続き数", unit="件", baseline=Decimal(1000), baseline_label="2023年度現在", targets={FY+2: Decimal(2000)}))
    b = approved_case(session, people)
    kpi = plan_for(session, b).kpis[0]
    save_kpi(session, b, people["office"], KpiInput(name=kpi.name, unit="件", baseline=Decimal(120), targets={FY: Decimal(350)}), kpi_id=kpi.id)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    t = threading.Thread(target=server.serve_forever, daemon=True); t.start()
    errors = []
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            for user, case, name in [(people["requester"], a, "as_is"), (people["office"], b, "approved"), (people["executive"], a, "exec")]:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(f"http://127.0.0.1:{port}/login")
                page.fill("input[name=email]", user.email); page.fill("input[name=password]", PASSWORD)
                with page.expect_navigation():
                    page.click("main form [type=submit]")
                page.goto(f"http://127.0.0.1:{port}/cases/{case.id}/plan")
                if name == "approved":
                    page.click("tr.kpi-edit-row details summary")
                if name == "as_is":
                    page.click("#kpi-add summary")
                    page.fill("#kpi-new-name", "テスト"); page.fill("#kpi-new-baseline", "1,3,00")
                    with page.expect_navigation():
                        page.click("#kpi-add button[type=submit]")
                page.screenshot(path=f"/tmp/plan_{name}.png", full_page=True)
                page.close()
            browser.close()
    finally:
        server.shutdown()
    print(errors)
    assert not errors
