"""Playing the demo's steps through the real domain functions, as the right person each time.

State changes go through ``engine.fire``; fields, plans and comments through ``cases``,
``plans`` and ``comments``. Supporters and submitted KPI reviews are written here with the
same version bump and audit event the domain modules use, until those modules exist.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import engine
from workflow.cases import bump_version, create_case, update_case
from workflow.comments import add_comment
from workflow.config import review_policy
from workflow.errors import WorkflowError
from workflow.fiscal import fiscal_year_bounds
from workflow.models import Case, Department, Kpi, Review, Supporter, User
from workflow.plans import plan_for, record_actual, save_kpi, update_plan
from workflow.portfolio.demo_requests import ADVICE, COMMENTS, REVIEW_TEXTS, TRANSITION_COMMENTS
from workflow.portfolio.demo_stories import CONSULTING_FIRMS, Story
from workflow.states import BY_TRIGGER
from workflow.users import record
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
    def __init__(self, session: Session, cast: Cast, stories: list[Story], rng: random.Random,
                 now: datetime) -> None:
        self.session, self.cast, self.stories, self.rng, self.now = session, cast, stories, rng, now
        self.cases: dict[int, Case] = {}
        self.stopped: dict[str, str] = {}
        self.latest_by_category: dict[str | None, Case] = {}
        self.uncommitted = 0

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
        at = step.at - timedelta(minutes=30)
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
            save_kpi(self.session, case, author, kpi, now=step.at + timedelta(minutes=5 * (n + 1)),
                     commit=False)

    # --- people around the case ---------------------------------------------------------

    def _add_supporter(self, step: Step, story: Story, kind: str, user: User | None,
                       organization: str, note: str) -> None:
        case = self.cases[step.story]
        self.session.add(Supporter(case_id=case.id, kind=kind, user_id=user.id if user else None,
                                   organization=organization, note=note, added_at=step.at))
        self.session.flush()
        version = bump_version(self.session, case, None, step.at)
        record(self.session, "supporter", self.cast.person(story, "office", step.story),
               case_id=case.id, case_version=version, now=step.at,
               data={"action": "add", "kind": kind, "name": user.name if user else organization})
        self.session.refresh(case)

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

    # --- KPI reviews --------------------------------------------------------------------

    def _review(self, case: Case, fy: int) -> Review | None:
        return self.session.scalar(select(Review).where(
            Review.case_id == case.id, Review.fiscal_year == fy, Review.period == "FY"))

    def _open_review(self, step: Step, story: Story) -> None:
        case, fy = self.cases[step.story], int(step.payload)
        if self._review(case, fy) is None:  # a reviews module may create it on go-live
            due = fiscal_year_bounds(fy)[1] + timedelta(days=review_policy().days_after_fy_end)
            self.session.add(Review(case_id=case.id, fiscal_year=fy, period="FY", due_date=due,
                                    owner_id=self._who(step, story, "dept_manager").id,
                                    created_at=step.at))
            self.session.flush()

    def _submit_review(self, step: Step, story: Story) -> None:
        case, fy = self.cases[step.story], int(step.payload)
        manager = self._who(step, story, "dept_manager")
        review = self._review(case, fy)
        if review is None:
            return
        plan = plan_for(self.session, case)
        outcome = "behind" if story.target == "improved" else None
        results = [self._actual(kpi, fy, manager, step.at, story.target) for kpi in plan.kpis]
        assessment = outcome or ("achieved" if results and all(r == "achieved" for r in results)
                                 else "behind" if "behind" in results else "on_track")
        if story.target == "closed_completed":
            assessment = "achieved"
        review.status, review.assessment = "submitted", assessment
        review.comment, review.next_actions = REVIEW_TEXTS[assessment]
        review.submitted_at, review.submitted_by_id = step.at, manager.id
        record(self.session, "review", manager, case_id=case.id, now=step.at,
               data={"action": "submit", "fiscal_year": fy, "assessment": assessment})
        self.session.flush()

    def _actual(self, kpi: Kpi, fy: int, manager: User, at: datetime, target: str) -> str:
        """Record a plausible actual for FY ``fy``; returns how it compares with the target."""
        goal = kpi.target_for(fy)
        if goal is None or not goal.is_set:
            return "on_track"
        if goal.value is None:
            behind = target == "improved"
            record_actual(self.session, kpi, fy, None, "一部遅れ" if behind else "計画どおり実施",
                          actor=manager, now=at)
            return "behind" if behind else "on_track"
        low, high = ((0.3, 0.6) if target == "improved" else
                     (1.0, 1.1) if target == "closed_completed" else (0.75, 1.15))
        start = kpi.baseline if kpi.baseline is not None else Decimal(0)
        value = start + (goal.value - start) * Decimal(str(round(self.rng.uniform(low, high), 2)))
        whole = goal.value == goal.value.to_integral() and start == start.to_integral()
        value = value.quantize(Decimal(1) if whole else Decimal("0.1"), rounding=ROUND_HALF_UP)
        record_actual(self.session, kpi, fy, value, actor=manager, now=at)
        met = value >= goal.value if kpi.direction == "increase" else value <= goal.value
        return "achieved" if met else "behind"
