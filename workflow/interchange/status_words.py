"""The city's progress words (検討中, 実証中, ...) mapped to the workflow's leaf states.

A progress word says where an initiative stands; whether the initiative already carries
a plan (KPIs with targets) decides between an early and a later reading of the same word:

- 検討中: consultation_study / planning_to_be
- 実証中: solution_poc
- 構築中: solution_rollout
- 実施中, 導入済: solution_rollout / review_monitoring
- 計画済: solution_selection
- 事業化予定: planning_plan
- 完了: closed_completed

("a / b" reads: a without a plan, b with one.) Callers override any row, or add words,
with ``overrides``: a word maps to one leaf state, to a ``(without_plan, with_plan)``
pair, or to None to ignore it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

LEAF_STATES = frozenset(
    {
        "consultation_submitted",
        "consultation_hearing",
        "consultation_proposing",
        "consultation_study",
        "planning_as_is",
        "planning_to_be",
        "planning_plan",
        "planning_approval",
        "solution_selection",
        "solution_poc",
        "solution_rollout",
        "review_monitoring",
        "closed_completed",
        "closed_withdrawn",
        "closed_rejected",
    }
)

PhaseRule = str | tuple[str, str]

DEFAULT_STATUS_PHASES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        # Still being studied; with KPIs set the target state is known, so planning has begun.
        "検討中": ("consultation_study", "planning_to_be"),
        "実証中": ("solution_poc", "solution_poc"),
        "構築中": ("solution_rollout", "solution_rollout"),
        # Running with KPIs means the plan's targets are now being monitored.
        "実施中": ("solution_rollout", "review_monitoring"),
        "導入済": ("solution_rollout", "review_monitoring"),
        "計画済": ("solution_selection", "solution_selection"),
        "事業化予定": ("planning_plan", "planning_plan"),
        "完了": ("closed_completed", "closed_completed"),
    }
)

# How each word tends to be written in the plan's prose (これまでの取組状況).
STATUS_WORD_PATTERNS: Mapping[str, str] = MappingProxyType(
    {
        "検討中": r"検討中|検討して(?:いる|おり)|検討を(?:行って|進めて|実施して)(?:いる|おり)",
        "実証中": r"実証中|実証を(?:開始|行って|実施して|進めて)|実証して(?:いる|おり)",
        "構築中": r"構築中|開発中|(?:構築|開発)を?開始|構築して(?:いる|おり)",
        "実施中": r"実施中|実施して(?:いる|おり)|推進して(?:いる|おり)|進めて(?:いる|おり)",
        "導入済": r"導入済み?|導入した|運用を開始(?:した)?|運用開始(?!予定|に向け)",
        "計画済": r"計画済み?|策定した|を策定(?!中)",
        "事業化予定": r"事業化予定|事業化する予定",
        # "完了に向けて" and "完了予定" look ahead to completion; they are not completion.
        "完了": r"完了(?!に向け|予定|見込)",
    }
)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _validated(overrides: Mapping[str, PhaseRule | None]) -> dict[str, tuple[str, str] | None]:
    rules: dict[str, tuple[str, str] | None] = {}
    for word, rule in overrides.items():
        pair = (rule, rule) if isinstance(rule, str) else rule
        if pair is not None and not set(pair) <= LEAF_STATES:
            raise ValueError(f"override for {word!r} names an unknown leaf state: {rule!r}")
        rules[_normalise(word)] = pair
    return rules


def infer_status_word(
    status_text: str | None, overrides: Mapping[str, PhaseRule | None] | None = None
) -> str | None:
    """The known progress word appearing first in ``status_text`` (verb forms included)."""
    if not status_text:
        return None
    text = _normalise(status_text)
    patterns = dict(STATUS_WORD_PATTERNS)
    for word in overrides or {}:
        patterns.setdefault(_normalise(word), re.escape(_normalise(word)))
    best: tuple[int, int, str] | None = None
    for word, pattern in patterns.items():
        match = re.search(pattern, text)
        # Earliest match wins; at the same position the longer one ("事業化予定" over "完了").
        if match and (best is None or (match.start(), -len(match[0])) < best[:2]):
            best = (match.start(), -len(match[0]), word)
    return best[2] if best else None


def phase_for_status(
    word: str | None,
    has_plan: bool,
    overrides: Mapping[str, PhaseRule | None] | None = None,
) -> str | None:
    """The leaf state for a progress word (or a verb form of it); None when unknown."""
    if not word:
        return None
    rules: dict[str, tuple[str, str] | None] = dict(DEFAULT_STATUS_PHASES)
    rules.update(_validated(overrides or {}))
    key = _normalise(word)
    if key not in rules:
        # A whole verb form ("導入済み", "検討している") reads as its word; prose does not.
        forms = STATUS_WORD_PATTERNS.items()
        key = next((w for w, pattern in forms if re.fullmatch(pattern, key)), key)
    pair = rules.get(key)
    return None if pair is None else pair[1 if has_plan else 0]
