"""Managers' review screens, the office overview, the inbox and its e-mail settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.workflow_helpers import new_case, walk_to
from workflow.models import KpiActual, Notification, NotificationPreference, Review

LIVE = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def review(session, people):
    case = new_case(session, people["requester"], title="保育所入所申請のオンライン化")
    walk_to(session, case, "review_monitoring", people, LIVE, satisfy=False)
    return session.scalar(select(Review).where(Review.case_id == case.id, Review.status == "open"))


def test_manager_sees_review_due_and_submits_it_completing_the_case(client, auth, session, people,
                                                                    review):
    auth.login(people["dept_manager"])
    page = client.get("/reviews/").get_data(as_text=True)
    assert "保育所入所申請のオンライン化" in page
    kpi_id = _first_kpi(session, review)
    response = auth.post(f"/reviews/{review.id}", {
        "version": review_case(session, review).version, "assessment": "achieved",
        f"actual-{kpi_id}": "３１０", "comment": "目標を上回った", "next_actions": "他区へ横展開",
        "outcome": "complete"})
    assert response.status_code == 302
    session.expire_all()
    assert review_case(session, review).state == "closed_completed"
    actual = session.scalar(select(KpiActual).where(KpiActual.kpi_id == kpi_id))
    assert actual.value == 310 and actual.fiscal_year == review.fiscal_year


def test_bad_actual_is_refused_with_a_japanese_message(client, auth, session, people, review):
    auth.login(people["dept_manager"])
    kpi_id = _first_kpi(session, review)
    response = auth.post(f"/reviews/{review.id}", {
        "version": review_case(session, review).version, "assessment": "behind",
        f"actual-{kpi_id}": "たくさん"}, follow_redirects=True)
    assert "数値で入力してください" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Review, review.id).status == "open"


def test_requester_may_read_but_not_submit(client, auth, session, people, review):
    auth.login(people["requester"])
    assert client.get(f"/reviews/{review.id}").status_code == 200
    response = auth.post(f"/reviews/{review.id}", {"version": 1, "assessment": "achieved"},
                         form_url=f"/reviews/{review.id}")
    assert response.status_code == 403


def test_other_bureau_cannot_see_the_review(client, auth, make_user, review):
    auth.login(make_user("dept_manager", "finance"))
    assert client.get(f"/reviews/{review.id}").status_code == 404


def test_office_overview_counts_by_bureau(client, auth, people, review):
    auth.login(people["office"])
    page = client.get("/reviews/overview").get_data(as_text=True)
    assert "福祉局" in page


def test_inbox_gets_transition_news_and_marks_read(client, auth, session, people):
    case = new_case(session, people["requester"])
    walk_to(session, case, "consultation_study", people, LIVE, satisfy=False)
    auth.login(people["requester"])
    header = client.get("/inbox/").get_data(as_text=True)
    assert 'class="count"' in header
    note = session.scalar(select(Notification).where(
        Notification.recipient_id == people["requester"].id, Notification.channel == "inbox",
        Notification.subject.contains("提案を送る")))
    assert note is not None
    response = auth.post(f"/inbox/{note.id}/open", form_url="/inbox/")
    assert response.status_code == 302 and f"/cases/{case.id}" in response.headers["Location"]
    session.expire_all()
    assert session.get(Notification, note.id).read_at is not None


def test_someone_elses_message_is_not_found(client, auth, session, people):
    case = new_case(session, people["requester"])
    walk_to(session, case, "consultation_submitted", people, LIVE, satisfy=False)
    note = session.scalar(select(Notification).where(Notification.channel == "inbox"))
    auth.login(people["requester"])
    assert auth.post(f"/inbox/{note.id}/open", form_url="/inbox/").status_code == 404


def test_email_settings_are_saved(client, auth, session, people):
    auth.login(people["dept_manager"])
    auth.post("/inbox/settings", {"email_reminders": "1", "email-review_due": "1"})
    prefs = {p.reason: p.email for p in session.scalars(select(NotificationPreference))}
    assert prefs["review_due"] is True and prefs["review_due_soon"] is False


def test_admin_sees_dead_letters_and_requeues(client, auth, session, people, make_user):
    note = Notification(recipient_id=people["dept_manager"].id, channel="email",
                        reason="review_due", object_type="review", object_id=1, dedupe_key="x",
                        subject="件名", body="本文", status="dead", attempts=6,
                        last_error="SMTP: refused")
    session.add(note)
    session.commit()
    auth.login(people["admin"])
    assert "SMTP: refused" in client.get("/inbox/dead-letters").get_data(as_text=True)
    auth.post(f"/inbox/dead-letters/{note.id}/retry", form_url="/inbox/dead-letters")
    session.expire_all()
    assert session.get(Notification, note.id).status == "pending"


def review_case(session, review):
    from workflow.models import Case

    return session.get(Case, review.case_id)


def _first_kpi(session, review):
    from workflow.plans import plan_for

    return plan_for(session, review_case(session, review)).kpis[0].id
