"""When each step of a demo story happens: office hours on business days, FY2023 to now.

A story's beats are spaced by typical gaps (``GAPS``), squeezed when the story must fit
before ``now`` (or before the month the plan says it got there), and reviews follow each
fiscal year's end as the managers would submit them.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from workflow.business_days import is_business_day, next_business_day, previous_business_day
from workflow.config import review_policy
from workflow.demo.runner import Step
from workflow.demo.stories import Story
from workflow.fiscal import TOKYO, fiscal_year, fiscal_year_bounds

# The history starts with FY2023, the year the plan's KPI baselines describe.
HISTORY_START = datetime(2023, 4, 10, 0, 0, tzinfo=UTC)  # Monday 09:00 in Tokyo

# Days between one step and the next, (fewest, most); scaled down when a story must fit.
GAPS = {
    "submit": (2, 12), "accept": (1, 5), "draft_proposal": (7, 25), "send_proposal": (7, 20),
    "ask_revision": (5, 15), "decide_go": (10, 30), "decide_no": (10, 30), "plan_draft": (5, 15),
    "finish_as_is": (25, 60), "finish_to_be": (25, 60), "submit_plan": (20, 50),
    "approve_plan": (5, 20), "start_poc": (30, 80), "start_rollout": (40, 110),
    "go_live": (30, 100), "hold": (20, 60), "withdraw": (20, 60), "reject": (1, 4),
    "send_back": (1, 3), "add_expert": (3, 20), "add_consultant": (3, 15), "comment": (2, 10),
}
REVIEW_TARGETS = frozenset({"review_monitoring", "closed_completed", "improved"})
EARLY_TARGETS = frozenset({"draft", "sent_back", "consultation_submitted", "consultation_hearing",
                           "consultation_proposing", "consultation_study", "closed_rejected",
                           "planning_as_is", "planning_to_be", "planning_plan"})


def _beats(story: Story, rng: random.Random) -> list[tuple[str, object]]:
    """The actions that take ``story`` from nothing to its target state, in order."""
    target, flags = story.target, story.flags
    beats: list[tuple[str, object]] = [("create", None)]
    if target == "draft":
        return beats
    if target == "sent_back":
        return [*beats, ("submit", None), ("send_back", None)]
    beats.append(("submit", None))
    if target == "consultation_submitted":
        return beats
    if target == "closed_rejected":
        return [*beats, ("reject", None)]
    beats.append(("accept", None))
    if "comments" in flags:
        beats.append(("comment", "hearing"))
    if target == "consultation_hearing":
        return beats
    beats.append(("draft_proposal", None))
    if target == "consultation_proposing":
        return beats
    beats.append(("send_proposal", None))
    if "ask_revision" in flags and target != "consultation_study":
        beats += [("ask_revision", None), ("send_proposal", None)]
    if "comments" in flags:
        beats.append(("comment", "study"))
    if target == "consultation_study":
        return beats
    if target == "closed_withdrawn" and "decide_no" in flags:
        return [*beats, ("decide_no", None)]
    beats.append(("decide_go", None))
    if "consultant" in flags:
        beats.append(("add_consultant", None))
    if "expert" in flags:
        beats.append(("add_expert", None))
    beats.append(("plan_draft", None))
    if "expert" in flags and "comments" in flags:
        beats.append(("comment", "expert"))
    if target == "planning_as_is":
        return beats
    beats.append(("finish_as_is", None))
    if "comments" in flags:
        beats.append(("comment", "planning"))
    if target == "planning_to_be":
        return beats
    if target == "closed_withdrawn":
        return [*beats, ("withdraw", None)]
    beats.append(("finish_to_be", None))
    if target == "planning_plan":
        return beats
    beats.append(("submit_plan", None))
    if target == "planning_approval":
        return beats
    beats.append(("approve_plan", None))
    if target == "solution_selection":
        return beats
    if target in {"solution_poc", "on_hold"} or rng.random() < 0.5:
        beats.append(("start_poc", None))
    if target == "solution_poc":
        return beats
    if target == "on_hold":
        return [*beats, ("hold", None)]
    beats.append(("start_rollout", None))
    if "comments" in flags:
        beats.append(("comment", "solution"))
    if target == "solution_rollout":
        return beats
    return [*beats, ("go_live", None)]


def steps_for(story: Story, n: int, rng: random.Random, now: datetime) -> list[Step]:
    """The timed steps of story number ``n``, none at or after ``now``."""
    beats = _beats(story, rng)
    gaps = [rng.randint(*GAPS[action]) if i else 0 for i, (action, _p) in enumerate(beats)]
    start, limit = _window(story, sum(gaps), rng, now)
    room = (limit - start) / timedelta(days=1)
    scale = max(0.0, min(1.0, room / sum(gaps))) if sum(gaps) else 1.0
    steps, at = [], start
    for i, ((action, payload), gap) in enumerate(zip(beats, gaps, strict=True)):
        at = _office_hours(at + timedelta(days=gap * scale), rng, after=at if i else None,
                           before=now if story.days_ago is not None else None)
        if at >= now:
            break
        steps.append(Step(at, n, i, action, payload))
    if story.target in REVIEW_TARGETS and steps and steps[-1].action == "go_live":
        steps += _review_steps(story, n, steps[-1].at, rng, now)
    return steps


def _window(story: Story, days: int, rng: random.Random, now: datetime
            ) -> tuple[datetime, datetime]:
    """When the story starts, and by when its last step must have happened."""
    limit = now - timedelta(days=2)
    if story.days_ago is not None:
        start = _office_hours(now - timedelta(days=story.days_ago), rng, after=None)
        if start >= now - timedelta(hours=1):  # "yesterday" was a holiday: the day before it
            start = datetime.combine(previous_business_day(now.astimezone(TOKYO).date()),
                                     time(10), TOKYO).astimezone(UTC)
        return start, now - timedelta(hours=1)
    if story.reached is not None:  # the plan says when: "2024年3月より運用を開始"
        reached = datetime.combine(story.reached, time(10), TOKYO) + timedelta(
            days=rng.randint(0, 20))
        limit = min(limit, reached.astimezone(UTC))
        start = max(HISTORY_START, limit - timedelta(days=days))
        return _office_hours(start, rng, after=None), limit
    low, high = story.start_window
    start = HISTORY_START + (now - HISTORY_START) * rng.uniform(low, high)
    if story.plan_ready_from and story.target not in EARLY_TARGETS:
        # A plan whose first target is years away can only be submitted close to that year.
        first_day = fiscal_year_bounds(story.plan_ready_from)[0]
        start = max(start, datetime.combine(first_day, time(), TOKYO) - timedelta(days=120))
    start = _office_hours(start, rng, after=None)
    if story.target in REVIEW_TARGETS:
        # Live before the current fiscal year begins, so last year's review exists.
        fy_start = datetime.combine(fiscal_year_bounds(fiscal_year(now))[0], time(), TOKYO)
        limit = min(limit, max(fy_start - timedelta(days=20), start + timedelta(days=120)))
    return start, limit


def _review_steps(story: Story, n: int, live: datetime, rng: random.Random,
                  now: datetime) -> list[Step]:
    """Yearly reviews after go-live: submitted after each FY end, the last one sometimes overdue."""
    steps: list[Step] = []
    beat = 100
    days_after = review_policy().days_after_fy_end
    today = now.astimezone(TOKYO).date()
    past_due = [fy for fy in range(fiscal_year(live), fiscal_year(now) + 1)
                if fiscal_year_bounds(fy)[1] + timedelta(days=days_after) < today]
    if "overdue" in story.flags:
        past_due = past_due[:-1]  # the latest one is still waiting for its manager
    last_submitted = None
    for fy in past_due:
        after_fy = timedelta(days=rng.randint(25, days_after - 5))
        submitted = _office_hours(datetime.combine(fiscal_year_bounds(fy)[1], time(), TOKYO)
                                  + after_fy, rng, after=None)
        if submitted < now:
            steps.append(Step(submitted, n, beat, "submit_review", fy))
            beat += 1
            last_submitted = submitted
    if "comments" in story.flags and last_submitted is not None:
        steps.append(Step(last_submitted + timedelta(hours=2), n, beat, "comment", "review"))
        beat += 1
    if story.target in {"closed_completed", "improved"} and last_submitted is not None:
        closing = _office_hours(last_submitted + timedelta(days=rng.randint(10, 40)), rng,
                                after=last_submitted)
        if closing < now:
            trigger = "complete" if story.target == "closed_completed" else "improve"
            steps.append(Step(closing, n, beat, trigger))
            if trigger == "improve":
                steps.append(Step(closing + timedelta(hours=1), n, beat + 1, "comment", "advice"))
    return steps


def _office_hours(moment: datetime, rng: random.Random, after: datetime | None,
                  before: datetime | None = None) -> datetime:
    """The same or next business day, at a time between 9:00 and 17:30 in Tokyo (a step
    that must come after ``after`` and before ``before`` may run into the evening)."""
    day: date = moment.astimezone(TOKYO).date()
    if not is_business_day(day):
        day = next_business_day(day)
    minutes = rng.randint(0, 510)
    local = datetime.combine(day, time(9), TOKYO) + timedelta(minutes=minutes)
    result = local.astimezone(UTC)
    if after is not None and result <= after:
        result = after + timedelta(minutes=rng.randint(10, 90))
        if result.astimezone(TOKYO).time() > time(17, 45):  # after hours: next morning
            morning = datetime.combine(next_business_day(result.astimezone(TOKYO).date()),
                                       time(9), TOKYO)
            result = (morning + timedelta(minutes=rng.randint(0, 120))).astimezone(UTC)
    if before is not None and after is not None and result >= before > after:
        result = min(after + timedelta(minutes=rng.randint(5, 30)), after + (before - after) / 2)
    return result
