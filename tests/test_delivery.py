"""Delivery over a real SMTP server (aiosmtpd on loopback) and a local webhook receiver."""

from __future__ import annotations

import email
import json
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from icalendar import Calendar
from sqlalchemy import select

from notifications.dispatcher import flush_outbox, retry_dead
from notifications.messages import render
from notifications.outbox import Pending, Recipient, enqueue
from notifications.settings import NotificationSettings, SmtpSettings
from workflow.models import Notification

NOW = datetime(2026, 5, 12, 0, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def settings_for(port: int, **kwargs) -> NotificationSettings:
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="dxflow@city.example")
    return NotificationSettings(smtp=smtp, retry_base_seconds=60, **kwargs)


def queue_review_reminder(session, user, settings) -> None:
    who = Recipient(user.id, user.name, user.email, user.language)
    message = render("review_due_soon", who.language, name=who.name, number="DX-2025-0007",
                     title="窓口手続のオンライン化", fy=2025, due=date(2026, 5, 29), days=0,
                     department="福祉局", url="http://127.0.0.1:5000/reviews/1")
    enqueue(session, [Pending(who, "review_due_soon", "review", 1, "before-3", message,
                              due_date=date(2026, 5, 29))], now=NOW,
            email_enabled=settings.smtp.enabled,
            webhook=bool(settings.webhook_url))
    session.commit()


def test_review_reminder_arrives_with_japanese_subject_and_ics(session, make_user, smtp_server):
    controller, handler = smtp_server
    user = make_user("dept_manager", name="福祉 花子")
    settings = settings_for(controller.port)
    queue_review_reminder(session, user, settings)
    result = flush_outbox(session, settings, now=NOW)
    assert result.sent == 1
    [(recipients, raw)] = handler.messages
    assert recipients == [user.email]
    message = email.message_from_bytes(raw)
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == "【dxflow】KPI評価の期限が近づいています：DX-2025-0007 窓口手続のオンライン化"
    assert "福祉 花子" in str(make_header(decode_header(message["To"])))
    parts = {part.get_content_type(): part for part in message.walk()}
    assert "text/plain" in parts and "text/html" in parts
    assert "2026年5月29日" in parts["text/plain"].get_payload(decode=True).decode("utf-8")
    calendar = Calendar.from_ical(parts["text/calendar"].get_payload(decode=True))
    [event] = list(calendar.walk("VEVENT"))
    assert event.decoded("dtstart") == date(2026, 5, 29)


def test_english_recipient_gets_english_text(session, make_user, smtp_server):
    controller, handler = smtp_server
    user = make_user("dept_manager", language="en")
    settings = settings_for(controller.port)
    queue_review_reminder(session, user, settings)
    flush_outbox(session, settings, now=NOW)
    message = email.message_from_bytes(handler.messages[0][1])
    assert message["Subject"].startswith("[dxflow] KPI review due soon")


def test_smtp_down_keeps_mail_queued_until_it_returns(session, make_user):
    user = make_user("dept_manager")
    port = free_port()
    settings = settings_for(port)
    queue_review_reminder(session, user, settings)
    result = flush_outbox(session, settings, now=NOW)
    assert (result.sent, result.retried) == (0, 1)
    row = session.scalar(select(Notification).where(Notification.channel == "email"))
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == NOW + timedelta(seconds=60)
    # Not retried before its back-off has passed.
    assert flush_outbox(session, settings, now=NOW + timedelta(seconds=30)).retried == 0

    from aiosmtpd.controller import Controller

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = flush_outbox(session, settings, now=NOW + timedelta(minutes=2))
    finally:
        controller.stop()
    assert result.sent == 1 and len(handler.messages) == 1
    session.refresh(row)
    assert row.status == "sent"


def test_repeated_failures_dead_letter_and_admin_retry(session, make_user):
    user = make_user("dept_manager")
    settings = settings_for(free_port(), max_attempts=3)
    queue_review_reminder(session, user, settings)
    when = NOW
    for _ in range(3):
        flush_outbox(session, settings, now=when)
        when += timedelta(days=1)
    row = session.scalar(select(Notification).where(Notification.channel == "email"))
    assert row.status == "dead" and row.attempts == 3 and "SMTP" in row.last_error
    retry_dead(session, row, now=when)
    assert row.status == "pending" and row.attempts == 0


class Receiver(BaseHTTPRequestHandler):
    responses: list[int] = []
    bodies: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's hook name
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        status = type(self).responses.pop(0) if type(self).responses else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_payload_and_retry_on_5xx(session, make_user):
    Receiver.responses, Receiver.bodies = [503], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = NotificationSettings(smtp=SmtpSettings(),
                                        webhook_url=f"http://127.0.0.1:{server.server_port}/hook")
        user = make_user("dept_manager")
        queue_review_reminder(session, user, settings)
        first = flush_outbox(session, settings, now=NOW)
        second = flush_outbox(session, settings, now=NOW + timedelta(minutes=5))
    finally:
        server.shutdown()
        server.server_close()
    assert (first.retried, second.sent) == (1, 1)
    assert len(Receiver.bodies) == 2
    body = Receiver.bodies[-1]
    assert body["reason"] == "review_due_soon"
    assert body["object"] == {"type": "review", "id": 1}
    assert body["due_date"] == "2026-05-29"
    assert "窓口手続のオンライン化" in body["subject"]
