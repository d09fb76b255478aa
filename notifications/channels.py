"""Delivery channels: SMTP e-mail (plain + HTML, .ics for reviews) and a JSON webhook."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from html import escape

from icalendar import Calendar, Event

from notifications.settings import NotificationSettings
from workflow.models import Notification, User

REVIEW_REASONS = ("review_due_soon", "review_due", "review_overdue", "review_escalation")


class DeliveryError(Exception):
    """A channel could not deliver; the dispatcher retries with back-off."""


def review_ics(notification: Notification, base_url: str) -> bytes:
    """A one-day calendar entry on the review's due date."""
    cal = Calendar()
    cal.add("prodid", "-//dxflow//KPI review//JA")
    cal.add("version", "2.0")
    event = Event()
    due: date = notification.due_date
    event.add("uid", f"review-{notification.object_id}@dxflow")
    event.add("summary", notification.subject)
    event.add("dtstart", due)
    event.add("dtend", due + timedelta(days=1))
    event.add("description", notification.body)
    event.add("url", f"{base_url}/reviews/{notification.object_id}")
    cal.add_component(event)
    return cal.to_ical()


def build_email(notification: Notification, recipient: User,
                settings: NotificationSettings) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = notification.subject  # email.policy encodes non-ASCII as RFC 2047
    message["From"] = settings.smtp.sender
    message["To"] = formataddr((recipient.name, recipient.email))
    message["Message-ID"] = make_msgid(domain="dxflow")
    message.set_content(notification.body, charset="utf-8")
    paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>"
                         for p in notification.body.split("\n\n") if p.strip())
    message.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html",
                            charset="utf-8")
    if notification.reason in REVIEW_REASONS and notification.due_date is not None:
        message.add_attachment(review_ics(notification, settings.base_url), maintype="text",
                               subtype="calendar", filename="kpi-review.ics",
                               params={"method": "PUBLISH"})
    return message


class EmailChannel:
    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings

    def send(self, notification: Notification, recipient: User | None) -> None:
        smtp = self.settings.smtp
        if not smtp.enabled:
            raise DeliveryError("SMTP is not configured (DXFLOW_SMTP_HOST)")
        if recipient is None or not recipient.email:
            raise DeliveryError("recipient has no e-mail address")
        message = build_email(notification, recipient, self.settings)
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
                if smtp.starttls:
                    client.starttls(context=ssl.create_default_context())
                if smtp.username:
                    client.login(smtp.username, smtp.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP: {exc}") from exc


class WebhookChannel:
    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings

    def payload(self, notification: Notification, recipient: User | None) -> dict:
        return {
            "id": notification.id, "reason": notification.reason,
            "object": {"type": notification.object_type, "id": notification.object_id},
            "recipient": recipient.email if recipient else None,
            "due_date": notification.due_date.isoformat() if notification.due_date else None,
            "subject": notification.subject, "text": notification.body,
        }

    def send(self, notification: Notification, recipient: User | None) -> None:
        url = self.settings.webhook_url
        if not url.startswith(("http://", "https://")):
            raise DeliveryError("webhook URL is not configured (DXFLOW_WEBHOOK_URL)")
        body = json.dumps(self.payload(notification, recipient), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 - http(s) only
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                if response.status >= 300:
                    raise DeliveryError(f"webhook answered {response.status}")
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DeliveryError(f"webhook answered {exc.code}") from None
        except OSError as exc:
            raise DeliveryError(f"webhook: {exc}") from exc
