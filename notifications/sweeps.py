"""The scheduled sweeps: plain functions of ``now`` that scan, queue and stamp in one transaction.

A missed run is simply caught up by the next one, and tests call them directly. Statement
count is constant: one read per kind of work, one bulk insert, one bulk stamp.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from notifications.locks import try_sweep_lock
from notifications.messages import render
from notifications.outbox import Pending, Recipient, enqueue
from notifications.settings import NotificationSettings
from workflow.business_days import add_business_days, business_days_between
from workflow.fiscal import TOKYO
from workflow.models import AuditEvent, Case, Department, Review, SchedulerHeartbeat, User, utcnow
from workflow.reviews.reminders import ReminderPolicy, due_stage

# Only reviews due within this many calendar days can have a reminder today (14 business days
# before is at most ~22 calendar days with the year-end closure).
LOOKAHEAD_DAYS = 31


@dataclass
class SweepResult:
    pending: list[Pending] = field(default_factory=list)
    stamps: dict[int, str] = field(default_factory=dict)  # review id -> stage sent
    skipped: bool = False  # another scheduler held the sweep's lock

    def describe(self) -> list[str]:
        return [f"{p.recipient.email}\t{p.reason}\t{p.message.subject}" for p in self.pending]


def _recipient(row, prefix: str = "") -> Recipient:
    return Recipient(id=getattr(row, prefix + "id"), name=getattr(row, prefix + "name"),
                     email=getattr(row, prefix + "email"),
                     language=getattr(row, prefix + "language"),
                     email_reminders=getattr(row, prefix + "email_reminders"))


def _office_leads(session: Session) -> list[Recipient]:
    rows = session.execute(select(User.id, User.name, User.email, User.language,
                                  User.email_reminders)
                           .where(User.role == "office_lead", User.active.is_(True)))
    return [_recipient(r) for r in rows]


def _case_url(settings: NotificationSettings, case_id: int) -> str:
    return f"{settings.base_url}/cases/{case_id}"


def _expected_stages(session: Session, today, policy: ReminderPolicy) -> dict:
    """For each distinct due date of open reviews, the stage due by today (few dates, many rows)."""
    dates = session.scalars(select(Review.due_date).distinct().where(
        Review.status == "open", Review.due_date <= today + timedelta(days=LOOKAHEAD_DAYS)))
    expected = {}
    for due in dates:
        stage = due_stage(due, today, None, policy)
        if stage is not None:
            expected[due] = stage
    return expected


def review_reminders(session: Session, now: datetime, policy: ReminderPolicy,
                     settings: NotificationSettings) -> SweepResult:
    """Which review reminders are due today; the caller queues and stamps them.

    Rows whose stamp already equals today's stage are filtered out in SQL, so the steady state
    reads almost nothing however many reviews are open.
    """
    today = now.astimezone(TOKYO).date()
    result = SweepResult()
    expected = _expected_stages(session, today, policy)
    if not expected:
        return result
    stage_today = case(*((Review.due_date == due, stage.key) for due, stage in expected.items()),
                       else_=None)
    owner = aliased(User)
    manager = aliased(User)
    # Reviews without an owner go to the bureau's manager(s).
    stmt = (
        select(Review.id, Review.due_date, Review.fiscal_year, Review.last_reminder_stage,
               Case.id.label("case_id"), Case.number, Case.title, Department.name.label("dept"),
               func.coalesce(owner.id, manager.id).label("u_id"),
               func.coalesce(owner.name, manager.name).label("u_name"),
               func.coalesce(owner.email, manager.email).label("u_email"),
               func.coalesce(owner.language, manager.language).label("u_language"),
               func.coalesce(owner.email_reminders, manager.email_reminders)
               .label("u_email_reminders"))
        .join(Case, Case.id == Review.case_id)
        .join(Department, Department.id == Case.department_id)
        .outerjoin(owner, (owner.id == Review.owner_id) & owner.active.is_(True))
        .outerjoin(manager, (Review.owner_id.is_(None))
                   & (manager.department_id == Case.department_id)
                   & (manager.role == "dept_manager") & manager.active.is_(True))
        .where(Review.status == "open", Case.state == "review_monitoring",
               Review.due_date.in_(list(expected)),
               func.coalesce(Review.last_reminder_stage, "") != stage_today)
    )
    leads = None
    for row in session.execute(stmt):
        stage = due_stage(row.due_date, today, row.last_reminder_stage, policy)
        if stage is None:
            continue
        result.stamps[row.id] = stage.key
        if row.u_id is None:
            continue
        overdue = max(business_days_between(row.due_date, today), 0)
        values = {"number": row.number, "title": row.title, "fy": row.fiscal_year,
                  "due": row.due_date, "days": overdue, "department": row.dept,
                  "url": f"{settings.base_url}/reviews/{row.id}"}
        who = _recipient(row, "u_")
        result.pending.append(Pending(
            who, stage.reason, "review", row.id, stage.key,
            render(stage.reason, who.language, name=who.name, **values), due_date=row.due_date))
        if stage.escalate:
            leads = leads if leads is not None else _office_leads(session)
            result.pending.extend(Pending(
                lead, "review_escalation", "review", row.id, stage.key,
                render("review_escalation", lead.language, name=lead.name, owner=who.name,
                       **values),
                due_date=row.due_date) for lead in leads)
    return result


def stale_work(session: Session, now: datetime, policy: ReminderPolicy,
               settings: NotificationSettings) -> SweepResult:
    """Nudges: consultations not triaged in time (office leads), proposals waiting too long for
    the bureau's decision (its managers). Each nudge goes once per case and waiting period."""
    today = now.astimezone(TOKYO).date()
    result = SweepResult()
    untriaged = session.execute(
        select(Case.id, Case.number, Case.title, Case.submitted_at, Department.name.label("dept"))
        .join(Department, Department.id == Case.department_id)
        .where(Case.state == "consultation_submitted", Case.submitted_at.is_not(None)))
    leads = None
    for row in untriaged:
        submitted = row.submitted_at.astimezone(TOKYO).date()
        if add_business_days(submitted, policy.triage_within) > today:
            continue
        leads = leads if leads is not None else _office_leads(session)
        days = business_days_between(submitted, today)
        result.pending.extend(Pending(
            lead, "triage_stale", "case", row.id, submitted.isoformat(),
            render("triage_stale", lead.language, name=lead.name, number=row.number,
                   title=row.title, department=row.dept, days=days,
                   url=_case_url(settings, row.id)))
            for lead in leads)
    sent = (select(AuditEvent.case_id, func.max(AuditEvent.id).label("event_id"),
                   func.max(AuditEvent.created_at).label("sent_at"))
            .where(AuditEvent.trigger == "send_proposal").group_by(AuditEvent.case_id).subquery())
    waiting = session.execute(
        select(Case.id, Case.number, Case.title, sent.c.event_id, sent.c.sent_at,
               User.id.label("u_id"), User.name.label("u_name"), User.email.label("u_email"),
               User.language.label("u_language"), User.email_reminders.label("u_email_reminders"))
        .join(sent, sent.c.case_id == Case.id)
        .join(User, (User.department_id == Case.department_id) & (User.role == "dept_manager")
              & User.active.is_(True))
        .where(Case.state == "consultation_study"))
    for row in waiting:
        sent_on = row.sent_at.astimezone(TOKYO).date() if row.sent_at.tzinfo else row.sent_at.date()
        if add_business_days(sent_on, policy.decision_within) > today:
            continue
        who = _recipient(row, "u_")
        result.pending.append(Pending(
            who, "decision_stale", "case", row.id, str(row.event_id),
            render("decision_stale", who.language, name=who.name, number=row.number,
                   title=row.title, days=business_days_between(sent_on, today),
                   url=_case_url(settings, row.id))))
    return result


def _stamp_reviews(session: Session, stamps: dict[int, str], now: datetime) -> None:
    if not stamps:
        return
    table = Review.__table__
    session.execute(
        update(table).where(table.c.id == bindparam("rid"))
        .values(last_reminder_stage=bindparam("stage"), last_reminded_at=now)
        .execution_options(synchronize_session=False),
        [{"rid": rid, "stage": stage} for rid, stage in stamps.items()],
    )


def heartbeat(session: Session, job: str, now: datetime, result: str) -> None:
    table = SchedulerHeartbeat.__table__
    inserts = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
    insert = inserts[session.get_bind().dialect.name]
    stmt = insert(table).values(job=job, last_run_at=now, last_result=result[:300])
    session.execute(stmt.on_conflict_do_update(
        index_elements=["job"], set_={"last_run_at": now, "last_result": result[:300]}))


def _sweep(session: Session, job: str, compute, now: datetime | None,
           policy: ReminderPolicy | None, settings: NotificationSettings, dry_run: bool,
           noun: str) -> SweepResult:
    """Lock, compute, queue, stamp and record the heartbeat in one transaction."""
    now = now or utcnow()
    policy = policy or ReminderPolicy.from_environment()
    if not dry_run and not try_sweep_lock(session, job):
        session.rollback()
        return SweepResult(skipped=True)
    result = compute(session, now, policy, settings)
    if dry_run:
        session.rollback()
        return result
    enqueue(session, result.pending, now=now, email_enabled=settings.smtp.enabled,
            webhook=bool(settings.webhook_url))
    _stamp_reviews(session, result.stamps, now)
    heartbeat(session, job, now, f"{len(result.pending)} {noun}")
    session.commit()
    return result


def sweep_reviews(session: Session, now: datetime | None = None, *,
                  policy: ReminderPolicy | None = None, settings: NotificationSettings,
                  dry_run: bool = False) -> SweepResult:
    """Queue today's review reminders and stamp them, in one transaction."""
    return _sweep(session, "reviews", review_reminders, now, policy, settings, dry_run,
                  "reminders")


def sweep_stale_work(session: Session, now: datetime | None = None, *,
                     policy: ReminderPolicy | None = None, settings: NotificationSettings,
                     dry_run: bool = False) -> SweepResult:
    """Queue today's nudges about consultations and proposals waiting too long."""
    return _sweep(session, "stale_work", stale_work, now, policy, settings, dry_run, "nudges")
