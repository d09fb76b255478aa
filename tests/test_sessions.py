"""Sessions live server-side, so they can be revoked (issue 10 §2).

* A cookie copied before ``POST /logout`` redirects to sign-in afterwards, in this app
  process and in another one sharing the database.
* A password change ends the user's other sessions (this browser stays signed in); a role
  change, deactivation and an administrator's password reset end all of them; "sign out
  everywhere" ends every session including this one.
* The account page lists the user's sessions; an administrator sees them on the user's page
  and can end one or all.
* Every end is a ``session_end`` audit event naming the session, the reason and the actor.
* A session older than the session lifetime is refused even if its cookie is replayed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, AuthActions, csrf_token
from workflow.models import AuditEvent, User, UserSession

NEW_PASSWORD = "Tsukimi-dango-2026"  # noqa: S105


def _signed_in(app, user):
    """A fresh client signed in as ``user`` (a browser of its own)."""
    client = app.test_client()
    response = AuthActions(client).login(user)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _cookie(client, app) -> str:
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def _replay(app, cookie: str, url: str = "/account"):
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return thief.get(url)


def _is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _ends(session, reason: str | None = None) -> list[AuditEvent]:
    session.expire_all()
    events = session.scalars(select(AuditEvent).where(AuditEvent.kind == "session_end")).all()
    return [e for e in events if reason is None or e.data["reason"] == reason]


def test_a_cookie_copied_before_logout_is_refused_after_it(app, session, people):
    client = _signed_in(app, people["requester"])
    copied = _cookie(client, app)
    assert _replay(app, copied).status_code == 200  # the copy works while the session lives
    AuthActions(client).logout()
    assert _is_sign_in_redirect(_replay(app, copied))
    [event] = _ends(session, "logout")
    assert event.actor_id == people["requester"].id
    assert event.data["target"] == people["requester"].email


def test_logout_in_one_app_process_ends_the_session_in_another(app, db_url, instance_dir,
                                                               session, people):
    from web import create_app

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url,
                        "SECRET_KEY": "test-secret-key", "DXFLOW_INSTANCE_DIR": str(instance_dir)})
    try:
        client = _signed_in(app, people["office"])
        copied = _cookie(client, app)
        assert _replay(other, copied).status_code == 200
        AuthActions(client).logout()
        assert _is_sign_in_redirect(_replay(other, copied))
    finally:
        with other.app_context():
            from web.extensions import db
            db.session.remove()
            db.engine.dispose()


def test_changing_the_password_ends_the_other_sessions_only(app, session, people):
    user = people["requester"]
    here, elsewhere = _signed_in(app, user), _signed_in(app, user)
    response = AuthActions(here).post("/account", {
        "pw-current": PASSWORD, "pw-new": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD,
        "pw-submit": "1"})
    assert response.status_code == 302
    assert here.get("/account").status_code == 200
    assert _is_sign_in_redirect(elsewhere.get("/account"))
    assert len(_ends(session, "password")) == 1


@pytest.mark.parametrize("change", ["role", "deactivate", "reset_password"])
def test_admin_changes_that_must_sign_the_user_out_everywhere(app, session, people, change):
    target = people["requester"]
    victim = _signed_in(app, target)
    admin = AuthActions(_signed_in(app, people["admin"]))
    url = f"/admin/users/{target.id}"
    if change == "role":
        response = admin.post(url, {"name": target.name, "role": "expert", "department_id": "",
                                    "language": "ja"})
    elif change == "deactivate":
        response = admin.post(f"{url}/deactivate", form_url=url)
    else:
        response = admin.post(f"{url}/reset-password", form_url=url)
    assert response.status_code in (200, 302)
    assert _is_sign_in_redirect(victim.get("/account"))
    reason = {"role": "role", "deactivate": "deactivated", "reset_password": "password_reset"}
    [event] = _ends(session, reason[change])
    assert event.actor_id == people["admin"].id


def test_a_profile_edit_without_a_role_change_keeps_the_sessions(app, session, people):
    target = people["requester"]
    victim = _signed_in(app, target)
    admin = AuthActions(_signed_in(app, people["admin"]))
    session.refresh(target)
    admin.post(f"/admin/users/{target.id}", {
        "name": "新しい名前", "role": target.role, "department_id": str(target.department_id),
        "language": "en"})
    assert victim.get("/account").status_code == 200
    assert _ends(session) == []


def test_sign_out_everywhere_ends_every_session_including_this_one(app, session, people):
    user = people["executive"]
    first, second, third = (_signed_in(app, user) for _ in range(3))
    html = first.get("/account").get_data(as_text=True)
    assert html.count("<tr>") >= 4 and "この端末" in html  # header + three sessions
    response = AuthActions(first).post("/account/sign-out-everywhere", form_url="/account")
    assert _is_sign_in_redirect(response)
    for client in (first, second, third):
        assert _is_sign_in_redirect(client.get("/account"))
    assert len(_ends(session, "everywhere")) == 3


def test_an_admin_sees_a_users_sessions_and_ends_one(app, session, people):
    target = people["dept_manager"]
    kept, ended = _signed_in(app, target), _signed_in(app, target)
    admin_client = _signed_in(app, people["admin"])
    page = admin_client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "ログイン中のセッション" in page
    rows = session.scalars(select(UserSession).where(UserSession.user_id == target.id)
                           .order_by(UserSession.id)).all()
    assert len(rows) == 2
    assert all(f"/admin/users/{target.id}/sessions/{r.id}/end" in page for r in rows)
    response = AuthActions(admin_client).post(
        f"/admin/users/{target.id}/sessions/{rows[1].id}/end", form_url=f"/admin/users/{target.id}")
    assert response.status_code == 302
    assert kept.get("/account").status_code == 200
    assert _is_sign_in_redirect(ended.get("/account"))
    [event] = _ends(session, "admin")
    assert event.data["session"] == rows[1].id and event.actor_id == people["admin"].id


def test_an_admin_ends_all_of_a_users_sessions(app, session, people):
    target = people["office_lead"]
    clients = [_signed_in(app, target) for _ in range(2)]
    admin = AuthActions(_signed_in(app, people["admin"]))
    admin.post(f"/admin/users/{target.id}/sessions/end", form_url=f"/admin/users/{target.id}")
    assert all(_is_sign_in_redirect(c.get("/account")) for c in clients)
    assert len(_ends(session, "admin")) == 2


def test_an_admin_cannot_end_another_users_session_through_a_wrong_url(app, session, people):
    _signed_in(app, people["requester"])
    row = session.scalar(select(UserSession).where(UserSession.user_id == people["requester"].id))
    admin = AuthActions(_signed_in(app, people["admin"]))
    other = people["expert"].id
    response = admin.post(f"/admin/users/{other}/sessions/{row.id}/end",
                          form_url=f"/admin/users/{other}")
    assert response.status_code == 404
    assert _ends(session) == []


def test_a_session_older_than_its_lifetime_is_refused(app, session, people):
    client = _signed_in(app, people["expert"])
    row = session.scalar(select(UserSession).where(UserSession.user_id == people["expert"].id))
    row.created_at -= app.permanent_session_lifetime + timedelta(minutes=1)
    session.commit()
    assert _is_sign_in_redirect(client.get("/account"))


def test_the_cookie_holds_a_token_and_the_database_only_its_hash(app, session, people):
    client = _signed_in(app, people["requester"])
    with client.session_transaction() as cookie_session:
        token = cookie_session["_sid"]
    row = session.scalar(select(UserSession).where(UserSession.user_id == people["requester"].id))
    assert token not in row.token_hash and len(row.token_hash) == 64
    assert row.ip == "127.0.0.1"


def test_deactivated_users_sessions_stay_ended_after_reactivation(app, session, people):
    target = people["requester"]
    victim = _signed_in(app, target)
    admin = AuthActions(_signed_in(app, people["admin"]))
    url = f"/admin/users/{target.id}"
    admin.post(f"{url}/deactivate", form_url=url)
    admin.post(f"{url}/reactivate", form_url=url)
    session.expire_all()
    assert session.get(User, target.id).active
    assert _is_sign_in_redirect(victim.get("/account"))


def test_csrf_token_still_needed_to_sign_out_everywhere(app, people):
    client = _signed_in(app, people["requester"])
    csrf_token(client, "/account")
    assert client.post("/account/sign-out-everywhere").status_code == 400
    assert client.get("/account").status_code == 200
