from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.business_days import (
    add_business_days,
    business_days_between,
    is_business_day,
    next_business_day,
    previous_business_day,
)

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
# jpholiday computes each year's holidays on first use (tens of ms), so a cold
# cache can blow Hypothesis's default per-example deadline.
no_deadline = settings(deadline=None)


@pytest.mark.parametrize(
    "closed",
    [
        date(2026, 1, 12),  # 成人の日
        date(2025, 5, 6),  # 振替休日 for みどりの日 on a Sunday
        date(2026, 9, 22),  # 国民の休日 between 敬老の日 and 秋分の日
        date(2025, 11, 3),  # 文化の日
        date(2025, 4, 5),  # Saturday
        date(2025, 4, 6),  # Sunday
    ],
)
def test_weekends_and_holidays_are_closed(closed):
    assert not is_business_day(closed)


@pytest.mark.parametrize(
    "closed",
    [date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 2)],
)
def test_year_end_closure_weekdays_are_closed(closed):
    assert closed.weekday() < 5
    assert not is_business_day(closed)


@pytest.mark.parametrize(
    "open_day",
    [date(2025, 12, 26), date(2026, 1, 5), date(2025, 4, 1), date(2026, 9, 24)],
)
def test_ordinary_weekdays_are_open(open_day):
    assert is_business_day(open_day)


def test_next_and_previous_business_day_skip_the_closure():
    assert next_business_day(date(2025, 12, 26)) == date(2026, 1, 5)
    assert previous_business_day(date(2026, 1, 5)) == date(2025, 12, 26)


def test_next_and_previous_are_strict():
    assert next_business_day(date(2025, 4, 1)) == date(2025, 4, 2)
    assert previous_business_day(date(2025, 4, 2)) == date(2025, 4, 1)


def test_add_business_days_over_silver_week_2026():
    # 9/19 Sat, 9/20 Sun, 9/21 敬老の日, 9/22 国民の休日, 9/23 秋分の日.
    assert add_business_days(date(2026, 9, 18), 1) == date(2026, 9, 24)
    assert add_business_days(date(2026, 9, 24), -1) == date(2026, 9, 18)


def test_add_business_days_over_golden_week_2025():
    # 5/3 Sat, 5/4 Sun, 5/5 こどもの日, 5/6 振替休日.
    assert add_business_days(date(2025, 5, 2), 1) == date(2025, 5, 7)
    assert add_business_days(date(2025, 5, 2), 3) == date(2025, 5, 9)
    assert add_business_days(date(2025, 5, 7), -2) == date(2025, 5, 1)


def test_add_zero_rolls_forward_onto_a_business_day():
    assert add_business_days(date(2025, 4, 1), 0) == date(2025, 4, 1)
    assert add_business_days(date(2025, 4, 5), 0) == date(2025, 4, 7)
    assert add_business_days(date(2025, 12, 29), 0) == date(2026, 1, 5)


def test_business_days_between():
    assert business_days_between(date(2025, 4, 1), date(2025, 4, 1)) == 0
    assert business_days_between(date(2025, 4, 1), date(2025, 4, 2)) == 1
    assert business_days_between(date(2025, 4, 4), date(2025, 4, 7)) == 1
    assert business_days_between(date(2025, 12, 26), date(2026, 1, 5)) == 1
    assert business_days_between(date(2026, 1, 5), date(2025, 12, 26)) == -1
    # April 2025: 22 weekdays less 昭和の日 (Tue 4/29); (3/31, 4/30] covers it exactly.
    assert business_days_between(date(2025, 3, 31), date(2025, 4, 30)) == 21
    # May 2025: 22 weekdays less 5/5 and 5/6.
    assert business_days_between(date(2025, 4, 30), date(2025, 5, 31)) == 20


def test_rejects_datetimes():
    with pytest.raises(TypeError):
        is_business_day(datetime(2025, 4, 1, tzinfo=UTC))
    with pytest.raises(TypeError):
        business_days_between(date(2025, 4, 1), datetime(2025, 4, 2))


@no_deadline
@given(dates, st.integers(min_value=-800, max_value=800))
def test_between_matches_a_day_by_day_count(start, delta):
    end = start + timedelta(days=delta)
    lo, hi = min(start, end), max(start, end)
    count = sum(is_business_day(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    assert business_days_between(start, end) == (count if delta >= 0 else -count)


def test_business_days_in_2025():
    # 261 weekdays, less 15 weekday holidays and the closure's 1/2, 1/3, 12/29, 12/30, 12/31.
    assert business_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 261 - 15 - 5


def test_between_over_decades_matches_a_day_by_day_count():
    start, end = date(2010, 6, 15), date(2040, 2, 3)
    days = (end - start).days
    count = sum(is_business_day(start + timedelta(days=i)) for i in range(1, days + 1))
    assert business_days_between(start, end) == count
    assert business_days_between(end, start) == -count


@no_deadline
@given(dates, st.integers(min_value=-300, max_value=300))
def test_add_then_count_round_trips(d, n):
    d = add_business_days(d, 0)
    result = add_business_days(d, n)
    assert is_business_day(result)
    assert business_days_between(d, result) == n
