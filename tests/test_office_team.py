"""Who works on a case (assignee, supporters) and writing the proposal, as the office does it."""

from __future__ import annotations

import pytest

from tests.workflow_helpers import NOW, case_events, new_case, walk_to
from workflow.errors import AccessDenied, InvalidInput
from workflow.models import Case, Supporter
from workflow.office import add_supporter, assign, remove_supporter


def make_case(session, people, state, **fields):
    case = new_case(session, people["requester"], **fields)
    walk_to(session, case, state, people, NOW)
    return case


def reload(session, case) -> Case:
    session.expire_all()
    return session.get(Case, case.id)


def team_url(case) -> str:
    return f"/office/cases/{case.id}/team"


def add(auth, session, case, kind, **fields):
    """Send the add-supporter form of ``kind`` with the case's current version."""
    data = {f"{kind}-{k}": v for k, v in fields.items()}
    data.update({f"{kind}-kind": kind, f"{kind}-version": str(reload(session, case).version)})
    return auth.post(f"/office/cases/{case.id}/team/supporters", data, form_url=team_url(case),
                     follow_redirects=True)


# --- supporters --------------------------------------------------------------------------------


def test_office_adds_each_kind_of_supporter_with_an_audit_event(
        client, auth, session, people, make_user):
    colleague = make_user("office", name="デジタル 次郎")
    case = make_case(session, people, "planning_as_is")
    version = case.version
    auth.login(people["office"])
    assert client.get(team_url(case)).status_code == 200

    add(auth, session, case, "office", user_id=str(colleague.id))
    add(auth, session, case, "consultant", organization="株式会社まちづくり総研", note="BPR支援")
    add(auth, session, case, "expert", user_id=str(people["expert"].id))
    page = add(auth, session, case, "adviser", organization="大阪大学 山本教授")

    html = page.get_data(as_text=True)
    names = ("デジタル 次郎", "株式会社まちづくり総研", people["expert"].name, "大阪大学 山本教授")
    assert all(name in html for name in names)
    supporters = session.query(Supporter).filter_by(case_id=case.id).all()
    assert sorted(s.kind for s in supporters) == ["adviser", "consultant", "expert", "office"]
    events = case_events(session, case, "supporter")
    assert [e.data["name"] for e in events] == [
        "デジタル 次郎", "株式会社まちづくり総研", people["expert"].name, "大阪大学 山本教授"]
    assert all(e.data["action"] == "added" for e in events)
    assert reload(session, case).version == version + 4


def test_an_expert_added_as_supporter_can_then_open_the_case(
        client, auth, session, people):
    case = make_case(session, people, "consultation_hearing")
    auth.login(people["expert"])
    assert client.get(f"/cases/{case.id}").status_code == 404
    add_supporter(session, case, people["office"], kind="expert", user=people["expert"])
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_supporter_errors_are_shown_next_to_the_field(client, auth, session, people):
    case = make_case(session, people, "planning_as_is")
    auth.login(people["office"])

    page = add(auth, session, case, "consultant", organization="  ")

    html = page.get_data(as_text=True)
    assert "コンサルティング事業者名を入力してください" in html
    assert 'class="field  has-error"' in html or "has-error" in html
    assert session.query(Supporter).filter_by(case_id=case.id).count() == 0
    expert_as_office = add(auth, session, case, "office", user_id=str(people["expert"].id))
    assert "一覧から選んでください" in expert_as_office.get_data(as_text=True)


def test_office_removes_a_supporter_with_an_audit_event(client, auth, session, people):
    case = make_case(session, people, "planning_as_is")
    supporter = add_supporter(session, case, people["office"], kind="consultant",
                              organization="株式会社まちづくり総研")
    version = reload(session, case).version
    auth.login(people["office"])

    page = auth.post(f"/office/cases/{case.id}/team/supporters/{supporter.id}/remove",
                     {"version": str(version)}, form_url=team_url(case), follow_redirects=True)

    assert "支援者から外しました：株式会社まちづくり総研" in page.get_data(as_text=True)
    assert session.query(Supporter).filter_by(case_id=case.id).count() == 0
    removed = case_events(session, case, "supporter")[-1]
    assert removed.data["name"] == "株式会社まちづくり総研" and removed.data["action"] == "removed"
    assert reload(session, case).version == version + 1


def test_removing_with_a_stale_version_is_a_conflict(client, auth, session, people):
    case = make_case(session, people, "planning_as_is")
    supporter = add_supporter(session, case, people["office"], kind="adviser", organization="A教授")
    auth.login(people["office"])
    response = auth.post(f"/office/cases/{case.id}/team/supporters/{supporter.id}/remove",
                         {"version": str(case.version - 1)}, form_url=team_url(case))
    assert response.status_code == 409
    assert session.query(Supporter).filter_by(case_id=case.id).count() == 1


def test_supporter_rules_in_the_domain(session, people):
    case = make_case(session, people, "planning_as_is")
    with pytest.raises(AccessDenied):
        add_supporter(session, case, people["requester"], kind="consultant", organization="X社")
    with pytest.raises(InvalidInput):
        add_supporter(session, case, people["office"], kind="expert", user=people["requester"])
    with pytest.raises(InvalidInput):
        add_supporter(session, case, people["office"], kind="mentor", organization="X")
    add_supporter(session, case, people["office"], kind="expert", organization="田中 太郎")
    with pytest.raises(InvalidInput):  # the same supporter twice
        add_supporter(session, case, people["office"], kind="expert", organization="田中 太郎")
    other = make_case(session, people, "planning_as_is")
    foreign = add_supporter(session, other, people["office"], kind="adviser", organization="B")
    with pytest.raises(InvalidInput):
        remove_supporter(session, case, people["office"], foreign)


# --- the assigned office member ----------------------------------------------------------------


def test_team_page_changes_the_assignee(client, auth, session, people, make_user):
    colleague = make_user("office", name="鈴木 三郎")
    case = make_case(session, people, "consultation_hearing")
    auth.login(people["office_lead"])

    page = auth.post(f"/office/cases/{case.id}/team/assignee",
                     {"version": str(case.version), "assignee_id": str(colleague.id)},
                     form_url=team_url(case), follow_redirects=True)

    assert "統括室担当を 鈴木 三郎 さんに変更しました" in page.get_data(as_text=True)
    assert reload(session, case).assignee_id == colleague.id
    event = case_events(session, case, "assigned")[-1]
    assert event.data == {"name": "鈴木 三郎", "from": people["office"].id, "to": colleague.id}


def test_assign_refuses_non_office_people_and_closed_cases(session, people):
    case = make_case(session, people, "consultation_hearing")
    with pytest.raises(InvalidInput):
        assign(session, case, people["office"], people["dept_manager"])
    with pytest.raises(AccessDenied):
        assign(session, case, people["dept_manager"], people["office"])
    closed = make_case(session, people, "closed_withdrawn")
    with pytest.raises(AccessDenied):
        assign(session, closed, people["office"], people["office_lead"])


@pytest.mark.parametrize("role", ["requester", "dept_manager", "expert", "executive"])
def test_only_the_office_manages_the_team(client, auth, session, people, role):
    case = make_case(session, people, "consultation_hearing")
    add_supporter(session, case, people["office"], kind="expert", user=people["expert"])
    auth.login(people[role])
    assert client.get(team_url(case)).status_code == 403
    assert client.get(f"/office/cases/{case.id}/proposal").status_code == 403


def test_another_bureaus_draft_is_not_found(client, auth, session, people):
    draft = new_case(session, people["requester"])
    auth.login(people["office"])
    assert client.get(team_url(draft)).status_code == 404
    assert client.get(f"/office/cases/{draft.id}/proposal").status_code == 404


# --- the proposal ------------------------------------------------------------------------------


def proposal_url(case) -> str:
    return f"/office/cases/{case.id}/proposal"


def test_proposal_is_saved_and_can_then_be_sent(client, auth, session, people):
    case = make_case(session, people, "consultation_hearing")
    version = case.version
    auth.login(people["office"])
    page = client.get(proposal_url(case)).get_data(as_text=True)
    assert "保存して提案作成に進む" in page

    saved = auth.post(proposal_url(case), {"version": str(version), "save": "1",
                                           "proposal_text": "### 提案\n- 電子申請を導入する"},
                      follow_redirects=True)

    assert "提案を保存しました" in saved.get_data(as_text=True)
    fresh = reload(session, case)
    assert fresh.proposal_text.startswith("### 提案") and fresh.version == version + 1

    moved = auth.post(proposal_url(case), {"version": str(fresh.version), "save_and_send": "1",
                                           "proposal_text": fresh.proposal_text + "\n- 追記"},
                      follow_redirects=True)
    assert "「提案作成」に進みました" in moved.get_data(as_text=True)
    fresh = reload(session, case)
    assert fresh.state == "consultation_proposing" and fresh.proposal_text.endswith("- 追記")
    assert "保存して提案を送る" in moved.get_data(as_text=True)

    sent = auth.post(proposal_url(case), {"version": str(fresh.version), "save_and_send": "1",
                                          "proposal_text": fresh.proposal_text},
                     follow_redirects=True)
    assert "提案を保存して送りました" in sent.get_data(as_text=True)
    assert reload(session, case).state == "consultation_study"


def test_an_empty_proposal_is_saved_but_not_sent(client, auth, session, people):
    case = make_case(session, people, "consultation_proposing")
    auth.login(people["office"])

    page = auth.post(proposal_url(case), {"version": str(case.version), "save_and_send": "1",
                                          "proposal_text": ""}, follow_redirects=True)

    assert "提案内容が入力されていません" in page.get_data(as_text=True)
    assert reload(session, case).state == "consultation_proposing"


def test_office_lead_may_edit_the_proposal_but_not_send_it(client, auth, session, people):
    case = make_case(session, people, "consultation_proposing")
    auth.login(people["office_lead"])
    page = client.get(proposal_url(case)).get_data(as_text=True)
    assert "保存して提案を送る" not in page and "次の段階に進められるのは" in page


def test_proposal_with_a_stale_version_is_a_conflict(client, auth, session, people):
    case = make_case(session, people, "consultation_proposing")
    auth.login(people["office"])
    stale = case.version
    assign(session, case, people["office"], people["office_lead"])  # someone else changed it

    response = auth.post(proposal_url(case), {"version": str(stale), "save": "1",
                                              "proposal_text": "上書きしてはいけない提案"})

    assert response.status_code == 409
    assert "他の人" in response.get_data(as_text=True)
    assert "上書きしてはいけない" not in reload(session, case).proposal_text


def test_proposal_page_only_while_hearing_or_proposing(client, auth, session, people):
    case = make_case(session, people, "planning_as_is")
    auth.login(people["office"])
    response = client.get(proposal_url(case), follow_redirects=True)
    assert "提案を作成・編集できるのは" in response.get_data(as_text=True)


def test_proposal_page_lists_similar_past_cases_to_cite(client, auth, session, people):
    past = make_case(session, people, "closed_withdrawn", title="保育所入所申請のオンライン化",
                     description="保育所の入所申請を電子申請にする")
    case = make_case(session, people, "consultation_hearing", title="保育所入所申請の電子化",
                     description="保育所への入所申請を来庁不要にしたい")
    auth.login(people["office"])

    html = client.get(proposal_url(case)).get_data(as_text=True)

    assert past.number in html and "保育所入所申請のオンライン化" in html
    assert f'data-cite="- 参考：{past.number} 保育所入所申請のオンライン化"' in html
    assert "js/office.js" in html


def test_bad_input_gets_a_japanese_answer_not_a_500(client, auth, session, people):
    case = make_case(session, people, "consultation_proposing")
    auth.login(people["office"])

    too_long = add(auth, session, case, "adviser", organization="山本教授", note="長" * 201)
    assert "200文字以内で入力してください" in too_long.get_data(as_text=True)
    garbled = auth.post(proposal_url(case), {"version": "abc", "save": "1", "proposal_text": "x"})
    assert garbled.status_code == 400
    version = reload(session, case).version
    wrong_state = auth.post(f"/office/triage/{case.id}/accept",
                            {"version": str(version), "assignee_id": str(people["office_lead"].id)},
                            form_url="/office/triage", follow_redirects=True)
    assert "ではこの操作はできません" in wrong_state.get_data(as_text=True)
    fresh = reload(session, case)
    assert fresh.assignee_id == people["office"].id and fresh.version == version  # rolled back
