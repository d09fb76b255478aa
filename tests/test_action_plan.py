"""The packaged action plan parses completely and faithfully."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal
from importlib.resources import files

import pytest

from workflow.portfolio.action_plan import (
    Initiative,
    PlanKpi,
    infer_direction,
    is_blank,
    load_action_plan,
    parse_action_plan,
    parse_number,
    split_revised,
)


@pytest.fixture(scope="module")
def plan() -> list[Initiative]:
    return load_action_plan()


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return json.loads((files("workflow") / "data" / "action_plan.json").read_text("utf-8"))


def _kpis(plan: list[Initiative]) -> list[PlanKpi]:
    return [kpi for initiative in plan for kpi in initiative.kpis]


def test_all_initiatives_load(plan: list[Initiative]) -> None:
    assert len(plan) == 71
    assert all(isinstance(i, Initiative) and i.title and i.category for i in plan)
    assert {i.category for i in plan} == {
        "サービスDX",
        "都市・まちDX",
        "行政DX",
        "DXを推進する仕組みづくり",
    }
    assert len(_kpis(plan)) == 80
    assert sum(1 for i in plan if not i.kpis) == 5


def test_external_ids_unique_and_stable(plan: list[Initiative]) -> None:
    ids = [i.external_id for i in plan]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"AP2024-\d{3}-\d+", i) for i in ids)
    assert [i.external_id for i in load_action_plan()] == ids
    # Pages 79 and 80 each hold three initiatives.
    assert {"AP2024-079-1", "AP2024-079-3", "AP2024-080-3"} <= set(ids)
    assert plan[0].external_id == "AP2024-024-1"


def test_known_initiative(plan: list[Initiative]) -> None:
    (online,) = [i for i in plan if i.title == "行政手続きのオンライン化を推進"]
    (kpi,) = online.kpis
    assert kpi.name == "オンライン化する手続き数"
    assert kpi.unit == "手続き"
    assert kpi.baseline == Decimal(1000)
    assert kpi.targets == {2024: Decimal(1300), 2025: Decimal(2000), 2026: Decimal(2000)}
    assert kpi.target_texts == {}
    assert kpi.direction == "increase"
    assert online.departments == ()


def test_every_target_cell_is_a_number_or_text(plan: list[Initiative], rows: list[dict]) -> None:
    for row, initiative in zip(rows, plan, strict=True):
        for raw, kpi in zip(row["kpis"], initiative.kpis, strict=True):
            for key, cell in raw["raw"].items():
                if key == "baseline" or is_blank(cell):
                    continue
                fy = int(key)
                assert kpi.targets[fy] is not None or fy in kpi.target_texts, (kpi, fy)
                if fy not in kpi.target_texts:
                    assert parse_number(cell) == kpi.targets[fy]
            assert all(v is None or isinstance(v, Decimal) for v in kpi.targets.values())


def test_target_counts(plan: list[Initiative]) -> None:
    """Pinned so that a change to the data is noticed."""
    kpis = _kpis(plan)
    numeric = [k for k in kpis if any(v is not None for v in k.targets.values())]
    text_only = [k for k in kpis if k not in numeric and k.target_texts]
    assert (len(numeric), len(text_only)) == (50, 29)
    assert sum(1 for k in numeric if k.target_texts) == 10
    assert sum(v is not None for k in kpis for v in k.targets.values()) == 113
    assert sum(len(k.target_texts) for k in kpis) == 101
    assert {k.kind for k in text_only} == {"milestone"}


def test_text_and_mixed_cells(plan: list[Initiative]) -> None:
    by_id = {i.external_id: i for i in plan}
    museum = by_id["AP2024-053-1"].kpis[0]
    assert museum.targets[2025] == Decimal(3_600_000)
    assert "360万人" in museum.target_texts[2025]
    generative = by_id["AP2024-085-1"].kpis[1]
    assert generative.targets[2024] is None
    assert generative.target_texts[2024] == "特定：1～2業務"
    backoffice = by_id["AP2024-078-1"].kpis[0]
    assert backoffice.targets[2027] == Decimal(6)
    assert backoffice.uncertain and backoffice.baseline_text == "グランドデザイン策定"
    cashless = by_id["AP2024-036-1"].kpis
    assert [k.segment for k in cashless] == ["区役所", "市税事務所"]


def test_baseline_initial_values(plan: list[Initiative], rows: list[dict]) -> None:
    for row, initiative in zip(rows, plan, strict=True):
        for raw, kpi in zip(row["kpis"], initiative.kpis, strict=True):
            expected = raw.get("baseline_initial_value")
            assert kpi.baseline_initial == (None if expected is None else parse_number(expected))
            assert kpi.original_targets == {}  # the plan prints no revised targets
    smes = {i.external_id: i for i in plan}["AP2024-055-1"].kpis[0]
    assert (smes.baseline, smes.baseline_initial) == (Decimal(250), Decimal(200))


def test_original_target_in_brackets() -> None:
    row = {
        "page": 1,
        "title": "t",
        "category": "行政DX",
        "group": "g",
        "kpis": [
            {
                "name": "件数",
                "kind": "numeric",
                "baseline": None,
                "targets": {"2024": None},
                "raw": {"baseline": "約250件（200件）", "2024": "100件（80件）"},
            }
        ],
    }
    (initiative,) = parse_action_plan([row])
    kpi = initiative.kpis[0]
    assert kpi.targets == {2024: Decimal(100)}
    assert kpi.original_targets == {2024: Decimal(80)}
    assert kpi.baseline_initial == Decimal(200)
    assert kpi.baseline_text is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,000手続き", 1000), ("2,000※手続き", 2000), ("１，３００手続き", 1300),
        ("約3,000", 3000), ("約７万件", 70_000), ("176万人", 1_760_000), ("80%", 80),
        ("39.8％", Decimal("39.8")), ("95 %以上", 95), ("汎用：70％", 70), ("200回／月", 200),
        ("57% (53％)", 57), ("０件", 0), (1300, 1300), (39.8, Decimal("39.8")),
        ("－", None), ("-", None), ("—", None), ("ー", None), ("―", None), ("", None),
        (None, None), ("ー（未導入）", None), ("特定：1～2業務", None), ("構築", None),
        ("24年度までの状況を踏まえて設定", None), ("カメラ設置（累計9台）・運用検証", None),
    ],
)  # fmt: skip
def test_parse_number(text: str | int | float | None, expected: Decimal | int | None) -> None:
    result = parse_number(text)
    assert result == expected
    assert result is None or isinstance(result, Decimal)


def test_split_revised() -> None:
    assert split_revised("88.2％(80%)") == ("88.2%", Decimal(80))
    assert split_revised("360万人（2019年度 257万人）")[1] is None
    assert split_revised("ー（未導入）")[1] is None


def test_direction() -> None:
    d = Decimal
    assert infer_direction("件数", "件", [d(10), d(8), d(5)]) == "decrease"
    assert infer_direction("処理時間の削減", "分", [None, d(5), d(5)]) == "decrease"
    # Counting the hours saved: more is better, despite 短縮/削減 in the name.
    assert infer_direction("短縮する窓口手続き時間", "時間", [None, d(165), d(330)]) == "increase"
    assert infer_direction("機器を利用することで削減する職員の作業時間", "時間/月", [d(72)]) == (
        "increase"
    )
    assert infer_direction(None, None, []) == "increase"


def test_directions_in_data(plan: list[Initiative]) -> None:
    decreasing = [
        (i.external_id, k.name) for i in plan for k in i.kpis if k.direction == "decrease"
    ]
    assert decreasing == [("AP2024-025-1", "園児の登降園状況の把握漏れ発生件数")]


def test_dataclasses_are_frozen_and_hashable(plan: list[Initiative]) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan[0].title = "x"  # type: ignore[misc]
    assert len({hash(i) for i in plan}) == len(plan)
