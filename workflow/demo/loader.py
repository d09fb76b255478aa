"""Demo data: the action plan's initiatives as cases with three years of real history.

``load_demo`` creates demo users for every role, then tells each initiative's story from
FY2023 up to ``now`` through the real engine, with the right person at every step: so the
audit log replays, the dashboards have history and the support KPIs count real events.
Who owns what and how far each case goes is decided in ``stories`` (deterministic
for a given seed); the steps are played in time order across all cases, so case numbers
and the audit log read chronologically.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from workflow.demo.people import (
    DEMO_DOMAIN,
    FEATURED_BUREAUS,
    PASSWORDS,
    DemoUser,
    create_demo_users,
    demo_users,
)
from workflow.demo.requests import new_consultations
from workflow.demo.runner import Cast, Runner
from workflow.demo.stories import initiative_stories
from workflow.demo.timeline import HISTORY_START, steps_for
from workflow.fiscal import fiscal_year
from workflow.models import AuditEvent, Case, Department, Notification, User
from workflow.people.audit import record
from workflow.portfolio.action_plan import load_action_plan
from workflow.states import phase_of

DEFAULT_SEED = 2024
MARKER = "demo_loaded"  # the audit event written when the whole demo is in


class DemoError(RuntimeError):
    """The database holds part of a demo, or data the demo must not mix with."""


@dataclass(frozen=True)
class DemoSummary:
    users: tuple[DemoUser, ...]
    states: dict[str, int]
    already_loaded: bool = False
    stopped: dict[str, str] | None = None  # stories that stopped early, with the reason

    @property
    def cases(self) -> int:
        return sum(self.states.values())

    @property
    def phases(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for state, n in self.states.items():
            counts[phase_of(state).name] += n
        return dict(counts)


def load_demo(session: Session, *, now: datetime, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Load the demo into a database that has departments and no demo yet; a second call
    returns the summary of what is there and changes nothing."""
    if session.scalar(select(AuditEvent.id).where(AuditEvent.kind == MARKER).limit(1)):
        return _summary(session, already_loaded=True)
    if session.scalar(select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}")).limit(1)):
        raise DemoError("this database holds part of a demo; start again from an empty one")
    if now < HISTORY_START + timedelta(days=365):
        raise ValueError(f"now must be a year or more after {HISTORY_START:%Y-%m-%d}")
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    stories = initiative_stories(load_action_plan(), rng) + new_consultations(fiscal_year(now))
    specs = demo_users(s.department for s in stories)
    users = create_demo_users(session, specs, HISTORY_START - timedelta(days=7))
    cast = Cast(session, list(users.values()))
    cast.assign_liaisons(session, [s.department for s in stories],
                         HISTORY_START - timedelta(days=6))
    steps = [step for n, story in enumerate(stories) for step in steps_for(story, n, rng, now)]
    runner = Runner(session, cast, stories, rng)
    for step in sorted(steps, key=lambda s: (s.at, s.story, s.beat)):
        runner.play(step)
    _settle_notifications(session, now)
    record(session, MARKER, None, now=now, data={"seed": seed, "stories": len(stories)})
    session.commit()
    return _summary(session, stopped=runner.stopped, users=specs)


def _settle_notifications(session: Session, now: datetime) -> None:
    """What the transitions queued long ago: read in the inbox, never mailed (3 years of
    history must not reach an SMTP server the demo happens to be configured with)."""
    settled = now - timedelta(days=14)
    table = Notification.__table__
    session.execute(delete(table).where(table.c.channel != "inbox", table.c.created_at < settled))
    session.execute(update(table).where(table.c.channel == "inbox", table.c.created_at < settled,
                                        table.c.read_at.is_(None))
                    .values(read_at=table.c.created_at))


def _summary(session: Session, *, already_loaded: bool = False, stopped=None,
             users: list[DemoUser] | None = None) -> DemoSummary:
    states = dict(session.execute(select(Case.state, func.count()).group_by(Case.state)).all())
    if users is None:  # a loaded demo: its accounts, as they are now
        rows = session.execute(
            select(User, Department.name).outerjoin(Department, User.department_id == Department.id)
            .where(User.email.like(f"%@{DEMO_DOMAIN}")).order_by(User.id))
        users = [DemoUser(u.role, u.email, PASSWORDS[u.role], u.name, dept,
                          featured=not u.is_bureau or dept in FEATURED_BUREAUS) for u, dept in rows]
    return DemoSummary(users=tuple(users), states=states, already_loaded=already_loaded,
                       stopped=stopped or {})
