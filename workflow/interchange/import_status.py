"""How a status cell becomes the state an imported case arrives in.

Read in this order (the first that applies wins):

1. ``--status-map WORD=STATE`` (or ``WORD=STATE_WITHOUT_PLAN/STATE_WITH_PLAN``) given by the user;
2. a state code (``planning_plan``) or a state's label, as dxflow exports them
   ("企画・BPR：実行計画の作成", "Planning & BPR: Execution plan", "実行計画の作成");
3. a phase's name: 相談 → consultation_submitted (waits in the office's triage queue),
   企画・BPR → planning_as_is, ソリューション導入 → solution_selection, KPI評価 →
   review_monitoring, 完了 → closed_completed;
4. the city's progress words (``status_words.DEFAULT_STATUS_PHASES``), where a row whose KPIs
   carry targets counts as having a plan: 検討中 → consultation_study / planning_to_be,
   実証中 → solution_poc, 構築中 → solution_rollout, 実施中・導入済 → solution_rollout /
   review_monitoring, 計画済 → solution_selection, 事業化予定 → planning_plan, 完了 →
   closed_completed; plus 未着手 → consultation_submitted, 相談中 → consultation_hearing,
   中止・取下げ → closed_withdrawn, 対象外 → closed_rejected (``IMPORT_STATUS_WORDS``);
5. a sentence containing one of those words ("…の実証を開始した") reads as that word, and
   the report says so.

A blank status reads as 検討中 (with a warning). Drafts and 保留 (on hold) cannot be imported:
a draft belongs to one bureau's clerk, and a held case must know the state it resumes to
(give it with a 保留前の状態コード column, as dxflow's export does).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from workflow.interchange.status_words import (
    DEFAULT_STATUS_PHASES,
    LEAF_STATES,
    PhaseRule,
    infer_status_word,
    phase_for_status,
)
from workflow.states import PHASES, STATES, state_label, substate_label

IMPORT_STATUS_WORDS: dict[str, PhaseRule] = {
    "未着手": "consultation_submitted",
    "相談中": "consultation_hearing",
    "中止": "closed_withdrawn",
    "取下げ": "closed_withdrawn",
    "取り下げ": "closed_withdrawn",
    "対象外": "closed_rejected",
}
PHASE_ENTRY = {
    "consultation": "consultation_submitted", "planning": "planning_as_is",
    "solution": "solution_selection", "review": "review_monitoring",
    "closed": "closed_completed",
}
BLANK_STATUS = "検討中"


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for state in STATES:
        labels[_key(state)] = state
        for lang in ("ja", "en"):
            labels[_key(state_label(state, lang))] = state
            labels.setdefault(_key(substate_label(state, lang)), state)
    for phase in PHASES:
        if phase.name in PHASE_ENTRY:
            for text in (phase.name, phase.label("ja"), phase.label("en")):
                labels[_key(text)] = PHASE_ENTRY[phase.name]
    return labels


_LABELS = _labels()


@dataclass(frozen=True)
class StatusReading:
    state: str | None
    inferred_word: str | None = None  # set when read from a sentence
    refused: str | None = None  # "draft" | "on_hold" when the cell names one of those


def parse_status_map(items) -> dict[str, PhaseRule]:
    """``["試行中=solution_poc", "検討中=consultation_hearing/planning_as_is"]``; ValueError."""
    rules: dict[str, PhaseRule] = {}
    for item in items:
        word, sep, target = item.rpartition("=")
        word, target = word.strip(), target.strip()
        states = tuple(s.strip() for s in target.split("/"))
        if not sep or not word or len(states) > 2 or not set(states) <= LEAF_STATES:
            raise ValueError(f"--status-map needs WORD=STATE (or WORD=STATE/STATE), not '{item}';"
                             f" states: {', '.join(sorted(LEAF_STATES))}")
        rules[word] = states[0] if len(states) == 1 else (states[0], states[1])
    return rules


def read_status(text: str | None, has_plan: bool,
                overrides: Mapping[str, PhaseRule] | None = None) -> StatusReading:
    """The state a status cell names; ``state`` is None when nothing applies."""
    overrides = dict(overrides or {})
    text = (text or "").strip()
    if not text:
        return StatusReading(phase_for_status(BLANK_STATUS, has_plan))
    key = _key(text)
    for word, rule in overrides.items():
        if _key(word) == key:
            return StatusReading(rule if isinstance(rule, str) else rule[1 if has_plan else 0])
    state = _LABELS.get(key)
    if state in ("draft", "on_hold"):
        return StatusReading(None, refused=state)
    if state is not None:
        return StatusReading(state)
    rules = {**IMPORT_STATUS_WORDS, **overrides}
    state = phase_for_status(text, has_plan, rules)
    if state is not None:
        return StatusReading(state)
    word = infer_status_word(text, rules)
    if word is not None:
        return StatusReading(phase_for_status(word, has_plan, rules), inferred_word=word)
    return StatusReading(None)


def mapping_table() -> list[tuple[str, str, str]]:
    """(word, state without a plan, state with a plan) for the import page and --help."""
    rows = [(w, a, b) for w, (a, b) in DEFAULT_STATUS_PHASES.items()]
    for word, rule in IMPORT_STATUS_WORDS.items():
        a, b = (rule, rule) if isinstance(rule, str) else rule
        rows.append((word, a, b))
    return rows
