"""The app boots, signs people in and shows a case to its bureau."""

from workflow.cases import create_case


def test_login_page_is_japanese_with_security_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "ログイン" in response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_requester_signs_in_and_sees_own_case(client, auth, session, people):
    case = create_case(session, people["requester"], {"title": "窓口予約のオンライン化"})
    response = auth.login(people["requester"])
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200
    assert "窓口予約のオンライン化" in page.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, auth, people):
    auth.login(people["requester"])
    response = client.post("/cases/new", data={"title": "x"})
    assert response.status_code == 400
