"""Imports run off the request thread: the upload stages the file and queues a job, a thread
in this process runs it, and the job's page (any process) shows its state from the database.

A 100,000-row import takes minutes; inside the request it held a worker that long (and hit
gunicorn's timeout). Progress counts live in this process only: while the import's
transaction is open, SQLite lets no other connection write, so the counts cannot go to the
database on every step; the state and the result do.
"""

from __future__ import annotations

import gc
import logging
import threading
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask, current_app

from web.data import staging
from web.extensions import db
from workflow.errors import AccessDenied
from workflow.interchange.headers import normalise_header
from workflow.interchange.import_jobs import BROKE, DENIED, EXPIRED, INTERRUPTED, report_data
from workflow.interchange.importer import ImportFileError, ImportOptions, import_file
from workflow.models import ImportJob, User, utcnow

log = logging.getLogger(__name__)
# Far beyond the largest import the caps allow (200,000 rows take minutes): a job unfinished
# after this lost its process (a restart); its transaction died with it.
ABANDONED_AFTER = timedelta(hours=2)
_progress: dict[int, tuple[int, int]] = {}
_lock = threading.Lock()
_paused = 0


def queue(user: User, token: str, filename: str, *, sheet: str, skip_invalid: bool,
          dry_run: bool, columns: dict[str, str], statuses: dict[str, str]) -> ImportJob:
    """Record the job and start it; the caller redirects to its page."""
    job = ImportJob(user_id=user.id, token=token, filename=filename, dry_run=dry_run, options={
        "sheet": sheet, "skip_invalid": skip_invalid, "columns": columns, "statuses": statuses})
    db.session.add(job)
    db.session.commit()
    app = current_app._get_current_object()
    threading.Thread(target=_work, args=(app, job.id), name=f"import-{job.id}",
                     daemon=True).start()
    return job


def progress(job: ImportJob) -> tuple[int, int]:
    """(done, total) as far as this process knows, else what the database holds."""
    with _lock:
        return _progress.get(job.id, (job.done, job.total))


def settle_abandoned(job: ImportJob) -> None:
    """Mark a job failed whose process went away, so its page stops reloading."""
    with _lock:
        here = job.id in _progress
    if not job.finished and not here and utcnow() - job.updated_at > ABANDONED_AFTER:
        job.state, (job.error_ja, job.error_en) = "failed", INTERRUPTED
        db.session.commit()


def _options(job: ImportJob) -> ImportOptions:
    opts = job.options or {}
    return ImportOptions(
        sheet=opts.get("sheet") or None, skip_invalid=bool(opts.get("skip_invalid")),
        dry_run=job.dry_run, status_map=opts.get("statuses") or {},
        column_map={normalise_header(h)[0]: f for h, f in (opts.get("columns") or {}).items()})


@contextmanager
def _collector_paused():
    """No automatic full garbage collection while an import runs.

    An import holds a few million objects; each full collection then scans them all while
    holding the GIL, and every other request of the process waits (measured: pauses up to
    0.6 s at 30,000 rows, /healthz at 0.7 s). The import's objects are freed by reference
    counting when its session closes; the collector resumes when the last import ends.
    """
    global _paused
    with _lock:
        _paused += 1
        gc.disable()
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0:
                gc.enable()


def _work(app: Flask, job_id: int) -> None:
    with app.app_context(), _collector_paused():
        try:
            _run(job_id)
        finally:
            with _lock:
                _progress.pop(job_id, None)


def _update(job_id: int):
    def update(done: int, total: int) -> None:
        with _lock:
            _progress[job_id] = (done, total)
    return update


def _run(job_id: int) -> None:
    job = db.session.get(ImportJob, job_id)
    job.state = "running"
    db.session.commit()
    user_id, token, options = job.user_id, job.token, _options(job)
    error = None
    try:
        staged = staging.load(token, user_id)
        if staged is None:
            raise ImportFileError(*EXPIRED)
        data, filename = staged
        report = import_file(db.session, data, filename, actor=db.session.get(User, user_id),
                             options=options, progress=_update(job_id))
    except ImportFileError as exc:
        error = (exc.ja, exc.en)
    except AccessDenied:
        error = DENIED
    except Exception:
        log.exception("import job %s failed", job_id)
        db.session.rollback()
        error = BROKE
    job = db.session.get(ImportJob, job_id)
    if error is None:
        job.state, job.result = "done", report_data(report)
        job.done, job.total = progress(job)
    else:
        job.state, (job.error_ja, job.error_en) = "failed", error
    db.session.commit()
