"""The Digital Office board, bulk reassignment and the triage queue, as the office sees them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from tests.workflow_helpers import NOW, case_events, new_case, walk_to
from workflow.errors import InvalidInput
from workflow.models import Case
from workflow.office import bulk_assign


def make_case(session, people, state, *, now=NOW, **fields):
    """A case of ``people``'s bureau walked to ``state`` through the real engine."""
    case = new_case(session, people["requester"], now=now, **fields)
    if state != "draft":
        walk_to(session, case, state, people, now)
    return case


def bureau(people, make_user, dept):
    """The same cast, but with bureau staff of another department."""
    return {**people, "requester": make_user("requester", dept),
            "dept_manager": make_user("dept_manager", dept)}


def column_count(html: str, phase: str) -> int:
    match = re.search(rf'id="col-{phase}">.*?<span class="count"[^>]*>(\d+)</span>', html, re.S)
    assert match, f"no column {phase}"
    return int(match.group(1))


def reload(session, case) -> Case:
    session.expire_all()
    return session.get(Case, case.id)


# --- the board ---------------------------------------------------------------------------------


def test_board_shows_columns_counts_and_tiles(client, auth, session, people):
    make_case(session, people, "consultation_submitted", title="窓口予約のオンライン化")
    make_case(session, people, "consultation_hearing", title="保育所入所申請の電子化")
    make_case(session, people, "planning_as_is", title="介護認定業務のBPR")
    make_case(session, people, "on_hold", title="庁内チャットの導入")
    make_case(session, people, "draft", title="まだ下書きの相談")
    auth.login(people["office"])

    response = client.get("/office/board")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for label in ("相談", "企画・BPR", "ソリューション導入", "KPI評価", "保留", "完了"):
        assert f"<span>{label}</span>" in html
    assert column_count(html, "consultation") == 2
    assert column_count(html, "planning") == 1
    assert column_count(html, "on_hold") == 1
    assert column_count(html, "closed") == 0
    assert "窓口予約のオンライン化" in html and "介護認定業務のBPR" in html
    assert "まだ下書きの相談" not in html  # drafts stay private to the bureau
    assert "受付待ち" in html and "ヒアリング" in html  # sub-state badges
    assert 'name="case_ids"' in html and 'id="bulk-assign"' in html


def test_board_tile_shows_assignee_days_in_state_and_urgency(client, auth, session, people):
    make_case(session, people, "consultation_hearing", title="災害時の給付受付", priority="urgent")
    auth.login(people["office"])

    html = client.get("/office/board").get_data(as_text=True)

    tile = html[html.index("災害時の給付受付") - 1500:html.index("災害時の給付受付") + 1200]
    assert "tile urgent" in tile and "緊急" in tile
    assert people["office"].name in tile  # accepting made them the assignee
    assert re.search(r"\d+日経過", tile)
    assert "福祉局" in tile


def test_board_filters(client, auth, session, people, make_user):
    finance = bureau(people, make_user, "finance")
    make_case(session, people, "consultation_hearing", title="福祉の申請電子化", category="service")
    make_case(session, finance, "consultation_submitted",
              title="財務会計の帳票削減", category="administration", case_type="ict_consultation")
    auth.login(people["office"])
    finance_id = finance["requester"].department_id

    def titles(query):
        html = client.get(f"/office/board?{query}").get_data(as_text=True)
        return {t for t in ("福祉の申請電子化", "財務会計の帳票削減") if t in html}

    assert titles("") == {"福祉の申請電子化", "財務会計の帳票削減"}
    assert titles(f"department={finance_id}") == {"財務会計の帳票削減"}
    assert titles("category=service") == {"福祉の申請電子化"}
    assert titles("case_type=ict_consultation") == {"財務会計の帳票削減"}
    assert titles("q=帳票") == {"財務会計の帳票削減"}
    assert titles(f"assignee={people['office'].id}") == {"福祉の申請電子化"}
    assert titles("assignee=none") == {"財務会計の帳票削減"}
    assert titles("fy=2025") == {"福祉の申請電子化", "財務会計の帳票削減"}
    assert titles("fy=2019") == set()
    empty = client.get("/office/board?fy=2019").get_data(as_text=True)
    assert "条件に合う案件はありません" in empty


def test_completed_column_shows_recent_ones_and_links_to_the_full_list(
        client, auth, session, people, monkeypatch):
    monkeypatch.setattr("web.office.queries.CLOSED_COLUMN_LIMIT", 2)
    for i in range(3):
        make_case(session, people, "closed_withdrawn", title=f"取り下げた相談{i}",
                  now=NOW + timedelta(days=i))
    auth.login(people["office"])

    html = client.get("/office/board").get_data(as_text=True)

    assert column_count(html, "closed") == 3
    assert "取り下げた相談2" in html and "取り下げた相談1" in html  # the latest two
    assert "取り下げた相談0" not in html
    assert "/cases/?phase=closed" in html and "すべて見る（3件）" in html


def test_executive_sees_the_board_read_only(client, auth, session, people):
    make_case(session, people, "consultation_hearing", title="窓口予約のオンライン化")
    auth.login(people["executive"])

    response = client.get("/office/board")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "窓口予約のオンライン化" in html
    assert 'id="bulk-assign"' not in html and 'name="case_ids"' not in html
    assert client.post("/office/board/assign", data={}).status_code in (400, 403)


@pytest.mark.parametrize("role", ["requester", "dept_manager", "expert", "admin"])
def test_other_roles_may_not_open_the_board(client, auth, people, role):
    auth.login(people[role])
    assert client.get("/office/board").status_code == 403
    assert client.get("/office/triage").status_code == 403


def test_board_query_count_does_not_grow_with_cases(app, client, auth, session, people, make_user):
    from web.extensions import db

    auth.login(people["office"])

    def statements() -> int:
        count = 0

        def before(*_args):
            nonlocal count
            count += 1

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            assert client.get("/office/board").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return count

    make_case(session, people, "consultation_hearing")
    few = statements()
    finance = bureau(people, make_user, "finance")
    for state in ("consultation_submitted", "planning_as_is", "on_hold", "closed_withdrawn",
                  "consultation_hearing", "consultation_submitted"):
        make_case(session, people, state)
        make_case(session, finance, state)
    many = statements()
    assert many == few
    assert few <= 10


# --- bulk reassignment -------------------------------------------------------------------------


def test_bulk_reassign_changes_every_selected_case_with_one_event_each(
        client, auth, session, people, make_user):
    colleague = make_user("office", name="山田 花子")
    first = make_case(session, people, "consultation_hearing", title="案件A")
    second = make_case(session, people, "planning_as_is", title="案件B")
    untouched = make_case(session, people, "consultation_hearing", title="案件C")
    versions = {c.id: c.version for c in (first, second, untouched)}
    auth.login(people["office_lead"])

    response = auth.post("/office/board/assign", {
        "case_ids": [f"{first.id}:{first.version}", f"{second.id}:{second.version}"],
        "assignee_id": str(colleague.id),
    }, form_url="/office/board", follow_redirects=True)

    assert response.status_code == 200
    assert "2件の案件の担当を 山田 花子 さんに変更しました" in response.get_data(as_text=True)
    for case in (first, second):
        fresh = reload(session, case)
        assert fresh.assignee_id == colleague.id
        assert fresh.version == versions[case.id] + 1
        events = case_events(session, case, "assigned")
        assert len(events) == 1
        assert events[0].data == {"name": "山田 花子", "from": people["office"].id,
                                  "to": colleague.id}
        assert events[0].actor_id == people["office_lead"].id
    fresh = reload(session, untouched)
    assert fresh.assignee_id == people["office"].id and fresh.version == versions[untouched.id]
    assert case_events(session, untouched, "assigned") == []


def test_bulk_reassign_refuses_a_non_office_assignee(client, auth, session, people):
    case = make_case(session, people, "consultation_hearing")
    auth.login(people["office"])

    response = auth.post("/office/board/assign", {
        "case_ids": [f"{case.id}:{case.version}"], "assignee_id": str(people["requester"].id),
    }, form_url="/office/board", follow_redirects=True)

    assert "一覧から選んでください" in response.get_data(as_text=True)
    assert reload(session, case).assignee_id == people["office"].id
    assert case_events(session, case, "assigned") == []


def test_bulk_assign_is_all_or_nothing(session, people, make_user):
    colleague = make_user("office")
    first = make_case(session, people, "consultation_hearing")
    second = make_case(session, people, "consultation_hearing")
    with pytest.raises(InvalidInput):
        bulk_assign(session, [(first, None), (second, None)], people["office"], people["expert"])
    stale = second.version - 1
    with pytest.raises(Exception, match="changed by someone else"):
        bulk_assign(session, [(first, None), (second, stale)], people["office"], colleague)
    for case in (first, second):
        assert reload(session, case).assignee_id == people["office"].id
        assert case_events(session, case, "assigned") == []


def test_bulk_reassign_with_a_stale_tile_changes_nothing(client, auth, session, people, make_user):
    colleague = make_user("office")
    first = make_case(session, people, "consultation_hearing")
    second = make_case(session, people, "consultation_hearing")
    auth.login(people["office"])

    response = auth.post("/office/board/assign", {
        "case_ids": [f"{first.id}:{first.version}", f"{second.id}:{second.version - 1}"],
        "assignee_id": str(colleague.id),
    }, form_url="/office/board")

    assert response.status_code == 409
    assert "どの案件も変更していません" in response.get_data(as_text=True)
    assert reload(session, first).assignee_id == people["office"].id


def test_bulk_reassign_without_selection_says_so(client, auth, session, people):
    make_case(session, people, "consultation_hearing")
    auth.login(people["office"])
    response = auth.post("/office/board/assign", {"assignee_id": str(people["office"].id)},
                         form_url="/office/board", follow_redirects=True)
    assert "担当を変更する案件を選んでください" in response.get_data(as_text=True)


# --- triage ------------------------------------------------------------------------------------


def test_triage_lists_new_consultations_urgent_first_then_oldest(client, auth, session, people):
    make_case(session, people, "consultation_submitted", title="古い相談", now=NOW)
    make_case(session, people, "consultation_submitted", title="後から届いた相談",
              now=NOW + timedelta(days=7))
    make_case(session, people, "consultation_submitted", title="緊急の相談", priority="urgent",
              now=NOW + timedelta(days=8))
    make_case(session, people, "consultation_hearing", title="受付済みの相談")
    auth.login(people["office"])

    html = client.get("/office/triage").get_data(as_text=True)

    queue = html.split('id="mine"')[0]
    positions = [queue.index(t) for t in ("緊急の相談", "古い相談", "後から届いた相談")]
    assert positions == sorted(positions)
    assert "受付済みの相談" not in queue
    assert re.search(r"\d+営業日待ち", html)
    assert "受け付ける" in html and "差し戻す" in html
    assert "対象外とする" not in html  # only the office lead rejects


def test_triage_accept_assigns_the_chosen_member_and_starts_hearing(
        client, auth, session, people, make_user):
    colleague = make_user("office", name="佐藤 一郎")
    case = make_case(session, people, "consultation_submitted", title="窓口予約のオンライン化")
    auth.login(people["office_lead"])
    assert "対象外とする" in client.get("/office/triage").get_data(as_text=True)

    response = auth.post(f"/office/triage/{case.id}/accept",
                         {"version": str(case.version), "assignee_id": str(colleague.id)},
                         form_url="/office/triage", follow_redirects=True)

    html = response.get_data(as_text=True)
    assert "を受け付けました（担当：佐藤 一郎）" in html
    assert "受付待ちの相談はありません" in html
    fresh = reload(session, case)
    assert fresh.state == "consultation_hearing" and fresh.assignee_id == colleague.id
    assert [e.trigger for e in case_events(session, case, "transition")][-1] == "accept"


def test_triage_send_back_needs_a_comment(client, auth, session, people):
    case = make_case(session, people, "consultation_submitted")
    auth.login(people["office"])

    refused = auth.post(f"/office/triage/{case.id}/send_back",
                        {"version": str(case.version), "comment": ""},
                        form_url="/office/triage", follow_redirects=True)
    assert "コメントを入力してください" in refused.get_data(as_text=True)
    assert reload(session, case).state == "consultation_submitted"

    auth.post(f"/office/triage/{case.id}/send_back",
              {"version": str(case.version), "comment": "件数を追記してください"},
              form_url="/office/triage")
    assert reload(session, case).state == "draft"


def test_only_the_office_lead_rejects(client, auth, session, people):
    case = make_case(session, people, "consultation_submitted")
    auth.login(people["office"])
    auth.post(f"/office/triage/{case.id}/reject",
              {"version": str(case.version), "comment": "対象外です"}, form_url="/office/triage")
    assert reload(session, case).state == "consultation_submitted"


def test_every_office_page_renders_in_english_too(client, auth, session, people):
    hearing = make_case(session, people, "consultation_hearing")
    make_case(session, people, "consultation_submitted")
    make_case(session, people, "on_hold")
    people["office"].language = "en"
    session.commit()
    auth.login(people["office"])
    for url in ("/office/board", "/office/triage", f"/office/cases/{hearing.id}/team",
                f"/office/cases/{hearing.id}/proposal"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="en">' in response.get_data(as_text=True)
