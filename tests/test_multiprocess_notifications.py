"""Two schedulers and two dispatchers against one PostgreSQL, each in its own OS process.

Sweeps: the advisory lock (notifications/locks.py) lets one sweep work; the other either finds
the lock taken and skips (and logs so) or, once the first has committed, finds every review
already stamped. Either way each reminder is queued exactly once and none is missing.

Dispatchers: each claims one row per transaction with ``FOR UPDATE SKIP LOCKED``
(notifications/dispatcher.py); a recording channel appends every delivered notification id to
a file per process, and every pending e-mail must appear in exactly one of them, once.

The processes wait for a "go" file after their imports and first connection, so their work
really overlaps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text

from workflow.db import make_engine, make_session_factory
from workflow.models import Case, Department, Notification, Review, User

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
DUE = date(2025, 6, 2)  # a Monday: the reviews are due on the day of the sweep
SWEEP_AT = datetime(2025, 6, 2, 8, 30, tzinfo=UTC) - timedelta(hours=9)  # 08:30 JST
DISPATCH_AT = SWEEP_AT + timedelta(hours=1)
REVIEWS = 800
OWNERS = 12
EXTRA_EMAILS = 100  # pending e-mails queued before the sweep (e.g. by transitions)
TIMEOUT = 60

# The worker run as `python -c WORKER role url workdir name [iso time]`; prints one JSON line.
WORKER = r'''
import json, sys, time
from datetime import datetime
from pathlib import Path

from notifications.dispatcher import flush_outbox
from notifications.settings import NotificationSettings, SmtpSettings
from notifications.sweeps import sweep_reviews
from workflow.db import make_engine, make_session_factory

role, url, workdir, name, at = sys.argv[1:6]
at = datetime.fromisoformat(at)
settings = NotificationSettings(smtp=SmtpSettings(host="127.0.0.1", port=9,
                                                  sender="dxflow@city.example"))
engine = make_engine(url)
with engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")  # connected before the start signal
work = Path(workdir)
(work / f"{name}.ready").touch()
deadline = time.monotonic() + 30
while not (work / "go").exists():
    if time.monotonic() > deadline:
        sys.exit("no start signal")
    time.sleep(0.001)
session = make_session_factory(engine)()
if role == "sweep":
    result = sweep_reviews(session, at, settings=settings)
    out = {"skipped": result.skipped, "queued": len(result.pending),
           "stamped": len(result.stamps)}
else:
    deliveries = open(work / f"{name}.deliveries", "a")

    class RecordingChannel:
        def send(self, notification, recipient):
            deliveries.write(f"{notification.id}\n")
            deliveries.flush()

    result = flush_outbox(session, settings, now=at, limit=100_000,
                          channels={"email": RecordingChannel()})
    deliveries.close()
    out = {"sent": result.sent, "retried": result.retried, "dead": result.dead,
           "errors": result.errors[:3]}
session.close()
engine.dispose()
print(json.dumps(out))
'''


@pytest.fixture
def pg_url(request) -> str:
    """A migrated, seeded PostgreSQL database (a template copy in the PostgreSQL run)."""
    from tests.conftest import TEST_DATABASE, migrate_and_seed

    if TEST_DATABASE == "postgresql":
        return request.getfixturevalue("db_url")
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.create_database(f"dxflow_multiprocess_{uuid.uuid4().hex[:12]}")
    migrate_and_seed(url)
    return url


@pytest.fixture
def pg(pg_url):
    engine = make_engine(pg_url)
    assert engine.dialect.name == "postgresql"
    yield engine
    engine.dispose()


def seed(engine) -> None:
    """REVIEWS open reviews due on DUE (half with an owner, half for the bureau's manager) and
    EXTRA_EMAILS pending e-mails."""
    session = make_session_factory(engine)()
    welfare = session.scalar(select(Department.id).where(Department.code == "welfare"))
    now = SWEEP_AT - timedelta(days=60)
    users = [User(email=f"owner{i}@city.example.jp", name=f"担当者{i}", role="requester",
                  department_id=welfare, password_hash="", language="ja") for i in range(OWNERS)]
    users.append(User(email="manager@city.example.jp", name="所属長", role="dept_manager",
                      department_id=welfare, password_hash="", language="ja"))
    session.add_all(users)
    session.commit()
    owner_ids = [u.id for u in users[:OWNERS]]
    case_ids = session.scalars(insert(Case).returning(Case.id), [
        {"number": f"DX-2024-{i:05d}", "fiscal_year": 2024, "seq": i, "title": f"案件{i}",
         "department_id": welfare, "state": "review_monitoring", "values": [],
         "created_at": now, "updated_at": now}
        for i in range(1, REVIEWS + 1)]).all()
    session.execute(insert(Review), [
        {"case_id": case_id, "owner_id": owner_ids[n % OWNERS] if n % 2 else None,
         "fiscal_year": 2024, "period": "FY", "due_date": DUE, "status": "open",
         "created_at": now}
        for n, case_id in enumerate(case_ids)])
    session.execute(insert(Notification), [
        {"recipient_id": owner_ids[n % OWNERS], "channel": "email", "reason": "transition",
         "object_type": "case", "object_id": case_ids[n], "dedupe_key": f"seeded-{n}",
         "subject": "【dxflow】案件が更新されました", "body": "本文", "status": "pending",
         "next_attempt_at": now, "created_at": now}
        for n in range(EXTRA_EMAILS)])
    session.commit()
    session.close()


def run_together(url: str, workdir: Path, role: str, at: datetime) -> list[tuple[dict, str]]:
    """Start two workers, release them at once; (their JSON result, their stderr) each."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    names = [f"{role}-a", f"{role}-b"]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, role, url, str(workdir), name,
                               at.isoformat()],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for name in names]
    try:
        deadline = time.monotonic() + TIMEOUT
        while not all((workdir / f"{name}.ready").exists() for name in names):
            failed = [p for p in procs if p.poll() is not None]
            assert not failed, failed[0].communicate()
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.01)
        (workdir / "go").touch()
        outputs = [p.communicate(timeout=TIMEOUT) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    (workdir / "go").unlink()
    results = []
    for proc, (stdout, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, stderr
        results.append((json.loads(stdout.strip().splitlines()[-1]), stderr))
    return results


def test_two_schedulers_and_two_dispatchers_queue_and_deliver_everything_once(pg, pg_url,
                                                                             tmp_path):
    seed(pg)
    session = make_session_factory(pg)()
    started = time.monotonic()

    # --- two sweeps at once ---------------------------------------------------------------
    sweeps = run_together(pg_url, tmp_path, "sweep", SWEEP_AT)
    worked = [r for r, _err in sweeps if not r["skipped"] and r["queued"]]
    idle = [(r, err) for r, err in sweeps if r["skipped"] or not r["queued"]]
    assert len(worked) == 1 and len(idle) == 1, sweeps
    assert worked[0] == {"skipped": False, "queued": REVIEWS, "stamped": REVIEWS}
    (other, other_log), = idle
    if other["skipped"]:
        assert "another scheduler holds its lock" in other_log
    else:  # ran after the first committed: everything was already stamped
        assert other == {"skipped": False, "queued": 0, "stamped": 0}

    def count(*where) -> int:
        return session.scalar(select(func.count()).select_from(Notification).where(*where))

    reminder = Notification.reason == "review_due"
    for channel in ("inbox", "email"):
        assert count(reminder, Notification.channel == channel) == REVIEWS
        # One per review, none twice, none missing.
        reviewed = session.scalars(select(Notification.object_id).where(
            reminder, Notification.channel == channel)).all()
        assert len(set(reviewed)) == REVIEWS
        assert set(reviewed) == set(session.scalars(select(Review.id)))
    assert session.scalar(select(func.count(func.distinct(Notification.dedupe_key)))) == \
        count(text("true"))
    assert set(session.scalars(select(Review.last_reminder_stage))) == {"due"}

    # --- two dispatchers at once ---------------------------------------------------------
    pending = set(session.scalars(select(Notification.id).where(
        Notification.channel == "email", Notification.status == "pending")))
    assert len(pending) == REVIEWS + EXTRA_EMAILS
    dispatches = run_together(pg_url, tmp_path, "dispatch", DISPATCH_AT)
    results = [r for r, _err in dispatches]
    assert all(r["retried"] == r["dead"] == 0 and not r["errors"] for r in results), results
    assert sum(r["sent"] for r in results) == len(pending)
    assert all(r["sent"] > 0 for r in results), f"both dispatchers should have worked: {results}"

    delivered = [int(line) for name in ("dispatch-a", "dispatch-b")
                 for line in (tmp_path / f"{name}.deliveries").read_text().split()]
    assert len(delivered) == len(set(delivered)), "an e-mail was delivered twice"
    assert set(delivered) == pending, "an e-mail was lost"
    session.expire_all()
    assert count(Notification.channel == "email", Notification.status != "sent") == 0
    assert count(Notification.channel == "email", Notification.attempts != 1) == 0
    session.close()
    assert time.monotonic() - started < TIMEOUT


def test_a_second_scheduler_skips_while_the_first_holds_the_lock(pg, caplog):
    """Deterministically: while one session holds the sweep's advisory lock, another's sweep
    does nothing and says so; once released, the sweep runs."""
    from notifications.locks import try_sweep_lock
    from notifications.settings import NotificationSettings, SmtpSettings
    from notifications.sweeps import sweep_reviews

    seed(pg)
    factory = make_session_factory(pg)
    settings = NotificationSettings(smtp=SmtpSettings(host="127.0.0.1", port=9))
    first, second = factory(), factory()
    try:
        assert try_sweep_lock(first, "reviews")  # held until first's transaction ends
        with caplog.at_level("WARNING", logger="dxflow.scheduler"):
            skipped = sweep_reviews(second, SWEEP_AT, settings=settings)
        assert skipped.skipped and not skipped.pending
        assert "sweep reviews skipped: another scheduler holds its lock" in caplog.text
        assert second.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.reason == "review_due")) == 0
        first.rollback()  # the first scheduler's transaction ends
        done = sweep_reviews(second, SWEEP_AT, settings=settings)
        assert not done.skipped and len(done.pending) == REVIEWS
    finally:
        first.close()
        second.close()
