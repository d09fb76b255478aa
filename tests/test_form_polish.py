"""Small things a first-time user notices on forms and in the English UI."""

from __future__ import annotations

import re


def test_required_badge_sits_on_the_label_line(client, auth, people):
    auth.login(people["requester"])
    html = client.get("/cases/new").get_data(as_text=True)
    assert re.search(r'<span class="field-label"><label for="title">件名</label>'
                     r'<span class="required">必須</span></span>', html)


def test_english_pages_use_ascii_colons_and_no_era_years(client, auth, session, people):
    from tests.test_office_board import make_case
    from workflow.models import utcnow

    case = make_case(session, people, "planning_approval", now=utcnow(),
                     title="Online applications")
    people["office"].language = "en"
    session.commit()
    auth.login(people["office"])
    for url in ("/office/board", f"/cases/{case.id}", f"/office/cases/{case.id}/team",
                "/dashboard/"):
        html = client.get(url).get_data(as_text=True)
        main = html[html.index('<main id="main">'):html.index("</main>")]
        assert "令和" not in main, url
        # Case data (department names, KPI names) may be Japanese; the chrome's colons not.
        assert "：" not in main.replace(case.department.name, ""), (url, [
            main[max(0, i - 40):i + 20] for i in range(len(main)) if main[i] == "："][:3])
