"""REST API v1: the same access rules as the UI, optimistic locking, problem+json errors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.api_helpers import PROBLEM_JSON, ApiClient, assert_problem, token_for
from tests.conftest import department
from tests.workflow_helpers import NOW, PROPOSAL, new_case, submit_review, walk_to
from workflow.fiscal import fiscal_year
from workflow.models import AuditEvent, Case, Comment, KpiActual, Review, utcnow
from workflow.office import add_supporter
from workflow.plans import plan_for


@pytest.fixture
def as_role(client, session, people):
    """An API client acting as the ``people`` user of a role."""
    made = {}

    def get(role: str) -> ApiClient:
        if role not in made:
            made[role] = ApiClient(client, token_for(session, people[role]))
        return made[role]

    return get


def reload(session, case) -> Case:
    session.expire_all()
    return session.get(Case, case.id)


# --- authentication -------------------------------------------------------------------------

def test_a_request_without_a_token_is_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/cases")
    body = assert_problem(response, 401, "Bearer")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert body["type"].endswith("/api/v1/problems/invalid_token")


@pytest.mark.parametrize("token", ["nonsense", "dxf_1_" + "x" * 43, "dxf_99999_" + "y" * 43])
def test_a_malformed_or_unknown_token_is_401(client, token):
    response = ApiClient(client, token).get("/api/v1/cases")
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_with_a_wrong_secret_is_401(client, session, people):
    good = token_for(session, people["office"])
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert_problem(ApiClient(client, forged).get("/api/v1/cases"), 401)
    assert ApiClient(client, good).get("/api/v1/cases").status_code == 200


def test_a_revoked_token_is_401(client, session, people):
    from workflow.people.tokens import create_token, revoke_token

    token, secret = create_token(session, people["requester"], "マクロ")
    api = ApiClient(client, secret)
    assert api.get("/api/v1/cases").status_code == 200
    revoke_token(session, token, people["requester"])
    assert_problem(api.get("/api/v1/cases"), 401, "無効")


def test_an_expired_token_is_401(client, session, people):
    secret = token_for(session, people["requester"], expires_in_days=1,
                       now=utcnow() - timedelta(days=2))
    assert_problem(ApiClient(client, secret).get("/api/v1/cases"), 401, "有効期限")


def test_a_deactivated_users_token_is_401(client, session, people):
    secret = token_for(session, people["requester"])
    people["requester"].active = False
    session.commit()
    assert_problem(ApiClient(client, secret).get("/api/v1/cases"), 401)


def test_a_signed_in_browser_session_gives_no_access_to_the_api(client, auth, people):
    auth.login(people["office"])
    assert client.get("/account").status_code == 200  # the session works for pages
    response = client.get("/api/v1/cases")
    assert_problem(response, 401)
    assert "Set-Cookie" not in response.headers


def test_a_remember_me_cookie_gives_no_access_to_the_api(app, client, people):
    from flask_login.utils import encode_cookie

    with app.test_request_context():
        cookie = encode_cookie(str(people["office"].id))
    client.set_cookie("remember_token", cookie)
    # Pages need a live server-side session: a remember cookie alone signs nothing in.
    assert client.get("/account").status_code == 302
    client.delete_cookie("session")
    assert_problem(client.get("/api/v1/cases"), 401)


def test_the_api_needs_no_csrf_token_but_a_bearer_token(client, session, people):
    api = ApiClient(client, token_for(session, people["requester"]))
    response = api.post("/api/v1/cases", json={"title": "APIから登録した相談"})
    assert response.status_code == 201, response.get_json()
    assert "Set-Cookie" not in response.headers
    case = session.scalar(select(Case).where(Case.title == "APIから登録した相談"))
    assert case.state == "draft" and case.requester_id == people["requester"].id
    event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id))
    assert event.kind == "created" and event.data == {"via": "api"}
    assert response.headers["Location"] == f"/api/v1/cases/{case.id}"


def test_a_valid_token_stamps_its_last_use(client, session, people):
    from workflow.people.tokens import create_token

    token, secret = create_token(session, people["office"], "集計")
    assert token.last_used_at is None
    ApiClient(client, secret).get("/api/v1/cases")
    session.expire_all()
    assert token.last_used_at is not None


# --- cases: list, filters, pages ------------------------------------------------------------

def test_list_pages_through_the_bureaus_cases_with_links(as_role, session, people, make_user):
    for n in range(23):
        new_case(session, people["requester"], title=f"福祉の相談{n:02d}")
    new_case(session, make_user("requester", "kita"), title="北区の相談")
    api = as_role("requester")

    first = api.get("/api/v1/cases?per_page=10").get_json()
    assert (first["total"], first["pages"], first["page"], len(first["items"])) == (23, 3, 1, 10)
    assert first["links"]["prev"] is None
    second = api.get(first["links"]["next"]).get_json()
    assert second["page"] == 2 and second["links"]["prev"] == first["links"]["self"]
    third = api.get(second["links"]["next"])
    assert 'rel="first"' in third.headers["Link"]
    last = third.get_json()
    assert len(last["items"]) == 3 and last["links"]["next"] is None
    titles = {c["title"] for page in (first, second, last) for c in page["items"]}
    assert len(titles) == 23 and "北区の相談" not in titles


def test_list_filters_by_state_phase_department_fiscal_year_and_words(
        as_role, session, people, make_user):
    walk_to(session, new_case(session, people["requester"], title="窓口のオンライン化"),
            "consultation_hearing", people)
    new_case(session, people["requester"], title="下書きの相談")
    kita_requester = make_user("requester", "kita")
    kita = new_case(session, kita_requester, title="北区の相談")
    walk_to(session, kita, "consultation_submitted", {**people, "requester": kita_requester})
    api = as_role("office")

    def titles(query: str) -> set[str]:
        response = api.get(f"/api/v1/cases?{query}")
        assert response.status_code == 200, response.get_json()
        return {c["title"] for c in response.get_json()["items"]}

    assert titles("") == {"窓口のオンライン化", "北区の相談"}  # drafts stay with the bureau
    assert titles("state=consultation_hearing") == {"窓口のオンライン化"}
    assert titles("phase=consultation") == {"窓口のオンライン化", "北区の相談"}
    assert titles("department=kita") == {"北区の相談"}
    assert titles(f"department={department(session, 'kita').id}") == {"北区の相談"}
    assert titles(f"fiscal_year={fiscal_year(NOW)}") == {"窓口のオンライン化", "北区の相談"}
    assert titles(f"fiscal_year={fiscal_year(NOW) + 1}") == set()
    assert titles("q=オンライン") == {"窓口のオンライン化"}


def test_bad_filters_are_422_naming_each_parameter(as_role):
    response = as_role("office").get("/api/v1/cases?state=flying&page=0&per_page=500"
                                     "&department=atlantis&fiscal_year=abc")
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"state", "page", "per_page", "department", "fiscal_year"}
    assert all(e[0]["message"] for e in body["errors"].values())


# --- cases: one, create, change -------------------------------------------------------------

def test_another_bureaus_case_is_404_everywhere(client, session, people, make_user):
    kita_requester = make_user("requester", "kita")
    case = walk_to(session, new_case(session, kita_requester), "consultation_hearing",
                   {**people, "requester": kita_requester})
    api = ApiClient(client, token_for(session, people["requester"]))  # welfare
    base = f"/api/v1/cases/{case.id}"
    for path in (base, f"{base}/transitions", f"{base}/events", f"{base}/comments",
                 f"{base}/kpis"):
        assert_problem(api.get(path), 404)
    assert_problem(api.patch(base, json={"title": "x", "expected_version": case.version}), 404)
    assert_problem(api.post(f"{base}/transitions/withdraw",
                            json={"comment": "取り下げ", "expected_version": case.version}), 404)
    assert_problem(api.post(f"{base}/comments", json={"body": "見えますか"}), 404)
    assert reload(session, case).state == "consultation_hearing"
    # ...and the same URL answers for the case's own bureau.
    assert ApiClient(client, token_for(session, kita_requester)).get(base).status_code == 200


def test_a_draft_is_invisible_to_the_office_as_in_the_ui(as_role, session, people):
    draft = new_case(session, people["requester"])
    assert_problem(as_role("office").get(f"/api/v1/cases/{draft.id}"), 404)
    assert as_role("requester").get(f"/api/v1/cases/{draft.id}").status_code == 200


def test_get_a_case_shows_its_fields_version_and_links(as_role, session, people):
    case = walk_to(session, new_case(session, people["requester"]), "consultation_hearing", people)
    body = as_role("office").get(f"/api/v1/cases/{case.id}").get_json()
    assert body["number"] == case.number and body["state"] == "consultation_hearing"
    assert body["phase"] == "consultation" and body["state_label"] == "相談：ヒアリング"
    assert body["version"] == reload(session, case).version
    assert body["department"]["code"] == "welfare"
    assert body["assignee"]["id"] == people["office"].id
    assert body["links"]["transitions"] == f"/api/v1/cases/{case.id}/transitions"


def test_create_case_validation_errors_are_422_per_field(as_role, session):
    response = as_role("requester").post("/api/v1/cases", json={
        "title": "  ", "priority": "someday", "values": ["service", 3], "colour": "blue"})
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"values", "colour"}  # types first: nothing reached the domain
    response = as_role("requester").post("/api/v1/cases", json={
        "title": "  ", "priority": "someday", "category": "space"})
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"title", "priority", "category"}
    assert body["errors"]["title"][0]["message"] == "件名を入力してください"
    assert session.scalar(select(Case.id)) is None


def test_only_creators_may_create_and_bureau_staff_only_for_their_bureau(as_role, session):
    assert_problem(as_role("dept_manager").post("/api/v1/cases", json={"title": "x"}), 403)
    assert_problem(as_role("executive").post("/api/v1/cases", json={"title": "x"}), 403)
    kita = department(session, "kita").id
    assert_problem(as_role("requester").post("/api/v1/cases",
                                             json={"title": "x", "department_id": kita}), 403)
    assert_problem(as_role("office").post("/api/v1/cases", json={"title": "x"}), 422)
    created = as_role("office").post("/api/v1/cases", json={"title": "代理登録",
                                                            "department_id": kita})
    assert created.status_code == 201 and created.get_json()["department"]["code"] == "kita"


def test_patch_changes_fields_with_the_version_read(as_role, session, people):
    case = new_case(session, people["requester"])
    api = as_role("requester")
    response = api.patch(f"/api/v1/cases/{case.id}", json={
        "title": "窓口手続のオンライン化（改）", "expected_version": case.version})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == case.version + 1
    stored = reload(session, case)
    assert stored.title == "窓口手続のオンライン化（改）"
    assert session.scalar(select(AuditEvent.kind).where(AuditEvent.case_id == case.id)
                          .order_by(AuditEvent.id.desc())) == "updated"


def test_patch_with_a_stale_version_is_409_and_changes_nothing(as_role, session, people):
    case = new_case(session, people["requester"])
    api = as_role("requester")
    old = case.version
    assert api.patch(f"/api/v1/cases/{case.id}",
                     json={"title": "最初の変更", "expected_version": old}).status_code == 200
    response = api.patch(f"/api/v1/cases/{case.id}",
                         json={"title": "古い画面からの変更", "expected_version": old})
    body = assert_problem(response, 409, "他の人")
    assert body["type"].endswith("/problems/stale_version")
    assert reload(session, case).title == "最初の変更"


def test_patch_needs_expected_version(as_role, session, people):
    case = new_case(session, people["requester"])
    body = assert_problem(as_role("requester").patch(f"/api/v1/cases/{case.id}",
                                                     json={"title": "版なし"}), 422)
    assert set(body["errors"]) == {"expected_version"}


def test_patch_is_refused_where_the_ui_refuses_it(as_role, session, people):
    case = walk_to(session, new_case(session, people["requester"]), "planning_as_is", people)
    response = as_role("requester").patch(f"/api/v1/cases/{case.id}", json={
        "title": "後から変更", "expected_version": case.version})
    assert_problem(response, 403)
    response = as_role("executive").patch(f"/api/v1/cases/{case.id}", json={
        "title": "後から変更", "expected_version": case.version})
    assert_problem(response, 403)


# --- transitions ----------------------------------------------------------------------------

def fire(api, case_id: int, trigger: str, version: int, comment: str | None = None):
    return api.post(f"/api/v1/cases/{case_id}/transitions/{trigger}",
                    json={"expected_version": version, "comment": comment})


def test_the_consultation_goes_through_the_api_end_to_end(as_role, session, people):
    requester, office, manager = as_role("requester"), as_role("office"), as_role("dept_manager")
    created = requester.post("/api/v1/cases", json={
        "title": "窓口手続のオンライン化", "description": "申請書の受付を電子化したい",
        "current_problem": "紙の申請書を手入力している", "desired_outcome": "来庁不要にする",
        "category": "service", "values": ["service"]}).get_json()
    case_id, version = created["id"], created["version"]

    offered = requester.get(f"/api/v1/cases/{case_id}/transitions").get_json()
    assert [t["trigger"] for t in offered["items"]] == ["submit"]
    assert offered["items"][0]["allowed"] is True

    step = fire(requester, case_id, "submit", version).get_json()
    assert step["transition"]["to_state"] == "consultation_submitted"
    version = step["case"]["version"]
    # The requester may not accept (role), the office may.
    assert_problem(fire(requester, case_id, "accept", version), 403)
    version = fire(office, case_id, "accept", version).get_json()["case"]["version"]
    version = fire(office, case_id, "draft_proposal", version).get_json()["case"]["version"]

    # send_proposal is offered but blocked until there is a proposal: 422 with the reason.
    options = {t["trigger"]: t for t in
               office.get(f"/api/v1/cases/{case_id}/transitions").get_json()["items"]}
    assert options["send_proposal"]["allowed"] is False
    reasons = options["send_proposal"]["blocked_reasons"]
    body = assert_problem(fire(office, case_id, "send_proposal", version), 422)
    assert body["errors"]["guards"] == reasons and body["type"].endswith("/guard_failed")
    version = office.patch(f"/api/v1/cases/{case_id}", json={
        "proposal_text": PROPOSAL, "expected_version": version}).get_json()["version"]
    version = fire(office, case_id, "send_proposal", version).get_json()["case"]["version"]

    # The manager decides with a stale version first (409), then with the right one.
    assert_problem(fire(manager, case_id, "decide_go", version - 1), 409)
    result = fire(manager, case_id, "decide_go", version, "進めます").get_json()
    assert result["case"]["state"] == "planning_as_is"
    assert result["case"]["phase"] == "planning"

    events = requester.get(f"/api/v1/cases/{case_id}/events").get_json()["items"]
    moves = [(e["trigger"], e["to_state"]) for e in events if e["kind"] == "transition"]
    assert moves == [("submit", "consultation_submitted"), ("accept", "consultation_hearing"),
                     ("draft_proposal", "consultation_proposing"),
                     ("send_proposal", "consultation_study"), ("decide_go", "planning_as_is")]
    decided = events[-1]
    assert decided["actor"]["id"] == people["dept_manager"].id
    assert decided["comment"] == "進めます" and decided["data"] == {"via": "api"}
    assert reload(session, session.get(Case, case_id)).state == "planning_as_is"


def test_transition_errors_each_have_their_status(as_role, session, people):
    case = walk_to(session, new_case(session, people["requester"]), "consultation_submitted",
                   people)
    office = as_role("office")
    assert_problem(fire(office, case.id, "teleport", case.version), 404)
    body = assert_problem(fire(office, case.id, "decide_go", case.version), 403)
    assert body["type"].endswith("/forbidden")
    body = assert_problem(fire(office, case.id, "go_live", case.version), 409)
    assert body["type"].endswith("/not_allowed_in_state")
    body = assert_problem(fire(office, case.id, "send_back", case.version), 422, "コメント")
    assert [r["code"] for r in body["errors"]["guards"]] == ["comment_required"]
    assert_problem(as_role("executive").post(
        f"/api/v1/cases/{case.id}/transitions/hold", json={"expected_version": case.version}), 403)
    missing = assert_problem(office.post(f"/api/v1/cases/{case.id}/transitions/hold",
                                         json={"comment": "保留"}), 422)
    assert set(missing["errors"]) == {"expected_version"}
    assert reload(session, case).state == "consultation_submitted"


def test_read_only_roles_are_offered_no_transitions(as_role, session, people):
    case = walk_to(session, new_case(session, people["requester"]), "consultation_submitted",
                   people)
    body = as_role("executive").get(f"/api/v1/cases/{case.id}/transitions").get_json()
    assert body["items"] == [] and body["state"] == "consultation_submitted"


# --- comments -------------------------------------------------------------------------------

def test_comments_are_read_and_written_through_the_domain(as_role, session, people):
    case = walk_to(session, new_case(session, people["requester"]), "consultation_hearing", people)
    response = as_role("office").post(f"/api/v1/cases/{case.id}/comments",
                                      json={"body": "**ヒアリング**の日程を調整します"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["author"]["id"] == people["office"].id
    assert session.scalar(select(Comment.body).where(Comment.case_id == case.id)) == \
        "**ヒアリング**の日程を調整します"
    listed = as_role("requester").get(f"/api/v1/cases/{case.id}/comments").get_json()["items"]
    assert [c["body"] for c in listed] == ["**ヒアリング**の日程を調整します"]
    assert_problem(as_role("office").post(f"/api/v1/cases/{case.id}/comments",
                                          json={"body": "   "}), 422)
    assert_problem(as_role("executive").post(f"/api/v1/cases/{case.id}/comments",
                                             json={"body": "閲覧のみ"}), 403)


@pytest.mark.parametrize(("role", "status"), [("requester", 422), ("dept_manager", 422),
                                            ("office", 201), ("expert", 201)])
def test_only_experts_and_the_office_post_external_advice(as_role, session, people, role,
                                                          status):
    case = walk_to(session, new_case(session, people["requester"]), "consultation_hearing", people)
    if role == "expert":
        add_supporter(session, case, people["office_lead"], kind="expert", user=people["expert"])
    response = as_role(role).post(f"/api/v1/cases/{case.id}/comments",
                                  json={"body": "専門家としての助言です", "kind": "advice"})
    if status == 422:
        problem = assert_problem(response, 422)
        assert "kind" in str(problem), problem
        assert session.scalar(select(Comment.id).where(Comment.case_id == case.id)) is None
    else:
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["kind"] == "advice"


# --- KPIs and actuals -----------------------------------------------------------------------

@pytest.fixture
def live_case(session, people):
    """A case in KPI review whose plan has one KPI with a target for this fiscal year."""
    return walk_to(session, new_case(session, people["requester"]), "review_monitoring", people,
                   satisfy=False)


def test_kpis_show_the_plan_with_targets_and_actuals(as_role, session, live_case):
    body = as_role("executive").get(f"/api/v1/cases/{live_case.id}/kpis").get_json()
    assert body["plan"]["kgi"].startswith("2030年度までに")
    assert body["plan"]["approved_at"] is not None
    (kpi,) = body["kpis"]
    assert kpi["name"] == "オンライン化する手続き数" and kpi["baseline"] == 120
    assert kpi["targets"] == [{
        "fiscal_year": fiscal_year(NOW), "value": 300, "text": "", "original_value": 300,
        "original_text": "", "revised": False, "revised_at": None}]
    assert kpi["actuals"] == []


def test_recording_an_actual_bumps_the_version_and_is_audited(as_role, session, live_case):
    kpi = plan_for(session, live_case).kpis[0]
    fy = fiscal_year(NOW)
    url = f"/api/v1/cases/{live_case.id}/kpis/{kpi.id}/actuals/{fy}"
    version = live_case.version
    response = as_role("dept_manager").put(url, json={"value": 180.5, "text": "上半期",
                                                      "expected_version": version})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["case_version"] == version + 1
    assert body["kpi"]["actuals"][0]["value"] == 180.5
    session.expire_all()
    actual = session.scalar(select(KpiActual).where(KpiActual.kpi_id == kpi.id))
    assert (actual.fiscal_year, actual.value, actual.text) == (fy, Decimal("180.5"), "上半期")
    event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == live_case.id)
                           .order_by(AuditEvent.id.desc()))
    assert event.kind == "plan" and event.data["action"] == "record_actual"

    # An old version is refused and the first figure stays.
    stale = as_role("office").put(url, json={"value": 1, "expected_version": version})
    assert_problem(stale, 409)
    session.expire_all()
    assert session.get(KpiActual, actual.id).value == Decimal("180.5")


def test_recording_an_actual_is_for_planning_roles_on_known_kpis(as_role, session, live_case):
    kpi = plan_for(session, live_case).kpis[0]
    fy = fiscal_year(NOW)
    body = {"value": 5, "expected_version": live_case.version}
    base = f"/api/v1/cases/{live_case.id}/kpis"
    assert_problem(as_role("executive").put(f"{base}/{kpi.id}/actuals/{fy}", json=body), 403)
    assert_problem(as_role("office").put(f"{base}/{kpi.id + 100}/actuals/{fy}", json=body), 404)
    assert_problem(as_role("office").put(f"{base}/{kpi.id}/actuals/1999", json=body), 422)
    empty = assert_problem(as_role("office").put(f"{base}/{kpi.id}/actuals/{fy}",
                                                 json={"expected_version": live_case.version}),
                           422)
    assert set(empty["errors"]) == {"value"}
    assert session.scalar(select(KpiActual.id)) is None


# --- reviews --------------------------------------------------------------------------------

def test_reviews_are_the_users_own_and_of_visible_cases(client, session, people, make_user,
                                                        live_case):
    review = submit_review(session, live_case, people["dept_manager"])
    manager = ApiClient(client, token_for(session, people["dept_manager"]))
    mine = manager.get("/api/v1/reviews").get_json()["items"]
    assert review.id in [r["id"] for r in mine]
    assert {r["case"]["id"] for r in mine} == {live_case.id}
    assert manager.get("/api/v1/reviews?status=submitted").get_json()["items"][0]["id"] == \
        review.id
    assert all(r["status"] == "open" for r in
               manager.get("/api/v1/reviews?status=open").get_json()["items"])
    one = manager.get(f"/api/v1/reviews/{review.id}").get_json()
    assert one["assessment"] == "achieved" and one["owner"]["id"] == people["dept_manager"].id

    # Who may use which: as on the web's review pages.
    executive = ApiClient(client, token_for(session, people["executive"]))
    assert_problem(executive.get("/api/v1/reviews"), 403)
    assert executive.get(f"/api/v1/reviews/{review.id}").status_code == 200
    expert = ApiClient(client, token_for(session, people["expert"]))
    assert_problem(expert.get(f"/api/v1/reviews/{review.id}"), 403)
    other = ApiClient(client, token_for(session, make_user("dept_manager", "kita")))
    assert other.get("/api/v1/reviews").get_json()["items"] == []
    assert_problem(other.get(f"/api/v1/reviews/{review.id}"), 404)
    assert_problem(manager.get("/api/v1/reviews/987654"), 404)
    assert_problem(manager.get("/api/v1/reviews?status=late"), 422)
    assert session.scalar(select(Review.id).where(Review.id == review.id))


# --- errors are problem+json ----------------------------------------------------------------

def test_unknown_routes_wrong_methods_and_bad_bodies_are_problems(as_role, client, session,
                                                                  people):
    api = as_role("requester")
    assert_problem(api.get("/api/v1/nothing-here"), 404)
    assert_problem(client.get("/api/v2/cases"), 404)
    assert_problem(api.get(f"/api/v1/cases/{2**40}"), 404)
    not_allowed = api.client.delete("/api/v1/cases", headers=api._headers(None))
    assert_problem(not_allowed, 405)
    assert set(not_allowed.headers["Allow"].split(", ")) >= {"GET", "POST"}
    case = new_case(session, people["requester"])
    assert_problem(api.patch(f"/api/v1/cases/{case.id}", data="title=x",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
    assert_problem(api.post("/api/v1/cases", data="{not json",
                            headers={"Content-Type": "application/json"}), 400)
    assert_problem(api.post("/api/v1/cases", json=["a", "list"]), 400)


def test_a_body_over_the_size_limit_is_413(app, client, session, people):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    api = ApiClient(client, token_for(session, people["requester"]))
    response = api.post("/api/v1/cases", json={"title": "x", "description": "あ" * 2000})
    assert_problem(response, 413)


def test_an_unexpected_error_is_a_500_problem_without_details(as_role, monkeypatch, session,
                                                             people):
    import web.api.cases

    def broken(_case):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(web.api.cases, "case_json", broken)
    case = new_case(session, people["requester"])
    body = assert_problem(as_role("requester").get(f"/api/v1/cases/{case.id}"), 500)
    assert "fire" not in body["detail"]


def test_problem_types_resolve_to_a_description(client):
    response = client.get("/api/v1/problems/stale_version")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json()["status"] == 409
    assert_problem(client.get("/api/v1/problems/unheard_of"), 404)


def test_messages_follow_the_token_users_language(client, session, make_user):
    english = make_user("requester", language="en")
    api = ApiClient(client, token_for(session, english))
    body = assert_problem(api.post("/api/v1/cases", json={"title": " "}), 422)
    assert body["errors"]["title"][0]["message"] == "Enter a title"
    assert body["title"] == "The input is not valid"


# --- rate limit -----------------------------------------------------------------------------

def test_the_rate_limit_is_per_token_and_answers_429(app, client, session, people):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    first = ApiClient(client, token_for(session, people["requester"]))
    second = ApiClient(client, token_for(session, people["office"]))
    # One budget for the whole API, not one per endpoint.
    assert [first.get(url).status_code for url in
            ("/api/v1/cases", "/api/v1/reviews", "/api/v1/cases")] == [200, 200, 200]
    limited = first.get("/api/v1/reviews")
    assert_problem(limited, 429, "3 per 1 minute")
    assert int(limited.headers["Retry-After"]) > 0
    assert second.get("/api/v1/cases").status_code == 200
    assert limited.mimetype == PROBLEM_JSON
