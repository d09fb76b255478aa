"""Progress words map onto the workflow's leaf states."""

from __future__ import annotations

import pytest

from workflow.interchange.status_words import (
    DEFAULT_STATUS_PHASES,
    LEAF_STATES,
    infer_status_word,
    phase_for_status,
)
from workflow.portfolio.action_plan import load_action_plan


@pytest.mark.parametrize(
    ("word", "without_plan", "with_plan"),
    [
        ("検討中", "consultation_study", "planning_to_be"),
        ("実証中", "solution_poc", "solution_poc"),
        ("実施中", "solution_rollout", "review_monitoring"),
        ("導入済", "solution_rollout", "review_monitoring"),
        ("構築中", "solution_rollout", "solution_rollout"),
        ("計画済", "solution_selection", "solution_selection"),
        ("事業化予定", "planning_plan", "planning_plan"),
        ("完了", "closed_completed", "closed_completed"),
    ],
)
def test_default_mapping(word: str, without_plan: str, with_plan: str) -> None:
    assert phase_for_status(word, has_plan=False) == without_plan
    assert phase_for_status(word, has_plan=True) == with_plan


def test_defaults_are_leaf_states() -> None:
    assert len(LEAF_STATES) == 15
    assert {s for pair in DEFAULT_STATUS_PHASES.values() for s in pair} <= LEAF_STATES


def test_verb_forms_and_unknown_words() -> None:
    assert phase_for_status("導入済み", has_plan=True) == "review_monitoring"
    assert phase_for_status(" 検討している", has_plan=False) == "consultation_study"
    assert phase_for_status("順調に推移", has_plan=False) is None
    assert phase_for_status("未完了です", has_plan=False) is None
    assert phase_for_status(None, has_plan=True) is None
    assert phase_for_status("", has_plan=True) is None


def test_overrides() -> None:
    overrides = {
        "検討中": "consultation_hearing",
        "実施中": ("solution_poc", "solution_rollout"),
        "運用中": "review_monitoring",
        "完了": None,
    }
    assert phase_for_status("検討中", has_plan=True, overrides=overrides) == "consultation_hearing"
    assert phase_for_status("実施中", has_plan=False, overrides=overrides) == "solution_poc"
    assert phase_for_status("実施中", has_plan=True, overrides=overrides) == "solution_rollout"
    assert phase_for_status("運用中", has_plan=False, overrides=overrides) == "review_monitoring"
    assert phase_for_status("完了", has_plan=False, overrides=overrides) is None
    # Defaults are untouched by an override passed once.
    assert phase_for_status("検討中", has_plan=True) == "planning_to_be"
    assert infer_status_word("現在、運用中である", overrides) == "運用中"


def test_override_must_name_a_leaf_state() -> None:
    with pytest.raises(ValueError, match="unknown leaf state"):
        phase_for_status("検討中", has_plan=False, overrides={"検討中": "consultation"})
    with pytest.raises(ValueError, match="unknown leaf state"):
        phase_for_status("検討中", has_plan=False, overrides={"検討中": ("planning_plan", "x")})


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("ツールの活用を検討している。", "検討中"),
        ("AI電話による自動応答サービスの実証を開始した。", "実証中"),
        ("AIによる解析システムを業務委託にて開発中", "構築中"),
        ("2024年3月にCONPASの本格運用を開始", "導入済"),
        ("下記の取組を実施し、2024年度に事業化予定", "事業化予定"),
        ("制作完了に向けて、順調に推移", None),
        ("2024年4月から運用開始予定", None),
        ("システムの構築が完了した。", "完了"),
        ("検討中。その後、導入済み", "検討中"),
        ("", None),
        (None, None),
    ],
)
def test_infer_status_word(text: str | None, word: str | None) -> None:
    assert infer_status_word(text) == word


def test_status_words_found_in_plan() -> None:
    """Pinned: which initiatives' progress paragraphs carry a recognisable word."""
    found = {
        i.external_id: infer_status_word(i.status_text)
        for i in load_action_plan()
        if infer_status_word(i.status_text)
    }
    assert found == {
        "AP2024-024-1": "検討中",
        "AP2024-027-1": "導入済",
        "AP2024-028-1": "構築中",
        "AP2024-039-1": "計画済",
        "AP2024-058-1": "実証中",
        "AP2024-069-1": "構築中",
        "AP2024-072-1": "計画済",
        "AP2024-075-1": "導入済",
        "AP2024-078-1": "計画済",
        "AP2024-082-1": "計画済",
        "AP2024-083-1": "導入済",
        "AP2024-084-1": "導入済",
        "AP2024-087-1": "構築中",
        "AP2024-095-1": "事業化予定",
    }
