"""Playing the demo's steps through the real domain functions, as the right person each time.

State changes go through ``engine.fire``; fields, plans, comments, supporters and KPI reviews
through ``cases``, ``plans``, ``comments``, ``office`` and ``reviews``, which bump the case's
version and write the audit events exactly as the screens do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import engine
from workflow.cases import create_case, update_case
from workflow.comments import add_comment
from workflow.demo.requests import ADVICE, COMMENTS, REVIEW_TEXTS, TRANSITION_COMMENTS
from workflow.demo.stories import CONSULTING_FIRMS, Story
from workflow.errors import WorkflowError
from workflow.models import Case, Department, Kpi, Review, User
from workflow.office import add_supporter
from workflow.people.audit import record
from workflow.plans import plan_for, save_kpi, update_plan
from workflow.reviews.submission import ActualInput, submit_review  # go-live creates reviews
from workflow.states import BY_TRIGGER
from workflow.vocabulary import SECURITY_CHECKLIST

# Who fires each trigger; "office" is the case's office member, "planner" alternates between
# the bureau and the office (both may move planning forward).
TRIGGER_ROLES = {
    "submit": "requester", "send_back": "office", "accept": "office", "reject": "office_lead",
    "draft_proposal": "office", "send_proposal": "office", "ask_revision": "dept_manager",
    "decide_go": "dept_manager", "decide_no": "dept_manager", "finish_as_is": "planner",
    "finish_to_be": "planner", "submit_plan": "planner", "approve_plan": "dept_manager",
    "start_poc": "office", "start_rollout": "office", "go_live": "office", "hold": "office",
    "withdraw": "requester", "improve": "dept_manager", "complete": "dept_manager",
}
COMMIT_EVERY = 100


@dataclass(frozen=True)
class Step:
    at: datetime
    story: int
    beat: int
    action: str
    payload: object = None


class Cast:
    """The people of each department, the office member looking after it, the experts."""

    def __init__(self, session: Session, users: list[User]) -> None:
        self.by_dept: dict[tuple[int, str], User] = {
            (u.department_id, u.role): u for u in users if u.role in {"requester", "dept_manager"}}
        self.office = [u for u in users if u.role == "office"]
        self.lead = next(u for u in users if u.role == "office_lead")
        self.admin = next(u for u in users if u.role == "admin")
        self.experts = [u for u in users if u.role == "expert"]
        self.departments = {d.name: d for d in session.scalars(select(Department))}
        self.liaisons: dict[int, User] = {}

    def assign_liaisons(self, session: Session, names: list[str], now: datetime) -> None:
        """Each owning department gets an office member responsible for it (担当者)."""
        for n, name in enumerate(dict.fromkeys(names)):
            dept = self.departments[name]
            member = self.office[n % len(self.office)]
            dept.liaison_id, self.liaisons[dept.id] = member.id, member
            record(session, "department_admin", self.admin, now=now,
                   data={"action": "liaison", "department": name, "liaison": member.email})
        session.commit()

    def person(self, story: Story, role: str, index: int) -> User:
        dept = self.departments[story.department]
        if role == "planner":
            role = "requester" if index % 2 else "office"
        if role in {"requester", "dept_manager"}:
            return self.by_dept[(dept.id, role)]
        if role == "office":
            return self.liaisons[dept.id]
        if role == "office_lead":
            return self.lead
        if role == "expert":
            return self.experts[index % len(self.experts)]
        raise ValueError(role)


class Runner:
    """Plays steps in time order; a story whose step the engine refuses stops there."""

    def __init__(self, session: Session, cast: Cast, stories: list[Story],
                 rng: random.Random) -> None:
        self.session, self.cast, self.stories, self.rng = session, cast, stories, rng
        self.cases: dict[int, Case] = {}
        self.stopped: dict[str, str] = {}
        self.latest_by_category: dict[str | None, Case] = {}
        self.uncommitted = 0
        self.last_at: dict[int, datetime] = {}  # per story: when its previous step happened

    def play(self, step: Step) -> None:
        story = self.stories[step.story]
        if story.key in self.stopped:
            return
        self.uncommitted += 1
        if self.uncommitted >= COMMIT_EVERY:
            self.session.commit()  # one commit per batch: each costs an fsync on SQLite
            self.uncommitted = 0
        try:
            if step.action in BY_TRIGGER:
                self._fire(step, story, step.action)
            else:
                getattr(self, f"_{step.action}")(step, story)
            self.last_at[step.story] = step.at
        except WorkflowError as exc:
            # A story that cannot go on (e.g. the plan lacks a target for that year) stops
            # where it is, as a real case would; the summary lists it.
            self.stopped[story.key] = f"{step.action}: {exc.message('ja')}"

    def _who(self, step: Step, story: Story, role: str) -> User:
        return self.cast.person(story, role, step.story)

    # --- the case itself ----------------------------------------------------------------

    def _create(self, step: Step, story: Story) -> None:
        requester = self._who(step, story, "requester")
        source = {"source": "demo"}
        if story.initiative is not None:
            source |= {"external_id": story.key, "page": story.initiative.page}
        case = create_case(self.session, requester, dict(story.fields), now=step.at, commit=False,
                           audit_data=source)
        if story.initiative is not None:
            case.external_id = story.key
        self.session.flush()
        self.cases[step.story] = case

    def _fire(self, step: Step, story: Story, trigger: str) -> None:
        case = self.cases[step.story]
        actor = self._who(step, story, TRIGGER_ROLES[trigger])
        self._prepare(step, story, case, trigger, actor)
        comment = TRANSITION_COMMENTS.get(trigger) if BY_TRIGGER[trigger].comment_required else None
        engine.fire(self.session, case, trigger, actor, comment=comment, now=step.at, commit=False)
        if trigger == "send_proposal" and case.category:
            self.latest_by_category[case.category] = case

    def _prepare(self, step: Step, story: Story, case: Case, trigger: str, actor: User) -> None:
        """Fill in what the transition's guard checks, the way its users would."""
        # Written a little before the move, but after whatever the case saw last.
        last = self.last_at.get(step.story, step.at)
        at = max(step.at - timedelta(minutes=30), last + (step.at - last) / 2)
        if trigger == "send_proposal" and not case.proposal_text:
            update_case(self.session, case, actor, {"proposal_text": self._proposal(case)}, now=at,
                        commit=False)
        elif trigger == "finish_as_is" and story.plan:
            notes = {"as_is_notes": story.plan["as_is_notes"]}
            update_plan(self.session, case, actor, notes, now=at, commit=False)
        elif trigger == "finish_to_be" and story.plan:
            notes = {"to_be_notes": story.plan["to_be_notes"]}
            update_plan(self.session, case, actor, notes, now=at, commit=False)
        elif trigger == "submit_plan":
            answers = dict.fromkeys(SECURITY_CHECKLIST, "yes")
            if case.category == "foundation":
                answers["personal_data"] = "not_applicable"
            update_plan(self.session, case, actor, {"security_checklist": answers}, now=at,
                        commit=False)

    def _proposal(self, case: Case) -> str:
        earlier = self.latest_by_category.get(case.category)
        cite = "他都市の先行事例を参考にします。"
        if earlier is not None and earlier.id != case.id:
            cite = f"同じ分野の先行事例 {earlier.number}「{earlier.title}」の進め方を参考にします。"
        return (f"【提案の概要】\n{case.description}\n\n【進め方】\n"
                "1. 現行業務の可視化（As-Is）とBPRの論点整理\n"
                "2. あるべき姿（To-Be）と実行計画（KGI・KPI）の作成\n"
                "3. ソリューションの選定、必要に応じて実証（PoC）、導入と横展開\n\n"
                f"【参考事例】\n{cite}")

    def _plan_draft(self, step: Step, story: Story) -> None:
        case, author = self.cases[step.story], self._who(step, story, "planner")
        if story.plan:
            texts = {k: story.plan[k] for k in ("kgi", "kgi_note", "outcome")}
            update_plan(self.session, case, author, texts, now=step.at, commit=False)
        for n, kpi in enumerate(story.kpis):
            save_kpi(self.session, case, author, kpi, now=step.at + timedelta(seconds=n + 1),
                     commit=False)

    # --- people around the case ---------------------------------------------------------

    def _add_supporter(self, step: Step, story: Story, kind: str, user: User | None,
                       organization: str, note: str) -> None:
        add_supporter(self.session, self.cases[step.story], self._who(step, story, "office"),
                      kind=kind, user=user, organization=organization, note=note, now=step.at,
                      commit=False)

    def _add_expert(self, step: Step, story: Story) -> None:
        self._add_supporter(step, story, "expert", self._who(step, story, "expert"), "",
                            "業務改革（BPR）とデジタル技術の助言")

    def _add_consultant(self, step: Step, story: Story) -> None:
        firm = CONSULTING_FIRMS[step.story % len(CONSULTING_FIRMS)]
        self._add_supporter(step, story, "consultant", None, firm, "実行計画の策定支援")

    def _comment(self, step: Step, story: Story) -> None:
        case = self.cases[step.story]
        if step.payload == "expert":
            author = self._who(step, story, "expert")
            body = self.rng.choice(COMMENTS["expert"])
        elif step.payload == "advice":
            add_comment(self.session, case, self.cast.lead, ADVICE, kind="advice", now=step.at)
            return
        else:
            role, body = self.rng.choice(COMMENTS[str(step.payload)])
            author = self._who(step, story, role)
        add_comment(self.session, case, author, body, now=step.at)

    # --- KPI reviews (the go-live effect of workflow.reviews created them) ----------------

    def _submit_review(self, step: Step, story: Story) -> None:
        case, fy = self.cases[step.story], int(step.payload)
        review = self.session.scalar(select(Review).where(
            Review.case_id == case.id, Review.fiscal_year == fy, Review.period == "FY"))
        if review is None or review.status != "open":
            return  # no obligation that year (the plan set no target for it)
        plan = plan_for(self.session, case)
        actuals, results = [], []
        for kpi in plan.kpis:
            actual, result = self._actual(kpi, fy, story.target)
            actuals.append(actual)
            results.append(result)
        if story.target == "closed_completed":
            assessment = "achieved"
        elif story.target == "improved" or "behind" in results:
            assessment = "behind"
        else:
            assessment = "achieved" if results and set(results) == {"achieved"} else "on_track"
        comment, next_actions = REVIEW_TEXTS[assessment]
        submit_review(self.session, review, self._who(step, story, "dept_manager"),
                      assessment=assessment, actuals=actuals, comment=comment,
                      next_actions=next_actions, now=step.at)

    def _actual(self, kpi: Kpi, fy: int, target: str) -> tuple[ActualInput, str]:
        """A plausible actual for FY ``fy``, and how it compares with that year's target."""
        goal = kpi.target_for(fy)
        if goal is None or not goal.is_set:
            return ActualInput(kpi.id), "on_track"
        if goal.value is None:
            behind = target == "improved"
            text = "一部遅れ" if behind else "計画どおり実施"
            return ActualInput(kpi.id, text=text), "behind" if behind else "on_track"
        low, high = ((0.3, 0.6) if target == "improved" else
                     (1.0, 1.1) if target == "closed_completed" else (0.75, 1.15))
        start = kpi.baseline if kpi.baseline is not None else Decimal(0)
        value = start + (goal.value - start) * Decimal(str(round(self.rng.uniform(low, high), 2)))
        whole = goal.value == goal.value.to_integral() and start == start.to_integral()
        value = value.quantize(Decimal(1) if whole else Decimal("0.1"), rounding=ROUND_HALF_UP)
        met = value >= goal.value if kpi.direction == "increase" else value <= goal.value
        return ActualInput(kpi.id, value=value), "achieved" if met else "behind"
