from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.fiscal import (
    TOKYO,
    fiscal_year,
    fiscal_year_bounds,
    fiscal_year_label,
    format_date,
    format_datetime,
    parse_fiscal_year,
    wareki_year,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 4, 1), 2025),
        (date(2026, 3, 31), 2025),
        (date(2026, 4, 1), 2026),
        (date(2026, 1, 1), 2025),
        (date(2025, 12, 31), 2025),
        # 15:30 UTC on March 31 is already April 1, 00:30 in Tokyo.
        (datetime(2026, 3, 31, 15, 30, tzinfo=UTC), 2026),
        (datetime(2026, 3, 31, 14, 59, tzinfo=UTC), 2025),
        (datetime(2026, 4, 1, 8, 0, tzinfo=timezone(timedelta(hours=9))), 2026),
        # Naive datetimes are Tokyo local time.
        (datetime(2026, 3, 31, 23, 59), 2025),
        (datetime(2026, 4, 1, 0, 0), 2026),
    ],
)
def test_fiscal_year(value, expected):
    assert fiscal_year(value) == expected


def test_fiscal_year_bounds():
    assert fiscal_year_bounds(2025) == (date(2025, 4, 1), date(2026, 3, 31))
    assert fiscal_year_bounds(2023) == (date(2023, 4, 1), date(2024, 3, 31))


@given(st.dates(min_value=date(1927, 1, 1), max_value=date(9998, 12, 31)))
def test_date_lies_within_its_fiscal_year_bounds(d):
    first, last = fiscal_year_bounds(fiscal_year(d))
    assert first <= d <= last


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2025, "令和7年"),
        (2020, "令和2年"),
        (2019, "令和元年"),
        (2018, "平成30年"),
        (1989, "平成元年"),
        (1988, "昭和63年"),
    ],
)
def test_wareki_year(year, expected):
    assert wareki_year(year) == expected


def test_wareki_year_before_showa_is_rejected():
    with pytest.raises(ValueError, match="era"):
        wareki_year(1925)


def test_fiscal_year_label():
    assert fiscal_year_label(2025) == "2025年度"
    assert fiscal_year_label(2025, wareki=True) == "2025年度（令和7年度）"
    assert fiscal_year_label(2019, wareki=True) == "2019年度（令和元年度）"
    assert fiscal_year_label(2018, wareki=True) == "2018年度（平成30年度）"
    assert fiscal_year_label(2025, lang="en") == "FY2025"
    assert fiscal_year_label(2025, lang="en_US", wareki=True) == "FY2025"
    assert fiscal_year_label(2025, lang="ja_JP") == "2025年度"


def test_unknown_language_is_rejected():
    with pytest.raises(ValueError, match="language"):
        fiscal_year_label(2025, lang="fr")


def test_format_date():
    assert format_date(date(2025, 4, 1)) == "2025年4月1日"
    assert format_date(date(2025, 12, 25), lang="ja") == "2025年12月25日"
    assert format_date(date(2025, 4, 1), lang="en") == "2025-04-01"


def test_format_date_rejects_datetime():
    with pytest.raises(TypeError, match="format_datetime"):
        format_date(datetime(2025, 4, 1, tzinfo=UTC))


def test_format_datetime_converts_to_tokyo():
    dt = datetime(2025, 4, 1, 0, 5, tzinfo=UTC)
    assert format_datetime(dt) == "2025年4月1日 09:05"
    assert format_datetime(dt, lang="en") == "2025-04-01 09:05"


def test_format_datetime_crosses_midnight_in_tokyo():
    dt = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
    assert format_datetime(dt) == "2026年4月1日 00:30"


def test_format_datetime_treats_naive_as_utc():
    assert format_datetime(datetime(2025, 4, 1, 0, 5)) == "2025年4月1日 09:05"


def test_format_datetime_keeps_tokyo_time():
    dt = datetime(2025, 4, 1, 9, 5, tzinfo=TOKYO)
    assert format_datetime(dt, lang="en") == "2025-04-01 09:05"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025", 2025),
        ("2025年度", 2025),
        (" 2025 年度 ", 2025),
        ("FY2025", 2025),
        ("fy 2025", 2025),
        ("令和7年度", 2025),
        ("令和7", 2025),
        ("R7", 2025),
        ("r7年度", 2025),
        ("令和元年度", 2019),
        ("平成31年度", 2019),
        ("平成30年度", 2018),
        ("H30", 2018),
        ("平成元年度", 1989),
        ("昭和63年度", 1988),
        ("２０２５年度", 2025),
        ("ＦＹ２０２５", 2025),
        ("令和７年度", 2025),
        ("2025年度（令和7年度）", 2025),
        ("2019年度(令和元年度)", 2019),
    ],
)
def test_parse_fiscal_year(text, expected):
    assert parse_fiscal_year(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "年度",
        "abc",
        "25",
        "20255",
        "令和0年度",
        "平成32年度",
        "昭和64年度",
        "大正5年度",
        "X7",
        "2025年度（令和6年度）",
        "2025年4月1日",
    ],
)
def test_parse_fiscal_year_rejects(text):
    assert parse_fiscal_year(text) is None


@given(st.integers(min_value=1926, max_value=2999), st.booleans())
def test_label_round_trips_through_parse(fy, wareki):
    assert parse_fiscal_year(fiscal_year_label(fy, wareki=wareki)) == fy
    assert parse_fiscal_year(fiscal_year_label(fy, lang="en")) == fy
