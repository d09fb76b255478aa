"""What the demo tells: who owns each initiative, where it stands, and what people wrote.

Owner rule (the plan leaves most initiatives without a bureau): the first printed bureau
that matches a seeded department; else a printed body we can place (区役所 → 北区, standing
in for the ward offices; 区保健福祉センター → 健康局; 市税事務所 → 財政局); else the first
keyword rule matching the title, then the summary (消防 → 消防局, 道路・橋梁 → 建設局, ...);
else デジタル統括室, which runs the city-wide initiatives itself.

Phase rule: a progress word in the plan's status text (検討中, 実証中, 導入済, ...) decides
through ``phase_for_status``; initiatives without KPIs stay in consultation (there is no
plan to approve yet); the rest are dealt, in a seeded shuffle, from ``SPREAD`` so that
every column of the office board and every chart has cases.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from workflow.interchange.status_words import infer_status_word, phase_for_status
from workflow.plans import KpiInput
from workflow.portfolio.action_plan import Initiative, PlanKpi
from workflow.portfolio.departments import DEPARTMENT_NAMES, match_department

CATEGORY_KEYS = {
    "サービスDX": "service",
    "都市・まちDX": "city",
    "行政DX": "administration",
    "DXを推進する仕組みづくり": "foundation",
}
VALUE_KEYS = {"サービス": "service", "あんしん": "anshin", "つながり": "tsunagari",
              "にぎわい": "nigiwai", "やさしさ": "yasashisa", "しごと": "shigoto"}
CITY_WIDE_OWNER = "デジタル統括室"
PRINTED_BODIES = {"区役所": "北区", "区保健福祉センター": "健康局", "市税事務所": "財政局"}
KEYWORD_OWNERS: tuple[tuple[str, str], ...] = (
    (r"消防|防火", "消防局"),
    (r"住宅", "都市整備局"),
    (r"保育|園児|こども|子ども|子育て|塾代", "こども青少年局"),
    (r"学校|教育|給食|文化財", "教育委員会事務局"),
    (r"ごみ|脱炭素|温室効果|環境学習|CO2", "環境局"),
    (r"港湾|CONPAS|コンテナ|夢洲", "大阪港湾局"),
    (r"道路|橋梁|BIM|建設生産|淀川左岸線|御堂筋|特殊車両|公園|設計図書|技術職員|監督職員",
     "建設局"),
    (r"大阪城|博物館|プール|中小企業|実証事業", "経済戦略局"),
    (r"町会|地活協|住民票|証明書|マイナンバー|地域", "市民局"),
    (r"保健|健康", "健康局"),
    (r"水道", "水道局"),
    (r"防災|災害", "危機管理室"),
    (r"予算|財務会計", "財政局"),
    (r"調達|契約", "契約管財局"),
    (r"人事給与", "人事室"),
    (r"情報発信", "政策企画室"),
)

# Where the initiatives without a progress word are dealt (52 in the 2024 plan).
SPREAD: tuple[str, ...] = (
    ("consultation_study",) * 2 + ("planning_as_is",) * 4 + ("planning_to_be",) * 4
    + ("planning_plan",) * 5 + ("planning_approval",) * 4 + ("solution_selection",) * 5
    + ("solution_poc",) * 5 + ("solution_rollout",) * 6 + ("review_monitoring",) * 10
    + ("closed_completed",) * 3 + ("closed_withdrawn",) * 2 + ("on_hold", "improved")
)
PLAN_NOT_APPROVED = frozenset({"consultation_hearing", "consultation_proposing",
                               "consultation_study", "planning_as_is", "planning_to_be",
                               "planning_plan", "planning_approval", "closed_withdrawn"})
NO_PLAN_SPREAD = ("consultation_hearing", "consultation_study", "consultation_proposing")
# When a case's story starts, as shares of the time from HISTORY_START to now:
# cases further along started earlier.
WINDOWS = {
    "consultation": (0.82, 0.95), "planning": (0.45, 0.78), "solution": (0.22, 0.6),
    "review": (0.0, 0.42), "closed_completed": (0.0, 0.15), "improved": (0.0, 0.2),
    "closed_withdrawn": (0.3, 0.7), "on_hold": (0.3, 0.45), "draft": (0.97, 0.99),
    "closed": (0.9, 0.97),
}
# The plan names the bureaus whose execution plans a consulting firm wrote (AP2024-095),
# and the information-dissemination review was done with a consultant too.
CONSULTANT_TITLES = ("民間保育施設等", "設計図書情報", "消防手続き", "土地所有者",
                     "スマートな情報発信")
CONSULTING_FIRMS = ("なにわ行政デザイン株式会社", "みおつくしデジタルパートナーズ株式会社")


@dataclass
class Story:
    """One case to tell: who owns it, what it says, how far it goes."""

    key: str
    department: str
    fields: dict
    target: str
    start_window: tuple[float, float]
    initiative: Initiative | None = None
    plan: dict | None = None          # KGI, notes: plan texts
    kpis: list[KpiInput] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    days_ago: int | None = None        # new consultations: created this long before now
    reached: date | None = None        # when the plan's status text says the target was reached
    plan_ready_from: int | None = None  # first fiscal year the plan can pass its guard


def owner_department(initiative: Initiative, known: Sequence[str] = DEPARTMENT_NAMES) -> str:
    """The department that owns ``initiative`` in the demo (see the module docstring)."""
    for name in initiative.departments:
        if (matched := match_department(name, known)) is not None:
            return matched
    for name in initiative.departments:
        if name in PRINTED_BODIES:
            return PRINTED_BODIES[name]
    for text in (initiative.title, initiative.summary):
        for pattern, owner in KEYWORD_OWNERS:
            if re.search(pattern, text):
                return owner
    return CITY_WIDE_OWNER


def kpi_input(kpi: PlanKpi) -> KpiInput:
    """A plan KPI as the plan editor takes it; a baseline printed as a dash stays "－"."""
    name = kpi.name or ("取組の段階" if kpi.kind == "milestone" else "数値目標")
    if kpi.segment:
        name = f"{name}（{kpi.segment}）"
    targets: dict[int, Decimal | str | None] = {
        fy: value if value is not None else kpi.target_texts.get(fy)
        for fy, value in kpi.targets.items()
    }
    targets.update({fy: text for fy, text in kpi.target_texts.items() if targets.get(fy) is None})
    note = ""
    if kpi.baseline_initial is not None and kpi.baseline_initial != kpi.baseline:
        note = f"基準値の当初設定数値：{_plain(kpi.baseline_initial)}{kpi.unit or ''}"
    return KpiInput(
        name=name[:300], unit=kpi.unit or "", direction=kpi.direction, baseline=kpi.baseline,
        baseline_text="" if kpi.baseline is not None else (kpi.baseline_text or "－"),
        baseline_label=kpi.baseline_label or "2023年度現在", note=note, targets=targets,
    )


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def initiative_story(initiative: Initiative, target: str) -> Story:
    summary = initiative.summary.strip()
    status = initiative.status_text.strip()
    problem = (f"これまでの取組状況：{status}" if status else
               f"「{initiative.group}」の実現に向けて、現在の手続きや業務の進め方を見直す必要がある。")
    fields = {
        "title": initiative.title, "case_type": "dx_project",
        "priority": "high" if "標準化" in initiative.title else "normal",
        "category": CATEGORY_KEYS.get(initiative.category),
        "values": [VALUE_KEYS[v] for v in initiative.values if v in VALUE_KEYS],
        "description": summary,
        "current_problem": problem,
        "desired_outcome": initiative.outcome or initiative.kgi or summary,
    }
    plan = None
    if initiative.kgi:
        schedule = f"\n\n【スケジュール】\n{initiative.schedule}" if initiative.schedule else ""
        plan = {
            "kgi": initiative.kgi, "kgi_note": initiative.kgi_note or "",
            "outcome": initiative.outcome or "",
            "as_is_notes": "【現状（As-Is）】\n" + (status or problem),
            "to_be_notes": "【あるべき姿（To-Be）】\n" + (initiative.outcome or summary) + schedule,
        }
    kpis = [kpi_input(k) for k in initiative.kpis]
    return Story(key=initiative.external_id, department=owner_department(initiative),
                 fields=fields, target=target, start_window=WINDOWS[_phase(target)],
                 initiative=initiative, plan=plan, kpis=kpis, plan_ready_from=_ready_from(kpis))


def _ready_from(kpis: list[KpiInput]) -> int | None:
    """The first FY (from 2023) with a target for that year or the next: what submit needs."""
    years = {fy for kpi in kpis for fy, value in (kpi.targets or {}).items()
             if value is not None and str(value).strip()}
    return next((fy for fy in range(2023, 2031) if fy in years or fy + 1 in years), None)


def _phase(target: str) -> str:
    return target if target in WINDOWS else target.split("_", 1)[0]


_MONTH = re.compile(r"(20\d\d)年(\d{1,2})月")


def status_date(status_text: str) -> date | None:
    """The latest month the status text names ("2024年3月より運用を開始した" -> 2024-03-01)."""
    months = [date(int(y), int(m), 1) for y, m in _MONTH.findall(status_text)
              if 1 <= int(m) <= 12]
    return max(months, default=None)


def initiative_stories(initiatives: Sequence[Initiative], rng: random.Random) -> list[Story]:
    """Every initiative with its owner and target state (status words first, then the spread)."""
    spread = list(SPREAD)
    rng.shuffle(spread)
    dealt = iter(spread * 2)
    no_plan = 0
    stories = []
    for initiative in initiatives:
        has_plan = bool(initiative.kpis and initiative.kgi)
        target = phase_for_status(infer_status_word(initiative.status_text), has_plan)
        reached = status_date(initiative.status_text) if target else None
        if not has_plan:
            target, no_plan = NO_PLAN_SPREAD[no_plan % len(NO_PLAN_SPREAD)], no_plan + 1
        elif target is None:
            target = next(dealt)
        story = initiative_story(initiative, target)
        story.reached = reached
        stories.append(story)
    _flag(stories, rng)
    return stories


def _flag(stories: list[Story], rng: random.Random) -> None:
    """Supporters and detours: consultants, experts (~20%), revision requests, overdue reviews."""
    for story in stories:
        if any(t in story.fields["title"] for t in CONSULTANT_TITLES):
            story.flags.add("consultant")
            if story.target in PLAN_NOT_APPROVED:  # the plan says: a project from FY2024 on
                story.target, story.start_window = "solution_selection", WINDOWS["solution"]
    planning = [s for s in stories if s.target in {"planning_as_is", "planning_to_be"}]
    for story in planning[:2]:
        story.flags.add("consultant")
    beyond = [s for s in stories if s.plan is not None]
    for story in rng.sample(beyond, k=min(len(beyond), round(len(stories) * 0.2))):
        story.flags.add("expert")
    for story in rng.sample(beyond, k=min(len(beyond), 5)):
        story.flags.add("ask_revision")
    withdrawn = [s for s in stories if s.target == "closed_withdrawn"]
    for story in withdrawn[:1]:
        story.flags.add("decide_no")  # the bureau declines the proposal; the others withdraw later
    monitoring = [s for s in stories if s.target == "review_monitoring"]
    for story in monitoring[::3]:
        story.flags.add("overdue")
    for story in stories:
        if rng.random() < 0.3:
            story.flags.add("comments")
