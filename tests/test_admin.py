"""Administration: users, departments and the audit log, as an administrator sees them."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, department
from tests.workflow_helpers import fire_as, new_case
from workflow import lockouts
from workflow.models import AuditEvent, Department, Substitution, User
from workflow.people.audit import record

NEW_PASSWORD = "Spring-2025-dx"
PASSWORD_ON_PAGE = re.compile(r'class="issued-password">([^<]+)<')


def field_errors(html: str, name: str) -> list[str]:
    """The error messages rendered inside the field block that holds input ``name``."""
    for block in re.findall(r'<div class="field[^"]*has-error[^"]*">(.*?)</div>', html, re.S):
        if f'name="{name}"' in block:
            return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', block)
    return []


def admin_events(session, action: str | None = None, kind: str = "user_admin") -> list[AuditEvent]:
    session.expire_all()
    events = session.scalars(select(AuditEvent).where(AuditEvent.kind == kind)
                             .order_by(AuditEvent.id)).all()
    return [e for e in events if action is None or (e.data or {}).get("action") == action]


def reload(session, obj):
    session.expire_all()
    return session.get(type(obj), obj.id)


@pytest.fixture
def admin(people, auth):
    auth.login(people["admin"])
    return people["admin"]


def new_user_form(**overrides) -> dict:
    data = {"email": "tanaka.hanako@city.example.jp", "name": "田中 花子", "role": "requester",
            "department_id": "", "language": "ja", "password_mode": "manual",
            "password": NEW_PASSWORD}
    data.update(overrides)
    return data


# --- users ------------------------------------------------------------------------------------

def test_admin_creates_a_user_who_can_then_sign_in(client, auth, session, admin):
    welfare = department(session, "welfare")
    response = auth.post("/admin/users/new", new_user_form(department_id=str(welfare.id)))
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "tanaka.hanako@city.example.jp"))
    assert (user.name, user.role, user.department_id) == ("田中 花子", "requester", welfare.id)
    [event] = admin_events(session, "create")
    assert event.actor_id == admin.id
    assert event.data["target"] == user.email

    listing = client.get("/admin/users?q=田中").get_data(as_text=True)
    assert "田中 花子" in listing and "福祉局" in listing

    auth.logout()
    signed_in = auth.login(user, NEW_PASSWORD)
    assert signed_in.status_code == 302 and "/login" not in signed_in.headers["Location"]


def test_a_generated_password_is_shown_once_and_works(client, auth, session, admin):
    response = auth.post("/admin/users/new", new_user_form(
        role="office", email="ofc@city.example.jp", password_mode="generate", password=""),
        form_url="/admin/users/new")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "この画面を離れると二度と表示できません" in html
    password = PASSWORD_ON_PAGE.search(html).group(1)
    user = session.scalar(select(User).where(User.email == "ofc@city.example.jp"))
    # Only the hash is kept: the password appears nowhere else.
    assert password not in (user.password_hash or "")
    assert password not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    auth.logout()
    assert "/login" not in auth.login(user, password).headers["Location"]


@pytest.mark.parametrize("overrides, field, message", [
    ({"email": "not-an-address"}, "email", "メールアドレスの形式が正しくありません"),
    ({"role": "dept_manager", "department_id": ""}, "department_id",
     "部局の職員には所属部局が必要です"),
    ({"password": "short1"}, "password", "パスワードは12文字以上にしてください"),
    ({"password": "password1234"}, "password",
     "よく使われる、または推測されやすいパスワードは使えません"),
    ({"name": ""}, "name", "入力してください"),
])
def test_invalid_new_user_shows_japanese_errors_next_to_fields(auth, session, admin, overrides,
                                                               field, message):
    response = auth.post("/admin/users/new", new_user_form(**overrides))
    assert response.status_code == 200
    assert message in field_errors(response.get_data(as_text=True), field)
    assert session.scalar(select(User).where(User.email == "tanaka.hanako@city.example.jp")) is None


def test_duplicate_email_is_refused_next_to_the_field(auth, people, admin):
    taken = people["requester"].email.upper()
    welfare = str(people["requester"].department_id)
    response = auth.post("/admin/users/new", new_user_form(email=taken, department_id=welfare))
    errors = field_errors(response.get_data(as_text=True), "email")
    assert "このメールアドレスは既に登録されています" in errors


def test_admin_edits_role_department_and_language(auth, session, people, admin):
    user = people["requester"]
    ward = department(session, "kita")
    response = auth.post(f"/admin/users/{user.id}", {
        "name": "北区 担当", "role": "dept_manager", "department_id": str(ward.id),
        "language": "en"})
    assert response.status_code == 302
    user = reload(session, user)
    assert (user.name, user.role, user.department_id, user.language) == \
        ("北区 担当", "dept_manager", ward.id, "en")
    [event] = admin_events(session, "update")
    assert event.data["changes"]["role"] == ["requester", "dept_manager"]
    assert event.data["changes"]["department"] == ["福祉局", "北区"]


def test_admin_cannot_change_own_role(auth, session, admin):
    response = auth.post(f"/admin/users/{admin.id}", {
        "name": admin.name, "role": "office", "department_id": "", "language": "ja"})
    assert "自分自身の役割は変更できません" in field_errors(response.get_data(as_text=True), "role")
    assert reload(session, admin).role == "admin"


def test_deactivated_user_can_no_longer_sign_in(client, auth, session, people, admin):
    user = people["requester"]
    page = f"/admin/users/{user.id}"
    response = auth.post(f"{page}/deactivate", form_url=page)
    assert response.status_code == 302
    assert "ログインできなくなります" in client.get(page).get_data(as_text=True)
    assert reload(session, user).active is False
    [event] = admin_events(session, "deactivate")
    assert (event.actor_id, event.data["target"]) == (admin.id, user.email)

    auth.logout()
    refused = auth.login(user)
    assert refused.status_code == 200
    assert "正しくないか" in refused.get_data(as_text=True)


def test_reactivated_user_signs_in_again(client, auth, session, people, admin):
    user = people["requester"]
    page = f"/admin/users/{user.id}"
    auth.post(f"{page}/deactivate", form_url=page)
    auth.post(f"{page}/reactivate", form_url=page)
    assert reload(session, user).active is True
    assert admin_events(session, "reactivate")
    auth.logout()
    assert auth.login(user).status_code == 302


def test_admin_cannot_deactivate_themself(client, auth, session, admin):
    page = f"/admin/users/{admin.id}"
    assert "自分自身のアカウントは無効にできません" in client.get(page).get_data(as_text=True)
    response = auth.post(f"{page}/deactivate", form_url=page, follow_redirects=True)
    assert "自分自身のアカウントは無効にできません" in response.get_data(as_text=True)
    assert reload(session, admin).active is True
    assert admin_events(session, "deactivate") == []


def test_unlock_lets_a_locked_out_user_sign_in(client, auth, session, people, admin):
    user = people["requester"]
    lockouts.note_failure(session, user, "127.0.0.1", lockouts.Policy(max_failures=1))
    session.commit()
    assert user.email in client.get("/admin/users?status=locked").get_data(as_text=True)
    assert "127.0.0.1" in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    page = f"/admin/users/{user.id}"
    assert auth.post(f"{page}/unlock", form_url=page).status_code == 302
    user = reload(session, user)
    assert lockouts.active_locks(session, user) == []
    assert admin_events(session, "unlock")
    auth.logout()
    assert auth.login(user).status_code == 302


def test_reset_password_replaces_the_old_one(client, auth, session, people, admin):
    user = people["office"]
    page = f"/admin/users/{user.id}"
    response = auth.post(f"{page}/reset-password", form_url=page)
    assert response.status_code == 200
    password = PASSWORD_ON_PAGE.search(response.get_data(as_text=True)).group(1)
    assert admin_events(session, "reset_password")[0].data["target"] == user.email
    auth.logout()
    assert auth.login(user, PASSWORD).status_code == 200  # the old one no longer works
    assert auth.login(user, password).status_code == 302


def test_user_list_filters_by_role_department_and_status(client, session, make_user, admin):
    make_user("requester", "kita", name="北区 一郎")
    make_user("requester", name="福祉 次郎")
    gone = make_user("office", name="異動 三郎")
    gone.active = False
    session.commit()
    kita = department(session, "kita")
    by_dept = client.get(f"/admin/users?department={kita.id}").get_data(as_text=True)
    assert "北区 一郎" in by_dept and "福祉 次郎" not in by_dept
    inactive = client.get("/admin/users?status=inactive").get_data(as_text=True)
    assert "異動 三郎" in inactive and "北区 一郎" not in inactive
    offices = client.get("/admin/users?role=office").get_data(as_text=True)
    assert "異動 三郎" in offices and "福祉 次郎" not in offices
    empty = client.get("/admin/users?q=存在しない人").get_data(as_text=True)
    assert "条件に合うユーザーはいません" in empty


# --- who may use the admin pages -------------------------------------------------------------

def admin_urls(app, session) -> list[tuple[str, str]]:
    """(method, url) for every admin endpoint, generated from the route list."""
    some_user = session.scalar(select(User.id))
    some_dept = session.scalar(select(Department.id))
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        values = {"user_id": some_user, "department_id": some_dept, "session_id": 1}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
        method = "POST" if "POST" in rule.methods and "GET" not in rule.methods else "GET"
        urls.append((method, url))
    return urls


@pytest.mark.parametrize("role", ["requester", "dept_manager", "office", "office_lead", "expert",
                                  "executive"])
def test_other_roles_get_403_on_every_admin_page(app, client, auth, session, people, role):
    auth.login(people[role])
    token = csrf_token(client, "/account")
    urls = admin_urls(app, session)
    assert len(urls) >= 10
    for method, url in urls:
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 403, (method, url)
    assert reload(session, people["admin"]).active is True


def test_signed_out_visitors_are_sent_to_sign_in(app, client, session, people):
    for method, url in admin_urls(app, session):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_a_substitute_for_an_admin_gets_no_admin_pages(client, auth, session, people):
    today = date.today()
    session.add(Substitution(principal_id=people["admin"].id, substitute_id=people["office"].id,
                             starts_on=today - timedelta(days=1),
                             ends_on=today + timedelta(days=1)))
    session.commit()
    auth.login(people["office"])
    assert client.get("/admin/users").status_code == 403


def test_every_admin_page_renders_for_the_admin(app, client, session, people, admin):
    for method, url in admin_urls(app, session):
        if method == "GET":
            assert client.get(url).status_code == 200, url


# --- departments ------------------------------------------------------------------------------

def test_departments_are_listed_by_kind_with_their_liaison(client, session, people, admin):
    kita = department(session, "kita")
    kita.liaison_id = people["office"].id
    session.commit()
    html = client.get("/admin/departments").get_data(as_text=True)
    for heading in ("室", "局", "区役所", "一部事務組合"):
        assert f"<h2>{heading} " in html
    assert "大阪広域環境施設組合" in html
    row = html[html.index(f'id="dept-{kita.id}"'):]
    row = row[:row.index("</tr>")]
    assert f'<option selected value="{people["office"].id}">' in row
    wards = client.get("/admin/departments?kind=ward").get_data(as_text=True)
    assert "北区" in wards and "福祉局" not in wards


def test_admin_edits_a_department_and_its_liaison(client, auth, session, people, admin):
    welfare = department(session, "welfare")
    url = f"/admin/departments/{welfare.id}"
    response = auth.post(url, {"name": "福祉局", "name_en": "Welfare Bureau (renamed)",
                               "active": "y", "liaison_id": str(people["office_lead"].id)})
    assert response.status_code == 302
    welfare = reload(session, welfare)
    assert (welfare.name_en, welfare.liaison_id, welfare.active) == \
        ("Welfare Bureau (renamed)", people["office_lead"].id, True)
    [event] = admin_events(session, "update", kind="department_admin")
    assert event.actor_id == admin.id
    assert event.data["changes"]["liaison"] == [None, people["office_lead"].name]


def test_liaison_must_be_digital_office_staff(auth, session, people, admin):
    welfare = department(session, "welfare")
    url = f"/admin/departments/{welfare.id}"
    # A requester is not offered; posting their id anyway is refused next to the field.
    response = auth.post(url, {"name": "福祉局", "name_en": "", "active": "y",
                               "liaison_id": str(people["requester"].id)})
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "liaison_id")
    assert reload(session, welfare).liaison_id is None


def test_quick_liaison_picker_on_the_list(auth, session, people, admin):
    kita = department(session, "kita")
    response = auth.post(f"/admin/departments/{kita.id}/liaison",
                         {f"d{kita.id}-liaison_id": str(people["office"].id)},
                         form_url="/admin/departments")
    assert response.status_code == 302
    assert reload(session, kita).liaison_id == people["office"].id
    assert admin_events(session, "update", kind="department_admin")


def test_department_name_clash_then_deactivation(auth, session, admin):
    welfare = department(session, "welfare")
    url = f"/admin/departments/{welfare.id}"
    clash = auth.post(url, {"name": "健康局", "name_en": "", "liaison_id": ""})
    assert "この名称の部局は既にあります" in field_errors(clash.get_data(as_text=True), "name")
    auth.post(url, {"name": "福祉局", "name_en": "Welfare Bureau", "liaison_id": ""})
    assert reload(session, welfare).active is False


def test_admin_adds_a_department_with_a_unique_code(client, auth, session, admin):
    response = auth.post("/admin/departments/new", {
        "code": "digital_promotion", "kind": "bureau", "name": "デジタル推進局",
        "name_en": "Digital Promotion Bureau"})
    assert response.status_code == 302
    created = session.scalar(select(Department).where(Department.code == "digital_promotion"))
    assert (created.kind, created.name) == ("bureau", "デジタル推進局")
    [event] = admin_events(session, "create", kind="department_admin")
    assert event.data["code"] == "digital_promotion"
    duplicate = auth.post("/admin/departments/new", {
        "code": "welfare", "kind": "bureau", "name": "別の局", "name_en": ""})
    errors = field_errors(duplicate.get_data(as_text=True), "code")
    assert "このコードは既に使われています" in errors
    bad = auth.post("/admin/departments/new", {"code": "福祉", "kind": "ward", "name": "x区"})
    assert field_errors(bad.get_data(as_text=True), "code")


# --- the audit log ----------------------------------------------------------------------------

def at(day: str, hour: int, minute: int = 0) -> datetime:
    """A UTC timestamp from Tokyo wall-clock time."""
    y, m, d = map(int, day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=UTC) - timedelta(hours=9)


@pytest.fixture
def logged(session, people):
    """A few events at known Tokyo times."""
    record(session, "login", people["requester"], data={"ip": "10.0.0.1"},
           now=at("2025-06-01", 23, 50))
    record(session, "login", people["office"], data={"ip": "10.0.0.2"},
           now=at("2025-06-02", 0, 10))
    record(session, "login_failed", None, data={"email": "=cmd|' /C calc'!A0", "ip": "10.0.0.9",
                                                "locked": False}, now=at("2025-06-02", 9, 0))
    record(session, "password", people["office"], now=at("2025-06-03", 12, 0))
    session.commit()


def audit_rows(html: str) -> list[str]:
    body = html[html.index("<tbody>"):html.index("</tbody>")] if "<tbody>" in html else ""
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_audit_log_filters_by_kind(client, people, logged, admin):
    html = client.get("/admin/audit?kind=login").get_data(as_text=True)
    rows = audit_rows(html)
    # admin's own sign-in (today) plus the two seeded ones
    assert len(rows) == 3
    assert all("ログインしました" in r for r in rows)
    assert "10.0.0.2" in html and "10.0.0.9" not in html


def test_audit_log_filters_by_tokyo_dates(client, people, logged, admin):
    # 2025-06-02 00:10 JST is 2025-06-01 15:10 UTC: it belongs to June 2nd in Tokyo.
    html = client.get("/admin/audit?date_from=2025-06-02&date_to=2025-06-02").get_data(as_text=True)
    rows = audit_rows(html)
    assert len(rows) == 2
    assert "10.0.0.2" in html and "10.0.0.9" in html and "10.0.0.1" not in html
    bad = client.get("/admin/audit?date_from=6月2日").get_data(as_text=True)
    assert "日付は 2025-04-01 の形で入力してください" in bad


def test_audit_log_filters_by_actor_and_shows_newest_first(client, people, logged, admin):
    html = client.get(f"/admin/audit?actor={people['office'].email}").get_data(as_text=True)
    rows = audit_rows(html)
    assert len(rows) == 2
    assert "自分のパスワードを変更しました" in rows[0] and "ログインしました" in rows[1]


def test_audit_log_shows_transitions_with_case_and_substitute(client, session, people, admin):
    case = new_case(session, people["requester"])
    fire_as(session, case, "submit", people["requester"])
    stand_in = people["office"]
    fire_as(session, case, "accept", stand_in, on_behalf_of=people["office_lead"])
    html = client.get(f"/admin/audit?kind=transition&case={case.number}").get_data(as_text=True)
    rows = audit_rows(html)
    assert len(rows) == 2
    newest = rows[0]
    assert f'href="/cases/{case.id}"' in newest and case.number in newest
    assert stand_in.name in newest and f"{people['office_lead'].name} さんの代理" in newest
    assert "badge phase-consultation" in newest and "→" in newest


def test_audit_log_empty_state(client, admin):
    html = client.get("/admin/audit?kind=department_admin").get_data(as_text=True)
    assert "条件に合う記録はありません" in html


def test_csv_has_a_bom_and_only_the_filtered_rows(client, people, logged, admin):
    response = client.get("/admin/audit.csv?date_from=2025-06-02&date_to=2025-06-02")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "日時（日本時間）"
    body = rows[1:]
    assert [r[2] for r in body] == ["login_failed", "login"]
    assert body[1][0] == "2025-06-02 00:10:00"
    assert body[1][3] == people["office"].name


def test_csv_cells_never_start_a_formula(client, session, make_user, admin):
    prankster = make_user("requester", name="=HYPERLINK(\"http://evil\")")
    record(session, "login", prankster)
    session.commit()
    rows = list(csv.reader(io.StringIO(
        client.get("/admin/audit.csv?kind=login").get_data().decode("utf-8-sig"))))
    names = [r[3] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://evil\")" in names
    assert all(not cell.startswith("=") for row in rows for cell in row)


def test_csv_guards_full_width_and_blank_led_formulas(client, session, make_user, admin):
    record(session, "login", make_user("requester", name="＝1+1"))
    record(session, "login", make_user("requester", name="\u3000@SUM(A1)"))
    session.commit()
    rows = list(csv.reader(io.StringIO(
        client.get("/admin/audit.csv?kind=login").get_data().decode("utf-8-sig"))))
    names = {r[3] for r in rows[1:]}
    assert {"'＝1+1", "'\u3000@SUM(A1)"} <= names


def test_csv_follows_the_kind_filter(client, people, logged, admin):
    rows = list(csv.reader(io.StringIO(
        client.get("/admin/audit.csv?kind=password").get_data().decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][2] == "password"
