"""Notification settings from ``DXFLOW_*`` environment variables."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.config import env


def _flag(name: str, default: str = "0") -> bool:
    return (env(name, default) or default).lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 25
    starttls: bool = False
    username: str = ""
    password: str = ""
    sender: str = "dxflow@localhost"
    timeout: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class NotificationSettings:
    smtp: SmtpSettings
    webhook_url: str = ""
    base_url: str = "http://127.0.0.1:5000"
    max_attempts: int = 6
    retry_base_seconds: int = 60
    reminder_hour: int = 8
    reminder_minute: int = 30


def from_environment() -> NotificationSettings:
    return NotificationSettings(
        smtp=SmtpSettings(
            host=env("SMTP_HOST", "") or "",
            port=int(env("SMTP_PORT", "25") or 25),
            starttls=_flag("SMTP_STARTTLS"),
            username=env("SMTP_USERNAME", "") or "",
            password=env("SMTP_PASSWORD", "") or "",
            sender=env("MAIL_FROM", "dxflow@localhost") or "dxflow@localhost",
        ),
        webhook_url=env("WEBHOOK_URL", "") or "",
        base_url=(env("BASE_URL", "http://127.0.0.1:5000") or "").rstrip("/"),
        max_attempts=int(env("OUTBOX_MAX_ATTEMPTS", "6") or 6),
        retry_base_seconds=int(env("OUTBOX_RETRY_SECONDS", "60") or 60),
        reminder_hour=int(env("REMINDER_HOUR", "8") or 8),
        reminder_minute=int(env("REMINDER_MINUTE", "30") or 30),
    )
