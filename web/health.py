"""``/healthz``: database reachable, scheduler heartbeat age, outbox backlog and dead letters."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from web.authz import public
from web.extensions import csrf, db, limiter
from workflow.models import Notification, SchedulerHeartbeat, utcnow

bp = Blueprint("health", __name__)
# A sweep that has not run for this long means the scheduler process is down.
STALE_HEARTBEAT_SECONDS = {"outbox": 10 * 60, "reviews": 26 * 3600, "stale_work": 26 * 3600}


@bp.route("/healthz")
@public
@limiter.exempt
@csrf.exempt
def healthz():
    now = utcnow()
    try:
        db.session.execute(text("SELECT 1"))
        beats = {row.job: row.last_run_at for row in db.session.execute(
            select(SchedulerHeartbeat.job, SchedulerHeartbeat.last_run_at))}
        counts = dict(db.session.execute(
            select(Notification.status, func.count())
            .where(Notification.status.in_(("pending", "dead")))
            .group_by(Notification.status)).all())
    except SQLAlchemyError as exc:
        db.session.rollback()
        return jsonify(status="unavailable",
                       database={"ok": False, "error": type(exc).__name__}), 503
    scheduler = {job: {"last_run_age_s": (int((now - beats[job]).total_seconds())
                                          if job in beats else None),
                       "stale": job not in beats or (now - beats[job]).total_seconds() > limit}
                 for job, limit in STALE_HEARTBEAT_SECONDS.items()}
    degraded = any(s["stale"] for s in scheduler.values()) or counts.get("dead", 0) > 0
    return jsonify(
        status="degraded" if degraded else "ok",
        database={"ok": True, "dialect": db.engine.dialect.name},
        scheduler=scheduler,
        outbox={"pending": counts.get("pending", 0), "dead": counts.get("dead", 0)},
    ), 200
