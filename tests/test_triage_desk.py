"""The triage desk: open a consultation beside the queue, accept it and send its proposal
without leaving the page, the draft saving itself on the way."""

from __future__ import annotations

from datetime import timedelta

from tests.test_office_board import make_case, reload
from tests.workflow_helpers import NOW, case_events

PROPOSAL = "### 提案\n- 電子申請フォームを作成します\n"


def triggers(session, case) -> list[str]:
    return [e.trigger for e in case_events(session, case, "transition")]


def test_opening_a_case_shows_request_similar_cases_and_the_proposal_editor(
        client, auth, session, people):
    case = make_case(session, people, "consultation_submitted", title="窓口予約のオンライン化",
                     description="来庁予約を電話で受けている")
    auth.login(people["office"])

    html = client.get(f"/office/triage?open={case.id}").get_data(as_text=True)

    assert 'id="desk-panel"' in html
    assert "来庁予約を電話で受けている" in html
    assert f'action="/office/triage/{case.id}/take"' in html
    assert "受け付けて提案を送る" in html and 'id="proposal_text"' in html
    assert 'id="similar"' in html
    # Without ?open= the queue stands alone.
    assert 'id="desk-panel"' not in client.get("/office/triage").get_data(as_text=True)


def test_accept_and_send_in_one_step_then_the_next_consultation_opens(
        client, auth, session, people):
    first = make_case(session, people, "consultation_submitted", title="最初の相談", now=NOW)
    second = make_case(session, people, "consultation_submitted", title="次の相談",
                       now=NOW + timedelta(days=1))
    auth.login(people["office"])

    response = auth.post(
        f"/office/triage/{first.id}/take",
        {"version": str(first.version), "assignee_id": str(people["office"].id),
         "proposal_text": PROPOSAL, "accept_and_send": "1"},
        form_url=f"/office/triage?open={first.id}")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/office/triage?open={second.id}&done={first.id}")
    fresh = reload(session, first)
    assert fresh.state == "consultation_study"
    assert fresh.assignee_id == people["office"].id
    assert fresh.proposal_text.strip() == PROPOSAL.strip()
    assert triggers(session, first)[-3:] == ["accept", "draft_proposal", "send_proposal"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "を受け付けて提案を送りました" in html
    assert f'href="/cases/{first.id}"' in html  # the case stays reachable
    assert f'action="/office/triage/{second.id}/take"' in html


def test_sending_without_a_proposal_changes_nothing(client, auth, session, people):
    case = make_case(session, people, "consultation_submitted")
    auth.login(people["office"])

    response = auth.post(f"/office/triage/{case.id}/take",
                         {"version": str(case.version), "proposal_text": "  ",
                          "accept_and_send": "1"},
                         form_url="/office/triage", follow_redirects=True)

    assert "提案を送るには提案内容を入力してください" in response.get_data(as_text=True)
    assert reload(session, case).state == "consultation_submitted"


def test_a_failed_send_leaves_the_case_unaccepted(client, auth, session, people):
    """All moves are one transaction: the office lead may accept but not send a proposal."""
    case = make_case(session, people, "consultation_submitted")
    auth.login(people["office_lead"])
    html = client.get(f"/office/triage?open={case.id}").get_data(as_text=True)
    assert "受け付けて提案を送る" not in html

    auth.post(f"/office/triage/{case.id}/take",
              {"version": str(case.version), "proposal_text": PROPOSAL, "accept_and_send": "1"},
              form_url="/office/triage")

    fresh = reload(session, case)
    assert fresh.state == "consultation_submitted" and not fresh.proposal_text


def test_accept_only_keeps_the_case_on_the_desk_under_my_accepted(client, auth, session, people):
    case = make_case(session, people, "consultation_submitted", title="保育所入所申請の電子化")
    auth.login(people["office"])

    response = auth.post(f"/office/triage/{case.id}/take",
                         {"version": str(case.version), "assignee_id": str(people["office"].id),
                          "accept": "1"},
                         form_url="/office/triage", follow_redirects=True)

    html = response.get_data(as_text=True)
    assert reload(session, case).state == "consultation_hearing"
    mine = html.split('id="mine"')[1]
    assert "保育所入所申請の電子化" in mine.split("</section>")[0]
    assert f'action="/office/triage/{case.id}/propose"' in html


def test_one_save_sends_an_accepted_cases_proposal(client, auth, session, people):
    case = make_case(session, people, "consultation_hearing")
    auth.login(people["office"])

    auth.post(f"/office/triage/{case.id}/propose",
              {"version": str(case.version), "proposal_text": PROPOSAL, "save_and_send": "1"},
              form_url=f"/office/triage?open={case.id}")

    fresh = reload(session, case)
    assert fresh.state == "consultation_study"
    assert triggers(session, case)[-2:] == ["draft_proposal", "send_proposal"]


def test_the_draft_saves_itself_and_keeps_the_lock_current(client, auth, session, people):
    case = make_case(session, people, "consultation_submitted")
    before = case.version
    auth.login(people["office"])

    response = auth.post(f"/office/triage/{case.id}/draft",
                         {"version": str(before), "proposal_text": "書きかけ"},
                         form_url=f"/office/triage?open={case.id}")

    assert response.status_code == 200
    fresh = reload(session, case)
    assert response.get_json()["version"] == fresh.version == before + 1
    assert fresh.proposal_text == "書きかけ" and fresh.state == "consultation_submitted"
    stale = auth.post(f"/office/triage/{case.id}/draft",
                      {"version": str(before), "proposal_text": "古い画面から"},
                      form_url="/office/triage")
    assert stale.status_code == 409 and "error" in stale.get_json()
    assert reload(session, case).proposal_text == "書きかけ"
    garbled = auth.post(f"/office/triage/{case.id}/draft", {"version": "x"},
                        form_url="/office/triage")
    assert garbled.status_code == 400
