"""APScheduler 3.x running the fixed sweeps; one process (``dxflow scheduler``), never per case.

APScheduler's FAQ: a job store cannot be shared between processes, so the scheduler runs in one
dedicated process (the single-process demo may embed it). Every trigger is explicitly in
Asia/Tokyo; coalescing and max_instances=1 keep a slow or missed run from piling up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from notifications.dispatcher import flush_outbox
from notifications.settings import NotificationSettings
from notifications.sweeps import heartbeat, sweep_reviews, sweep_stale_work
from workflow.models import utcnow

TIMEZONE = "Asia/Tokyo"
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
log = logging.getLogger("dxflow.scheduler")


def _job(session_factory: Callable[[], Session], name: str, work) -> Callable[[], None]:
    def run() -> None:
        with _session(session_factory) as session:
            try:
                outcome = work(session)
                log.info("%s: %s", name, outcome)
            except Exception:
                session.rollback()
                log.exception("%s failed; the next run catches up", name)

    run.__name__ = f"dxflow_{name}"
    return run


@contextmanager
def _session(session_factory):
    session = session_factory()
    try:
        yield session
    finally:
        session.close()


def add_jobs(scheduler, session_factory: Callable[[], Session],
             settings: NotificationSettings) -> None:
    daily = CronTrigger(hour=settings.reminder_hour, minute=settings.reminder_minute,
                        timezone=TIMEZONE)

    def reviews(session):
        return f"{len(sweep_reviews(session, utcnow(), settings=settings).pending)} reminders"

    def stale(session):
        return f"{len(sweep_stale_work(session, utcnow(), settings=settings).pending)} nudges"

    def outbox(session):
        result = flush_outbox(session, settings)
        heartbeat(session, "outbox", utcnow(),
                  f"sent {result.sent}, retry {result.retried}, dead {result.dead}")
        session.commit()
        return result

    scheduler.add_job(_job(session_factory, "reviews", reviews), daily, id="reviews",
                      replace_existing=True)
    scheduler.add_job(_job(session_factory, "stale_work", stale),
                      CronTrigger(hour=settings.reminder_hour, minute=settings.reminder_minute + 5
                                  if settings.reminder_minute < 55 else 0, timezone=TIMEZONE),
                      id="stale_work", replace_existing=True)
    scheduler.add_job(_job(session_factory, "outbox", outbox),
                      IntervalTrigger(minutes=1, timezone=TIMEZONE), id="outbox",
                      replace_existing=True)


def build_scheduler(session_factory, settings: NotificationSettings, *, background: bool = False):
    cls = BackgroundScheduler if background else BlockingScheduler
    scheduler = cls(timezone=TIMEZONE, job_defaults=JOB_DEFAULTS)
    add_jobs(scheduler, session_factory, settings)
    return scheduler
