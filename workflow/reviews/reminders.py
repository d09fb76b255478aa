"""When a review's reminders are due: before the due date, on it, while overdue, escalation.

Pure date arithmetic on business days (weekends, national holidays, the city's 12/29–1/3
closure): the sweep in ``notifications.sweeps`` asks which stage is due and stamps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from workflow import config
from workflow.business_days import add_business_days, business_days_between, is_business_day


@dataclass(frozen=True)
class ReminderPolicy:
    before: tuple[int, ...] = (14, 3)  # business days before the due date
    overdue_every: int = 5  # business days between overdue reminders
    escalate_after: int = 10  # business days overdue before the office lead is told
    triage_within: int = 3  # business days a new consultation may wait for triage
    decision_within: int = 10  # business days a proposal may wait for the bureau's decision

    @classmethod
    def from_environment(cls) -> ReminderPolicy:
        env = config.env
        before = tuple(int(x) for x in (env("REMIND_BEFORE", "14,3") or "14,3").split(",")
                       if x.strip())
        return cls(
            before=tuple(sorted(before, reverse=True)),
            overdue_every=int(env("REMIND_OVERDUE_EVERY", "5") or 5),
            escalate_after=int(env("REMIND_ESCALATE_AFTER", "10") or 10),
            triage_within=int(env("REMIND_TRIAGE_WITHIN", "3") or 3),
            decision_within=int(env("REMIND_DECISION_WITHIN", "10") or 10),
        )


@dataclass(frozen=True)
class Stage:
    key: str  # "before-14", "due", "overdue-1", ...; ordered by ``rank``
    rank: int
    on: date  # the business day it is (or was) due to go out
    reason: str  # review_due_soon | review_due | review_overdue
    escalate: bool = False


@lru_cache(maxsize=8192)
def stages(due: date, policy: ReminderPolicy, until: date) -> tuple[Stage, ...]:
    """Every reminder stage of a review due on ``due`` whose send date is on or before ``until``,
    in the order they go out. The escalation to the office lead is its own stage exactly
    ``escalate_after`` business days after the due date (merged into an overdue reminder of
    the same day)."""
    dated: list[tuple[date, str, str]] = [
        (add_business_days(due, -days), f"before-{days}", "review_due_soon")
        for days in policy.before
    ]
    due_day = due if is_business_day(due) else add_business_days(due, 0)
    dated.append((due_day, "due", "review_due"))
    overdue_days = max(business_days_between(due_day, until), 0)
    dated += [(add_business_days(due_day, n * policy.overdue_every), f"overdue-{n}",
               "review_overdue")
              for n in range(1, overdue_days // policy.overdue_every + 1)]
    escalation_day = add_business_days(due_day, policy.escalate_after)
    if not any(on == escalation_day for on, _k, _r in dated):
        dated.append((escalation_day, "escalation", "review_overdue"))
    dated.sort(key=lambda item: item[0])
    # Cached: a sweep asks about thousands of reviews sharing a handful of due dates.
    return tuple(Stage(key, rank, on, reason, escalate=(on == escalation_day))
                 for rank, (on, key, reason) in enumerate(dated) if on <= until)


@lru_cache(maxsize=8192)
def due_stage(due: date, today: date, last_stage: str | None,
              policy: ReminderPolicy) -> Stage | None:
    """The latest stage due by ``today`` that was not yet sent; missed earlier stages are not
    repeated (one timely reminder beats three stale ones after a scheduler outage)."""
    if not is_business_day(today):
        return None
    passed = stages(due, policy, today)
    if not passed:
        return None
    latest = passed[-1]
    sent_rank = next((s.rank for s in passed if s.key == last_stage), None)
    if sent_rank is not None and sent_rank >= latest.rank:
        return None
    return latest
