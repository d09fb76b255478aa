"""The plan editor: the bureau and the Digital Office fill in the execution plan together."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.conftest import csrf_token
from tests.workflow_helpers import case_events, count_events, new_case, walk_to
from web.plans.forms import FigureError, parse_figure
from workflow import engine
from workflow.fiscal import fiscal_year
from workflow.models import Case, Kpi, Substitution, utcnow
from workflow.plans import KpiInput, plan_for, save_kpi, update_plan
from workflow.vocabulary import SECURITY_CHECKLIST

# The web app judges "this fiscal year" by the real clock.
FY = fiscal_year(utcnow())
KPI = "オンライン化する手続き数"


def plan_url(case) -> str:
    return f"/cases/{case.id}/plan"


def page(client, case) -> str:
    response = client.get(plan_url(case))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def version_of(session, case) -> int:
    session.expire_all()
    return session.get(Case, case.id).version


def state_of(session, case) -> str:
    session.expire_all()
    return session.get(Case, case.id).state


def save_plan(auth, session, case, **fields):
    """Post the plan form as a browser would: every text field and the answered items."""
    session.expire_all()
    plan = plan_for(session, case)
    data = {name: getattr(plan, name) if plan else "" for name in
            ("as_is_notes", "to_be_notes", "kgi", "kgi_note", "outcome")}
    data.update({f"check_{k}": v for k, v in (plan.security_checklist if plan else {}).items()})
    data.update(fields, section="plan", version=version_of(session, case))
    return auth.post(plan_url(case), data)


def kpi_fields(prefix="kpi-new", **fields) -> dict:
    data = {"name": KPI, "unit": "件", "direction": "increase", "baseline": "",
            "baseline_label": "", "owner_id": "", "note": ""}
    data.update({f"target_{fy}": "" for fy in range(FY, FY + 4)})
    data.update(fields)
    return {f"{prefix}-{key}": value for key, value in data.items()}


def save_kpi_form(auth, session, case, kpi_id=None, **fields):
    data = kpi_fields(f"kpi-{kpi_id}" if kpi_id else "kpi-new", **fields)
    data.update(section="kpi", kpi_id=kpi_id or "", version=version_of(session, case))
    return auth.post(plan_url(case), data)


def fire(auth, session, case, trigger):
    return auth.post(f"/cases/{case.id}/transitions/{trigger}",
                     {"version": version_of(session, case)}, form_url=plan_url(case))


def reasons_on(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", item) for block in
            re.findall(r'<ul class="plan-reasons"[^>]*>(.*?)</ul>', html, re.S)
            for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


@pytest.fixture
def planning_case(session, people):
    case = new_case(session, people["requester"])
    return walk_to(session, case, "planning_as_is", people, satisfy=False)


def approved_case(session, people):
    """A case whose plan (with a target for this FY) has been approved by its manager."""
    case = walk_to(session, new_case(session, people["requester"]), "planning_plan", people)
    kpi = plan_for(session, case).kpis[0]
    save_kpi(session, case, people["requester"], KpiInput(
        name=KPI, unit="件", baseline=Decimal(120), targets={FY: Decimal(300)}), kpi_id=kpi.id)
    engine.fire(session, case, "submit_plan", people["requester"])
    engine.fire(session, case, "approve_plan", people["dept_manager"])
    assert case.state == "solution_selection"
    return case


# --- the journey -----------------------------------------------------------------------------

def test_requester_and_office_fill_the_plan_together(client, auth, session, people,
                                                     planning_case):
    case = planning_case
    auth.login(people["requester"])
    html = page(client, case)
    assert "現状（As-Is）の分析メモがありません" in reasons_on(html)
    assert "KGI（2030年の目標）が未入力です" in reasons_on(html)
    assert "/transitions/finish_as_is" not in html  # blocked: shown disabled, not as a form

    # The requester writes the as-is notes; that reason goes, the step can be finished.
    response = save_plan(auth, session, case, as_is_notes="申請の7割が紙で、入力に1件15分かかる")
    assert response.status_code == 302
    html = page(client, case)
    assert "実行計画を保存しました。" in html
    assert "現状（As-Is）の分析メモがありません" not in reasons_on(html)
    assert "/transitions/finish_as_is" in html
    assert fire(auth, session, case, "finish_as_is").status_code == 302
    assert state_of(session, case) == "planning_to_be"

    # The office member takes over: to-be notes and the KGI.
    auth.logout()
    auth.login(people["office"])
    html = page(client, case)
    assert "あるべき姿（To-Be）のメモがありません" in reasons_on(html)
    save_plan(auth, session, case, to_be_notes="オンライン申請を標準にする",
              kgi="全ての手続きをオンラインで完結できる")
    html = page(client, case)
    assert "あるべき姿（To-Be）のメモがありません" not in reasons_on(html)
    assert "KGI（2030年の目標）が未入力です" not in reasons_on(html)
    assert plan_for(session, case).as_is_notes == "申請の7割が紙で、入力に1件15分かかる"
    fire(auth, session, case, "finish_to_be")
    assert state_of(session, case) == "planning_plan"

    # Back to the requester: a KPI whose only target is two years away does not count yet.
    auth.logout()
    auth.login(people["requester"])
    assert save_kpi_form(auth, session, case, baseline="１，２００", baseline_label="2023年度現在",
                         **{f"target_{FY + 2}": "2,000"}).status_code == 302
    html = page(client, case)
    assert "KPIが1つもありません" not in reasons_on(html)
    assert (f"KPI「{KPI}」に{FY}年度または{FY + 1}年度の目標値がありません"
            in reasons_on(html))

    # The office adds this year's target.
    auth.logout()
    auth.login(people["office"])
    kpi = plan_for(session, case).kpis[0]
    save_kpi_form(auth, session, case, kpi.id, baseline="1,200", baseline_label="2023年度現在",
                  **{f"target_{FY}": "1300", f"target_{FY + 2}": "2,000"})
    html = page(client, case)
    assert not any(KPI in r for r in reasons_on(html))
    assert reasons_on(html) == ["セキュリティチェックリストに未回答の項目が5件あります"]
    assert "承認申請できます" not in html

    # The checklist answered, the plan can go to the manager.
    save_plan(auth, session, case, **{f"check_{k}": "yes" for k in SECURITY_CHECKLIST})
    html = page(client, case)
    assert reasons_on(html) == []
    assert "承認申請できます" in html
    assert "/transitions/submit_plan" in html
    fire(auth, session, case, "submit_plan")
    assert state_of(session, case) == "planning_approval"
    kpi = session.get(Kpi, kpi.id)
    assert kpi.baseline == Decimal(1200) and kpi.baseline_label == "2023年度現在"
    assert kpi.target_for(FY).value == Decimal(1300)
    assert kpi.target_for(FY + 1) is None
    assert kpi.target_for(FY + 2).value == Decimal(2000)


def test_the_manager_sees_what_is_missing_but_does_not_submit(client, auth, session, people,
                                                              planning_case):
    update_plan(session, planning_case, people["requester"], {"as_is_notes": "紙で受付"})
    auth.login(people["dept_manager"])
    html = page(client, planning_case)
    assert "現状分析を完了して、あるべき姿の検討に進めます。" in html
    assert "/transitions/finish_as_is" not in html
    assert "この操作は部局担当者またはデジタル統括室が行います。" in html


def test_a_text_target_and_a_blank_year(client, auth, session, people, planning_case):
    auth.login(people["office"])
    save_kpi_form(auth, session, planning_case, name="電子申請システム", unit="",
                  baseline="未導入", **{f"target_{FY}": "運用開始", f"target_{FY + 1}": "－"})
    kpi = plan_for(session, planning_case).kpis[0]
    assert kpi.baseline is None and kpi.baseline_text == "未導入"
    assert kpi.target_for(FY).text == "運用開始" and kpi.target_for(FY + 1) is None
    assert "運用開始" in page(client, planning_case)


def test_removing_a_kpi(client, auth, session, people, planning_case):
    save_kpi(session, planning_case, people["requester"], KpiInput(name="削除するKPI"))
    kpi = plan_for(session, planning_case).kpis[0]
    auth.login(people["requester"])
    response = auth.post(plan_url(planning_case), {
        "section": "remove_kpi", "kpi_id": kpi.id,
        "version": version_of(session, planning_case)})
    assert response.status_code == 302
    assert plan_for(session, planning_case).kpis == []
    assert "KPI「削除するKPI」を削除しました。" in page(client, planning_case)


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "unit", "expected"), [
    ("1,300", "", Decimal(1300)),
    ("１３００", "", Decimal(1300)),
    ("１，３００．５", "", Decimal("1300.5")),
    ("1300件", "件", Decimal(1300)),
    ("", "", None),
    ("  ", "", None),
    ("－", "", None),
    ("運用開始", "", "運用開始"),
])
def test_figures_people_type(typed, unit, expected):
    assert parse_figure(typed, unit) == expected


@pytest.mark.parametrize("typed", ["1,3,00", "12.5.1", "1 3,0", "1.23456", "1" * 15])
def test_number_like_input_that_is_no_number_is_refused(typed):
    with pytest.raises(FigureError):
        parse_figure(typed)


def test_an_invalid_number_is_a_field_error_and_nothing_is_written(client, auth, session,
                                                                   people, planning_case):
    auth.login(people["requester"])
    before = (version_of(session, planning_case), count_events(session, planning_case))
    response = save_kpi_form(auth, session, planning_case, baseline="1,3,00",
                             **{f"target_{FY}": "12.5.1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "「1,3,00」は数値として読み取れません" in html
    assert "「12.5.1」は数値として読み取れません" in html
    assert 'value="1,3,00"' in html  # what was typed stays in the field
    assert plan_for(session, planning_case) is None
    assert (version_of(session, planning_case), count_events(session, planning_case)) == before


def test_a_kpi_without_a_name_is_refused(client, auth, session, people, planning_case):
    auth.login(people["office"])
    html = save_kpi_form(auth, session, planning_case, name="").get_data(as_text=True)
    assert "KPI名を入力してください" in html
    assert plan_for(session, planning_case) is None


def test_the_kpi_owner_is_a_manager_of_the_bureau(client, auth, session, people, make_user,
                                                  planning_case):
    other_manager = make_user("dept_manager", "health")
    auth.login(people["requester"])
    html = page(client, planning_case)
    assert people["dept_manager"].name in html and other_manager.name not in html
    response = save_kpi_form(auth, session, planning_case, owner_id=str(other_manager.id))
    assert response.status_code == 200
    assert plan_for(session, planning_case) is None
    save_kpi_form(auth, session, planning_case, owner_id=str(people["dept_manager"].id))
    assert plan_for(session, planning_case).kpis[0].owner_id == people["dept_manager"].id


# --- who may do what -------------------------------------------------------------------------

def test_another_bureaus_requester_gets_404(client, auth, session, people, make_user,
                                            planning_case):
    outsider = make_user("requester", "health")
    auth.login(outsider)
    assert client.get(plan_url(planning_case)).status_code == 404
    assert client.get(f"{plan_url(planning_case)}/reasons").status_code == 404
    response = auth.post(plan_url(planning_case), {"section": "plan", "as_is_notes": "x",
                                                    "version": planning_case.version},
                         form_url="/account")
    assert response.status_code == 404
    assert plan_for(session, planning_case) is None


def test_executive_reads_the_plan_but_may_not_change_it(client, auth, session, people,
                                                        planning_case):
    update_plan(session, planning_case, people["requester"],
                {"as_is_notes": "紙で受付している", "kgi": "手続きのオンライン完結"})
    save_kpi(session, planning_case, people["requester"], KpiInput(
        name=KPI, baseline=Decimal(1000), targets={FY: Decimal(1300)}))
    auth.login(people["executive"])
    html = page(client, planning_case)
    assert "紙で受付している" in html and "手続きのオンライン完結" in html
    assert "1,300" in html
    assert f'action="{plan_url(planning_case)}"' not in html
    assert "<textarea" not in html and "KPIを追加" not in html
    response = auth.post(plan_url(planning_case), {
        "section": "plan", "as_is_notes": "書き換え",
        "version": version_of(session, planning_case)})
    assert response.status_code == 403
    assert plan_for(session, planning_case).as_is_notes == "紙で受付している"
    assert client.get(f"{plan_url(planning_case)}/reasons").json["ready"] is False


def test_plan_is_read_only_once_planning_is_over_for_notes(client, auth, session, people):
    case = approved_case(session, people)
    auth.login(people["requester"])
    html = page(client, case)
    assert "<textarea id=\"as_is_notes\"" not in html  # notes are settled after approval
    assert "KPIを保存" in html  # targets may still be revised
    response = auth.post(plan_url(case), {"section": "plan", "as_is_notes": "書き換え",
                                          "version": version_of(session, case)})
    assert response.status_code == 403


def test_a_substitute_edits_on_behalf_of_the_requester(client, auth, session, people,
                                                       make_user, planning_case):
    stand_in = make_user("requester", "health")
    today = utcnow().date()
    session.add(Substitution(principal_id=people["requester"].id, substitute_id=stand_in.id,
                             starts_on=today - timedelta(days=1),
                             ends_on=today + timedelta(days=1)))
    session.commit()
    auth.login(stand_in)
    assert "<textarea" in page(client, planning_case)
    save_plan(auth, session, planning_case, as_is_notes="代理で記入")
    assert plan_for(session, planning_case).as_is_notes == "代理で記入"
    event = case_events(session, planning_case, "plan")[-1]
    assert (event.actor_id, event.on_behalf_of_id) == (stand_in.id, people["requester"].id)


def test_a_stale_version_gives_409_and_overwrites_nothing(client, auth, session, people,
                                                          planning_case):
    auth.login(people["requester"])
    stale = version_of(session, planning_case)
    update_plan(session, planning_case, people["office"], {"as_is_notes": "統括室が書いた現状"})
    response = auth.post(plan_url(planning_case), {"section": "plan", "as_is_notes": "古い画面から",
                                                    "version": stale})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "他の人が先に変更しました" in html
    assert f'href="{plan_url(planning_case)}"' in html  # the reload link
    assert plan_for(session, planning_case).as_is_notes == "統括室が書いた現状"

    response = auth.post(plan_url(planning_case),
                         {**kpi_fields(), "section": "kpi", "version": stale})
    assert response.status_code == 409
    assert plan_for(session, planning_case).kpis == []


def test_missing_section_or_version_is_a_bad_request(client, auth, session, people,
                                                     planning_case):
    auth.login(people["requester"])
    assert auth.post(plan_url(planning_case), {"section": "plan"}).status_code == 400
    assert auth.post(plan_url(planning_case), {"section": "x", "version": 1}).status_code == 400


# --- after approval --------------------------------------------------------------------------

def test_a_target_revised_after_approval_keeps_the_original(client, auth, session, people):
    case = approved_case(session, people)
    plan = plan_for(session, case)
    assert plan.approved_at is not None and plan.approved_by_id == people["dept_manager"].id
    kpi = plan.kpis[0]
    auth.login(people["office"])
    response = save_kpi_form(auth, session, case, kpi.id, baseline="120",
                             **{f"target_{FY}": "350"})
    assert response.status_code == 302
    session.expire_all()
    target = session.get(Kpi, kpi.id).target_for(FY)
    assert target.value == Decimal(350) and target.original_value == Decimal(300)
    assert target.is_revised
    html = page(client, case)
    assert "承認後の目標値の変更は修正として記録され" in html
    assert "350" in html and "（300）" in html and "（）内は当初設定数値" in html
    assert "当初設定数値：300" in html  # beside the field in the edit form

    # A second revision still shows the figure first set.
    save_kpi_form(auth, session, case, kpi.id, baseline="120", **{f"target_{FY}": "400"})
    session.expire_all()
    target = session.get(Kpi, kpi.id).target_for(FY)
    assert target.value == Decimal(400) and target.original_value == Decimal(300)


# --- the live reasons ------------------------------------------------------------------------

def test_reasons_endpoint_reports_the_saved_plan(client, auth, session, people, planning_case):
    auth.login(people["requester"])
    data = client.get(f"{plan_url(planning_case)}/reasons").json
    assert data["ready"] is False
    assert "KPIが1つもありません" in data["reasons"]
    assert data["version"] == version_of(session, planning_case)
    save_plan(auth, session, planning_case, kgi="全ての手続きをオンラインで完結")
    data = client.get(f"{plan_url(planning_case)}/reasons").json
    assert "KGI（2030年の目標）が未入力です" not in data["reasons"]
    assert data["version"] == version_of(session, planning_case)


def test_before_planning_the_page_explains_when_the_plan_is_made(client, auth, session, people):
    case = walk_to(session, new_case(session, people["requester"]), "consultation_hearing",
                   people)
    auth.login(people["requester"])
    html = page(client, case)
    assert "企画・BPR段階に進むと、ここで実行計画を作成します。" in html
    assert "<textarea" not in html


def test_every_plan_form_carries_the_case_version(client, auth, session, people, planning_case):
    save_kpi(session, planning_case, people["requester"], KpiInput(name=KPI))
    auth.login(people["requester"])
    html = page(client, planning_case)
    version = version_of(session, planning_case)
    forms = re.findall(r'<form method="post" action="/cases/\d+/plan".*?</form>', html, re.S)
    assert len(forms) == 4  # plan texts, the KPI's edit form, its removal, a new KPI
    for form in forms:
        assert f'name="version" value="{version}"' in form
    assert csrf_token(client, plan_url(planning_case))


def test_review_cadence_is_chosen_in_the_plan_editor(client, auth, session, people):
    from tests.workflow_helpers import new_case, walk_to
    from workflow.plans import plan_for

    case = new_case(session, people["requester"])
    walk_to(session, case, "planning_plan", people)
    auth.login(people["requester"])
    url = f"/cases/{case.id}/plan"
    page = client.get(url).get_data(as_text=True)
    assert "KPI評価の頻度" in page
    auth.post(url, {"section": "plan", "version": case.version, "review_cadence": "quarterly"})
    session.expire_all()
    assert plan_for(session, case).review_cadence == "quarterly"
