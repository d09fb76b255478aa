"""Review reminders through a whole fiscal year: the exact messages on the exact business days."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from notifications.settings import NotificationSettings, SmtpSettings
from notifications.sweeps import sweep_reviews, sweep_stale_work
from tests.workflow_helpers import new_case, walk_to
from workflow.business_days import add_business_days, is_business_day
from workflow.db import make_session_factory
from workflow.fiscal import TOKYO
from workflow.models import Notification, Review
from workflow.reviews.reminders import ReminderPolicy

SETTINGS = NotificationSettings(smtp=SmtpSettings(host="smtp.example", port=25))
POLICY = ReminderPolicy(before=(14, 3), overdue_every=5, escalate_after=10)
LIVE = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)  # go-live in FY2025


def at(day: date) -> datetime:
    return datetime.combine(day, time(8, 30), TOKYO)


@pytest.fixture
def live_case(session, people):
    case = new_case(session, people["requester"])
    walk_to(session, case, "review_monitoring", people, LIVE, satisfy=False)
    return case


def fy2025_review(session, case) -> Review:
    return session.scalar(select(Review).where(Review.case_id == case.id,
                                               Review.fiscal_year == 2025, Review.period == "FY"))


def inbox(session, reason=None):
    stmt = (select(Notification).where(Notification.channel == "inbox",
                                       Notification.reason != "transition")
            .order_by(Notification.id))
    if reason:
        stmt = stmt.where(Notification.reason == reason)
    return session.scalars(stmt).all()


def test_go_live_creates_yearly_review_for_the_bureau_manager(session, people, live_case):
    review = fy2025_review(session, live_case)
    assert review is not None
    assert review.owner_id == people["dept_manager"].id
    # Default policy: due 60 days after the FY's end (2026-03-31).
    assert review.due_date == date(2026, 5, 30)
    assert review.status == "open"


def test_a_whole_year_of_reminders_on_business_days(session, people, live_case):
    review = fy2025_review(session, live_case)
    due_day = add_business_days(review.due_date, 0)  # Saturday 5/30 -> Monday 6/1
    sent_on: dict[str, date] = {}
    day = date(2026, 4, 1)
    while day <= date(2026, 7, 31):
        before = len(inbox(session))
        sweep_reviews(session, at(day), policy=POLICY, settings=SETTINGS)
        new = inbox(session)[before:]
        if not is_business_day(day):
            assert new == [], f"nothing goes out on {day}"
        for n in new:
            key = (n.reason, n.recipient_id)
            sent_on.setdefault(f"{n.reason}:{n.recipient_id}:{n.dedupe_key.split(':')[4]}", day)
            assert key[0] in {"review_due_soon", "review_due", "review_overdue",
                              "review_escalation"}
        day += timedelta(days=1)
    manager, lead = people["dept_manager"].id, people["office_lead"].id
    assert sent_on[f"review_due_soon:{manager}:before-14"] == add_business_days(due_day, -14)
    assert sent_on[f"review_due_soon:{manager}:before-3"] == add_business_days(due_day, -3)
    assert sent_on[f"review_due:{manager}:due"] == date(2026, 6, 1)
    assert sent_on[f"review_overdue:{manager}:overdue-1"] == add_business_days(due_day, 5)
    assert sent_on[f"review_overdue:{manager}:overdue-2"] == add_business_days(due_day, 10)
    # Escalation to the office lead exactly 10 business days overdue, once.
    escalations = inbox(session, "review_escalation")
    assert [n.recipient_id for n in escalations] == [lead]
    assert sent_on[f"review_escalation:{lead}:overdue-2"] == add_business_days(due_day, 10)
    # Every message is in the inbox once, and (SMTP configured) queued once for e-mail.
    keys = session.scalars(select(Notification.dedupe_key)).all()
    assert len(keys) == len(set(keys))
    emails = session.scalar(select(func.count()).select_from(Notification)
                            .where(Notification.channel == "email",
                                   Notification.reason != "transition"))
    assert emails == len(inbox(session))


def test_year_end_closure_and_holidays_are_skipped(session, people, live_case):
    review = fy2025_review(session, live_case)
    review.due_date = date(2027, 1, 5)
    session.commit()
    # 3 business days before 1/5 skips 12/29–1/3 and the weekend: 1/4, 12/28, 12/25.
    assert add_business_days(date(2027, 1, 5), -3) == date(2026, 12, 25)
    for day in (date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 29), date(2027, 1, 4)):
        sweep_reviews(session, at(day), policy=POLICY, settings=SETTINGS)
    stages = [n.dedupe_key.split(":")[4] for n in inbox(session)]
    assert stages == ["before-14", "before-3"]
    assert inbox(session)[1].created_at.astimezone(TOKYO).date() == date(2026, 12, 25)


def test_restart_mid_year_sends_what_was_due_once(session, people, live_case):
    review = fy2025_review(session, live_case)
    # The scheduler was down from before the 14-day reminder until 2 days before the due date.
    first_run = add_business_days(date(2026, 6, 1), -2)
    sweep_reviews(session, at(first_run), policy=POLICY, settings=SETTINGS)
    sweep_reviews(session, at(first_run), policy=POLICY, settings=SETTINGS)  # a second run that day
    stages = [n.dedupe_key.split(":")[4] for n in inbox(session)]
    assert stages == ["before-3"], "the latest missed stage goes out, once"
    session.refresh(review)
    assert review.last_reminder_stage == "before-3"


def test_submitted_review_gets_no_more_reminders(session, people, live_case):
    review = fy2025_review(session, live_case)
    review.status = "submitted"
    session.commit()
    sweep_reviews(session, at(date(2026, 6, 1)), policy=POLICY, settings=SETTINGS)
    assert inbox(session) == []


def test_dry_run_writes_nothing(session, people, live_case):
    result = sweep_reviews(session, at(date(2026, 6, 1)), policy=POLICY, settings=SETTINGS,
                           dry_run=True)
    assert [p.reason for p in result.pending] == ["review_due"]
    assert inbox(session) == []
    assert fy2025_review(session, live_case).last_reminder_stage is None


def test_two_concurrent_sweeps_queue_each_reminder_once(engine, session, people, live_case):
    factory = make_session_factory(engine)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        s = factory()
        try:
            barrier.wait()
            sweep_reviews(s, at(date(2026, 6, 1)), policy=POLICY, settings=SETTINGS)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = session.scalars(select(Notification).where(Notification.reason == "review_due")).all()
    assert sorted(n.channel for n in rows) == ["email", "inbox"]


def test_stale_triage_nudges_office_lead_once(session, people):
    case = new_case(session, people["requester"])
    walk_to(session, case, "consultation_submitted", people, LIVE, satisfy=False)
    submitted = LIVE.astimezone(TOKYO).date()
    sweep_stale_work(session, at(add_business_days(submitted, 2)), policy=POLICY, settings=SETTINGS)
    assert inbox(session, "triage_stale") == []
    sweep_stale_work(session, at(add_business_days(submitted, 3)), policy=POLICY, settings=SETTINGS)
    sweep_stale_work(session, at(add_business_days(submitted, 4)), policy=POLICY, settings=SETTINGS)
    nudges = inbox(session, "triage_stale")
    assert [n.recipient_id for n in nudges] == [people["office_lead"].id]


def test_proposal_waiting_nudges_bureau_manager(session, people):
    case = new_case(session, people["requester"])
    walk_to(session, case, "consultation_study", people, LIVE, satisfy=False)
    sent = LIVE.astimezone(TOKYO).date()
    sweep_stale_work(session, at(add_business_days(sent, 10)), policy=POLICY, settings=SETTINGS)
    nudges = inbox(session, "decision_stale")
    assert [n.recipient_id for n in nudges] == [people["dept_manager"].id]
    assert "提案" in nudges[0].subject


def test_second_scheduler_does_nothing_while_the_first_holds_the_lock(engine, session, people,
                                                                      live_case):
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks exist on PostgreSQL; SQLite has a single writer")
    from notifications.locks import try_sweep_lock

    first = make_session_factory(engine)()
    try:
        assert try_sweep_lock(first, "reviews")  # held until `first` ends its transaction
        result = sweep_reviews(session, at(date(2026, 6, 1)), policy=POLICY, settings=SETTINGS)
        assert result.skipped and inbox(session) == []
    finally:
        first.rollback()
        first.close()
    result = sweep_reviews(session, at(date(2026, 6, 1)), policy=POLICY, settings=SETTINGS)
    assert not result.skipped and [n.reason for n in inbox(session)] == ["review_due"]


def test_quarterly_cadence_chosen_in_the_plan_creates_check_ins(session, people):
    from workflow.plans import update_plan

    case = new_case(session, people["requester"])
    walk_to(session, case, "planning_plan", people, LIVE)
    update_plan(session, case, people["requester"], {"review_cadence": "quarterly"}, now=LIVE)
    walk_to(session, case, "review_monitoring", people, LIVE, satisfy=False)
    periods = session.scalars(select(Review.period).where(Review.case_id == case.id,
                                                          Review.fiscal_year == 2025)).all()
    assert sorted(periods) == ["FY", "Q1", "Q2", "Q3"]


def test_an_unknown_cadence_is_refused(session, people):
    from workflow.errors import InvalidInput
    from workflow.plans import update_plan

    case = new_case(session, people["requester"])
    walk_to(session, case, "planning_plan", people, LIVE)
    with pytest.raises(InvalidInput):
        update_plan(session, case, people["requester"], {"review_cadence": "weekly"}, now=LIVE)


def test_reminders_command_explains_the_day_without_sending(app, session, people, live_case):
    from web.commands import main

    runner = app.test_cli_runner()
    result = runner.invoke(main, ["reminders", "--date", "2026-06-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2026-06-01: 1 notification(s) would be sent" in result.output
    assert people["dept_manager"].email in result.output
    assert "review_due" in result.output and "本日がKPI評価の期限です" in result.output
    assert inbox(session) == []
    bad = runner.invoke(main, ["reminders", "--date", "June 1st", "--dry-run"])
    assert bad.exit_code == 2 and "--date must look like" in bad.output


def test_scheduler_runs_fixed_sweeps_in_tokyo_time(engine):
    from notifications.scheduler import build_scheduler

    scheduler = build_scheduler(make_session_factory(engine), SETTINGS, background=True)
    scheduler.start(paused=True)  # job defaults are applied when jobs reach the job store
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"reviews", "stale_work", "outbox"}
        for job in jobs.values():
            assert str(job.trigger.timezone) == "Asia/Tokyo"
            assert job.coalesce is True and job.max_instances == 1
            assert job.misfire_grace_time == 3600
        hour = jobs["reviews"].trigger.fields[5].expressions[0].first
        assert (hour, ) == (SETTINGS.reminder_hour,)
    finally:
        scheduler.shutdown(wait=False)
