"""Benchmark: one review-reminder sweep over 100,000 open reviews.

    python bench/reminders.py [--quick]

Reports seconds per sweep (target < 2 s) on a day when every review has a reminder due and on
the next day (all stamped: the steady state), and SQL statements per sweep, which must not
depend on the number of reviews. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert  # noqa: E402

from notifications.settings import NotificationSettings, SmtpSettings  # noqa: E402
from notifications.sweeps import sweep_reviews  # noqa: E402
from workflow.db import make_engine, make_session_factory  # noqa: E402
from workflow.fiscal import TOKYO  # noqa: E402
from workflow.models import Base, Case, Department, Review, User  # noqa: E402
from workflow.reviews.reminders import ReminderPolicy  # noqa: E402

TODAY = date(2026, 6, 1)  # a Monday


def populate(engine, n: int) -> None:
    now = datetime(2026, 4, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(Department), [{"id": 1, "code": "welfare", "name": "福祉局",
                                           "name_en": "Welfare", "kind": "bureau", "sort_order": 1,
                                           "active": True}])
        conn.execute(insert(User), [
            {"id": 1, "email": "manager@city.example", "name": "所属長", "role": "dept_manager",
             "department_id": 1, "password_hash": "", "language": "ja", "active": True,
             "failed_logins": 0, "email_reminders": True, "created_at": now, "updated_at": now},
            {"id": 2, "email": "lead@city.example", "name": "統括室長", "role": "office_lead",
             "department_id": None, "password_hash": "", "language": "ja", "active": True,
             "failed_logins": 0, "email_reminders": True, "created_at": now, "updated_at": now},
        ])
        conn.execute(insert(Case), [
            {"id": i, "number": f"DX-2025-{i:06d}", "fiscal_year": 2025, "seq": i,
             "title": f"案件{i}", "department_id": 1, "state": "review_monitoring", "version": 1,
             "values": [], "case_type": "dx_project", "priority": "normal", "description": "",
             "current_problem": "", "desired_outcome": "", "proposal_text": "", "created_at": now,
             "updated_at": now}
            for i in range(1, n + 1)])
        # Due dates spread so that on TODAY every review is at some reminder stage.
        offsets = [-20, -14, -7, -3, 0, 3, 7, 10, 15, 20]
        conn.execute(insert(Review), [
            {"id": i, "case_id": i, "owner_id": 1 if i % 2 else None, "fiscal_year": 2025,
             "period": "FY", "due_date": TODAY + timedelta(days=offsets[i % len(offsets)]),
             "status": "open", "comment": "", "next_actions": "", "created_at": now}
            for i in range(1, n + 1)])


def timed_sweep(factory, engine, day: date, settings) -> tuple[float, int, int]:
    statements = 0

    def count(*_args):
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count)
    session = factory()
    try:
        started = time.perf_counter()
        result = sweep_reviews(session, datetime.combine(day, dtime(8, 30), TOKYO),
                               policy=ReminderPolicy(), settings=settings)
        elapsed = time.perf_counter() - started
    finally:
        session.close()
        event.remove(engine, "before_cursor_execute", count)
    return elapsed, statements, len(result.pending)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10,000 reviews instead of 100,000")
    args = parser.parse_args()
    n = 10_000 if args.quick else 100_000
    settings = NotificationSettings(smtp=SmtpSettings(host="smtp.example"))
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        Base.metadata.create_all(engine)
        populate(engine, n)
        small = make_engine(f"sqlite:///{Path(tmp) / 'small.sqlite3'}")
        Base.metadata.create_all(small)
        populate(small, 100)
        factory = make_session_factory(engine)
        busy_s, busy_statements, queued = timed_sweep(factory, engine, TODAY, settings)
        quiet_s, quiet_statements, again = timed_sweep(factory, engine, TODAY, settings)
        _s, small_statements, _q = timed_sweep(make_session_factory(small), small, TODAY, settings)
        engine.dispose()
        small.dispose()
    print(f"{n} open reviews: busy sweep {busy_s:.2f} s ({queued} reminders, "
          f"{busy_statements} statements); "
          f"repeat sweep {quiet_s:.2f} s ({again} reminders, {quiet_statements} statements); "
          f"100 reviews: {small_statements} statements")
    print(json.dumps({
        "reviews": n,
        "busy_sweep_s": round(busy_s, 3),
        "repeat_sweep_s": round(quiet_s, 3),
        "reminders_queued": queued,
        "statements_busy": busy_statements,
        "statements_repeat": quiet_statements,
        "statements_at_100_reviews": small_statements,
        "statements_constant": busy_statements == small_statements,
        "target_s": 2.0,
    }))


if __name__ == "__main__":
    main()
