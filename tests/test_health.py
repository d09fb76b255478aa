"""/healthz for operations: database, scheduler heartbeats, outbox backlog."""

from datetime import timedelta

from notifications.sweeps import heartbeat
from workflow.models import Notification, utcnow


def test_healthz_reports_a_stopped_scheduler_as_degraded(client):
    body = client.get("/healthz").get_json()
    assert body["database"]["ok"] is True
    assert body["status"] == "degraded"
    assert body["scheduler"]["outbox"]["stale"] is True


def test_healthz_ok_with_fresh_heartbeats_and_counts_backlog(client, session, people):
    now = utcnow()
    for job in ("outbox", "reviews", "stale_work"):
        heartbeat(session, job, now - timedelta(seconds=30), "ok")
    session.add(Notification(recipient_id=people["office"].id, channel="email", reason="transition",
                             object_type="case", object_id=1, dedupe_key="k1", subject="s",
                             body="b"))
    session.commit()
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["outbox"] == {"pending": 1, "dead": 0}
    assert 25 <= body["scheduler"]["reviews"]["last_run_age_s"] <= 120
