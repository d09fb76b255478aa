"""Substitutes (代理者): naming one, the rules, and acting on the principal's behalf."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.workflow_helpers import case_events, new_case, walk_to
from web.authz import today as web_today
from workflow.errors import AccessDenied, InvalidInput
from workflow.models import AuditEvent, Substitution
from workflow.people.substitutes import (
    active_substitutions,
    eligible_substitutes,
    end_substitution,
    name_substitute,
)

DAY = date(2025, 6, 2)
NOT_A_COLLEAGUE = "代理者には同じ部局（デジタル統括室の方は統括室）の職員を選んでください"


@pytest.fixture
def deputy(make_user):
    """A colleague of the Welfare Bureau manager (課長代理), with the requester role."""
    return make_user("requester", name="代理 花子")


def reasons(exc: InvalidInput) -> dict[str, list[str]]:
    return {name: [r.ja for r in rs] for name, rs in exc.field_errors.items()}


# --- the rules ----------------------------------------------------------------------------------


def test_naming_a_substitute_is_recorded(session, people, deputy):
    manager = people["dept_manager"]
    s = name_substitute(session, manager, deputy, DAY, DAY + timedelta(days=6), "夏季休暇",
                        manager, today=DAY)
    assert (s.principal_id, s.substitute_id, s.note) == (manager.id, deputy.id, "夏季休暇")
    event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "substitution"))
    assert event.actor_id == manager.id
    assert event.data["action"] == "named"
    assert (event.data["principal_id"], event.data["substitute_id"]) == (manager.id, deputy.id)


@pytest.mark.parametrize(("case", "field", "message"), [
    ("self", "substitute_id", "自分自身を代理者にすることはできません"),
    ("end_before_start", "ends_on", "終了日は開始日以降の日付にしてください"),
    ("over_a_year", "ends_on", "代理の期間は1年以内にしてください"),
    ("in_the_past", "ends_on", "終了日が過去の日付です"),
    ("other_bureau", "substitute_id", NOT_A_COLLEAGUE),
    ("office_for_bureau", "substitute_id", NOT_A_COLLEAGUE),
    ("inactive", "substitute_id", "利用停止中のユーザーは代理者にできません"),
    ("nobody", "substitute_id", "代理者を選んでください"),
    ("no_dates", "starts_on", "開始日を入力してください"),
])
def test_rules_refuse_with_a_japanese_reason(session, people, make_user, deputy, case, field,
                                             message):
    manager = people["dept_manager"]
    substitute, start, end = deputy, DAY, DAY + timedelta(days=5)
    if case == "self":
        substitute = manager
    elif case == "end_before_start":
        end = start - timedelta(days=1)
    elif case == "over_a_year":
        start, end = date(2025, 6, 2), date(2026, 6, 2)
    elif case == "in_the_past":
        start, end = date(2025, 5, 1), date(2025, 5, 30)
    elif case == "other_bureau":
        substitute = make_user("requester", "health")
    elif case == "office_for_bureau":
        substitute = people["office"]
    elif case == "inactive":
        deputy.active = False
        session.commit()
    elif case == "nobody":
        substitute = None
    elif case == "no_dates":
        start = end = None
    with pytest.raises(InvalidInput) as raised:
        name_substitute(session, manager, substitute, start, end, "", manager, today=DAY)
    assert message in reasons(raised.value)[field]
    assert session.scalar(select(Substitution.id)) is None


def test_a_year_is_the_longest_period(session, people, deputy):
    manager = people["dept_manager"]
    name_substitute(session, manager, deputy, date(2025, 6, 2), date(2026, 6, 1), "", manager,
                    today=DAY)


def test_the_same_substitute_is_not_named_twice_for_the_same_days(session, people, deputy):
    manager = people["dept_manager"]
    name_substitute(session, manager, deputy, DAY, DAY + timedelta(days=9), "", manager, today=DAY)
    with pytest.raises(InvalidInput) as raised:
        name_substitute(session, manager, deputy, DAY + timedelta(days=9), DAY + timedelta(days=20),
                        "", manager, today=DAY)
    assert "既に同じ方" in reasons(raised.value)["substitute_id"][0]


def test_who_may_stand_in_for_whom(session, people, make_user, deputy):
    other_manager = make_user("dept_manager")
    assert {u.id for u in eligible_substitutes(session, people["dept_manager"])} == {
        people["requester"].id, deputy.id, other_manager.id}
    office_names = {u.id for u in eligible_substitutes(session, people["office"])}
    assert office_names == {people["office_lead"].id}
    assert eligible_substitutes(session, people["executive"]) == []
    with pytest.raises(InvalidInput) as raised:
        name_substitute(session, people["executive"], people["admin"], DAY, DAY, "",
                        people["executive"], today=DAY)
    assert reasons(raised.value)["substitute_id"] == ["この役割では代理者を設定できません"]


def test_only_the_principal_names_their_substitute(session, people, deputy):
    with pytest.raises(AccessDenied):
        name_substitute(session, people["dept_manager"], deputy, DAY, DAY, "", deputy, today=DAY)


def test_active_means_within_the_period_both_days_included(session, people, deputy):
    manager = people["dept_manager"]
    name_substitute(session, manager, deputy, DAY, DAY + timedelta(days=2), "", manager, today=DAY)
    for day, running in ((DAY - timedelta(days=1), False), (DAY, True),
                         (DAY + timedelta(days=2), True), (DAY + timedelta(days=3), False)):
        assert bool(active_substitutions(session, day, substitute=deputy)) is running, day


def test_ending_early_stops_it_today_and_a_future_one_is_cancelled(session, people, deputy,
                                                                    make_user):
    manager = people["dept_manager"]
    running = name_substitute(session, manager, deputy, DAY, DAY + timedelta(days=9), "",
                              manager, today=DAY)
    later = name_substitute(session, manager, people["requester"], DAY + timedelta(days=30),
                            DAY + timedelta(days=40), "", manager, today=DAY)
    with pytest.raises(AccessDenied):
        end_substitution(session, running, make_user("requester"), today=DAY + timedelta(days=3))
    end_substitution(session, running, deputy, today=DAY + timedelta(days=3))  # declining
    assert running.ends_on == DAY + timedelta(days=2)
    assert not active_substitutions(session, DAY + timedelta(days=3), principal=manager)
    end_substitution(session, later, manager, today=DAY + timedelta(days=3))
    assert session.get(Substitution, later.id) is None
    actions = [e.data["action"] for e in session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "substitution").order_by(AuditEvent.id))]
    assert actions == ["named", "named", "ended", "cancelled"]
    with pytest.raises(InvalidInput):
        end_substitution(session, running, manager, today=DAY + timedelta(days=3))


# --- the pages ----------------------------------------------------------------------------------

URL = "/tasks/substitutes"


def form(substitute_id, start, end, note="") -> dict:
    return {"substitute_id": str(substitute_id), "starts_on": start.isoformat(),
            "ends_on": end.isoformat(), "note": note}


def test_a_manager_names_a_substitute_and_sees_it_listed(client, auth, people, deputy, session):
    auth.login(people["dept_manager"])
    page = client.get(URL).get_data(as_text=True)
    assert "代理 花子" in page  # offered as a colleague
    today = web_today()
    response = auth.post(URL, form(deputy.id, today, today + timedelta(days=4), "夏季休暇"),
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "代理 花子 さんを代理者に設定しました" in html
    assert "あなたの代理者" in html and "夏季休暇" in html and "代理中" in html
    assert session.scalar(select(Substitution.substitute_id)) == deputy.id


@pytest.mark.parametrize(("which", "message"), [
    ("self", "自分自身を代理者にすることはできません"),
    ("end_before_start", "終了日は開始日以降の日付にしてください"),
    ("bad_date", "日付を正しく入力してください"),
])
def test_form_errors_are_shown_next_to_the_field_in_japanese(client, auth, people, deputy,
                                                             session, which, message):
    manager = people["dept_manager"]
    auth.login(manager)
    today = web_today()
    data = form(deputy.id, today, today + timedelta(days=3))
    if which == "self":
        data["substitute_id"] = str(manager.id)
    elif which == "end_before_start":
        data["ends_on"] = (today - timedelta(days=1)).isoformat()
    else:
        data["ends_on"] = "来週"
    response = auth.post(URL, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'class="field[^"]*has-error', html)
    assert f'<p class="error" role="alert">{message}' in html
    assert session.scalar(select(Substitution.id)) is None


def name_deputy(session, people, deputy, start, end) -> Substitution:
    manager = people["dept_manager"]
    return name_substitute(session, manager, deputy, start, end, "", manager, today=start)


def test_substitute_sees_the_principals_tasks_only_while_it_runs(client, auth, session, people,
                                                                deputy):
    case = walk_to(session, new_case(session, people["requester"], title="介護認定の電子申請"),
                   "consultation_study", people)
    auth.login(deputy)
    assert "介護認定の電子申請" not in client.get("/tasks/").get_data(as_text=True)

    today = web_today()
    s = name_deputy(session, people, deputy, today, today + timedelta(days=5))
    html = client.get("/tasks/").get_data(as_text=True)
    assert "介護認定の電子申請" in html
    assert f"{people['dept_manager'].name} さんの代理" in html
    assert "判断待ち" in html  # the manager's view comes with the manager's work
    assert "あなたが代理している方" in client.get(URL).get_data(as_text=True)

    response = auth.post(f"/tasks/substitutes/{s.id}/end", {}, form_url=URL,
                         follow_redirects=True)
    assert "代理の設定を終了しました" in response.get_data(as_text=True)
    assert "介護認定の電子申請" not in client.get("/tasks/").get_data(as_text=True)
    assert case.id  # the case itself is untouched


def test_a_future_substitution_shows_nothing_yet(client, auth, session, people, deputy):
    walk_to(session, new_case(session, people["requester"], title="介護認定の電子申請"),
            "consultation_study", people)
    today = web_today()
    name_deputy(session, people, deputy, today + timedelta(days=3), today + timedelta(days=5))
    auth.login(deputy)
    assert "介護認定の電子申請" not in client.get("/tasks/").get_data(as_text=True)
    assert "予定" in client.get(URL).get_data(as_text=True)


def test_substitute_decides_go_on_behalf_of_the_manager(client, auth, session, people, deputy):
    manager = people["dept_manager"]
    case = walk_to(session, new_case(session, people["requester"]), "consultation_study", people)
    today = web_today()
    name_deputy(session, people, deputy, today, today + timedelta(days=5))
    auth.login(deputy)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"{manager.name} さんの代理として" in page
    response = auth.post(f"/cases/{case.id}/transitions/decide_go",
                         {"version": str(case.version)}, form_url=f"/cases/{case.id}")
    assert response.status_code == 302
    event = case_events(session, case, "transition")[-1]
    assert event.trigger == "decide_go"
    assert (event.actor_id, event.on_behalf_of_id) == (deputy.id, manager.id)
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    section = timeline.split('id="timeline"')[1].split("</section>")[0]
    assert f"{manager.name} さんの代理" in section


def test_nobody_else_may_end_a_substitution(client, auth, session, people, deputy, make_user):
    today = web_today()
    s = name_deputy(session, people, deputy, today, today + timedelta(days=5))
    auth.login(make_user("dept_manager"))
    response = auth.post(f"/tasks/substitutes/{s.id}/end", {}, form_url=URL)
    assert response.status_code == 404
    assert session.get(Substitution, s.id).ends_on == today + timedelta(days=5)


def test_executives_have_no_substitutes_page(client, auth, people):
    auth.login(people["executive"])
    assert client.get(URL).status_code == 403
