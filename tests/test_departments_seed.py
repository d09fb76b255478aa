"""The seeded organisations and the matching of bureau names from the plan."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from workflow.portfolio.action_plan import load_action_plan
from workflow.portfolio.departments import (
    CITY_DEPARTMENTS,
    DEPARTMENT_NAMES,
    match_department,
    split_departments,
    unknown_departments,
)


def test_seed_list_shape() -> None:
    assert len(CITY_DEPARTMENTS) == 46
    kinds = Counter(d.kind for d in CITY_DEPARTMENTS)
    assert kinds == {"office": 5, "bureau": 16, "ward": 24, "joint": 1}
    for field in ("name", "name_en", "code", "sort_order"):
        values = [getattr(d, field) for d in CITY_DEPARTMENTS]
        assert len(set(values)) == 46, field
    orders = [d.sort_order for d in CITY_DEPARTMENTS]
    assert orders == sorted(orders)
    assert all(re.fullmatch(r"[a-z][a-z_]*", d.code) for d in CITY_DEPARTMENTS)
    assert all(d.name.endswith("区") for d in CITY_DEPARTMENTS if d.kind == "ward")


def test_seed_entries_are_tuples() -> None:
    name, kind, sort_order, name_en, code = CITY_DEPARTMENTS[0]
    assert (name, kind, name_en, code) == ("デジタル統括室", "office", "Digital Office", "digital")
    by_name = {d.name: d for d in CITY_DEPARTMENTS}
    assert by_name["財政局"][3:] == ("Finance Bureau", "finance")
    assert by_name["北区"][3:] == ("Kita Ward", "kita")
    assert by_name["大阪広域環境施設組合"].kind == "joint"
    assert by_name["教育委員会事務局"].code == "education"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("建設局・消防局", ["建設局", "消防局"]),
        ("市民局、区役所", ["市民局", "区役所"]),
        ("福祉局,健康局;環境局；水道局/財政局／人事室", ["福祉局", "健康局", "環境局", "水道局",
                                                  "財政局", "人事室"]),
        ("こども青少年局\n教育委員会事務局", ["こども青少年局", "教育委員会事務局"]),
        ("北区　都島区 ", ["北区", "都島区"]),
        ("", []),
        (None, []),
    ],
)  # fmt: skip
def test_split_departments(cell: str | None, expected: list[str]) -> None:
    assert split_departments(cell) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("福祉局", "福祉局"),
        (" 福祉局\u3000", "福祉局"),
        ("福祉", "福祉局"),
        ("デジタル統括", "デジタル統括室"),
        ("北", "北区"),
        ("教育委員会", "教育委員会事務局"),
        ("大阪市福祉局", "福祉局"),
        ("大阪市教育委員会", "教育委員会事務局"),
        ("北区役所", "北区"),
        ("港湾局", "大阪港湾局"),
        ("大阪市　北区", "北区"),
        ("区役所", None),
        ("市会", None),
        ("市税事務所", None),
        ("総務局", None),
        ("", None),
    ],
)
def test_match_department(name: str, expected: str | None) -> None:
    assert match_department(name, DEPARTMENT_NAMES) == expected


def test_match_department_uses_known_names_only() -> None:
    assert match_department("福祉局", ["健康局"]) is None
    assert match_department("教育委員会", ["福祉局"]) is None
    assert match_department("福祉") == "福祉局"
    # "中央" would be ambiguous between a ward and a bureau of the same stem.
    assert match_department("中央", ["中央区", "中央局"]) is None


def test_unknown_departments_in_plan() -> None:
    """Pinned: a change in the data's department names must be looked at."""
    plan = load_action_plan()
    assert unknown_departments(plan) == ["区保健福祉センター", "区役所", "市会", "市税事務所"]
    named = {name for initiative in plan for name in initiative.departments}
    matched = {name for name in named if match_department(name) is not None}
    assert matched == {
        "こども青少年局",
        "デジタル統括室",
        "契約管財局",
        "市民局",
        "建設局",
        "教育委員会事務局",
        "水道局",
        "消防局",
        "都市整備局",
    }
    assert matched | set(unknown_departments(plan)) == named
