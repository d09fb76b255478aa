from pathlib import Path

import pytest

from tests.workflow_helpers import NOW, new_case, walk_to
from workflow.office import add_supporter

OUT = Path("/tmp/office_pages")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_render_all(client, auth, session, people, make_user, lang):
    OUT.mkdir(exist_ok=True)
    cases = {}
    for state in ("consultation_submitted", "consultation_hearing", "consultation_proposing",
                  "planning_as_is", "solution_poc", "review_monitoring", "on_hold",
                  "closed_completed", "closed_rejected"):
        c = new_case(session, people["requester"], title=f"保育所入所申請の電子化（{state}）",
                     priority="urgent" if state == "consultation_submitted" else "normal")
        walk_to(session, c, state, people, NOW)
        cases[state] = c
    add_supporter(session, cases["planning_as_is"], people["office"], kind="consultant",
                  organization="株式会社まちづくり総研")
    for role in ("office", "office_lead", "executive", "requester", "dept_manager", "expert", "admin"):
        user = people[role]
        user.language = lang
        session.commit()
        auth.login(user)
        for name, url in (("board", "/office/board"), ("triage", "/office/triage"),
                          ("team", f"/office/cases/{cases['planning_as_is'].id}/team"),
                          ("team_closed", f"/office/cases/{cases['closed_completed'].id}/team"),
                          ("proposal", f"/office/cases/{cases['consultation_hearing'].id}/proposal"),
                          ("proposal2", f"/office/cases/{cases['consultation_proposing'].id}/proposal"),
                          ("board_filtered", "/office/board?q=保育&assignee=none&fy=2025&category=service")):
            r = client.get(url)
            assert r.status_code in (200, 302, 403), (role, url, r.status_code)
            print(role, lang, name, r.status_code)
            if r.status_code == 200:
                (OUT / f"{role}-{name}-{lang}.html").write_text(r.get_data(as_text=True))
        auth.logout()
