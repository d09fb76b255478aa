"""City business days: closed on weekends, national holidays and the year-end closure."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, timedelta
from functools import lru_cache

import jpholiday

_ONE_DAY = timedelta(days=1)


def _is_year_end_closure(d: date) -> bool:
    # City regulation: offices close for the new year from December 29 to January 3.
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


@lru_cache(maxsize=256)
def _closed_weekdays(year: int) -> tuple[date, ...]:
    """Sorted Monday-Friday dates of ``year`` on which the city is closed."""
    closed = {d for d, _name in jpholiday.year_holidays(year)}  # includes 振替休日, 国民の休日
    closed.update(date(year, 12, day) for day in (29, 30, 31))
    closed.update(date(year, 1, day) for day in (1, 2, 3))
    return tuple(sorted(d for d in closed if d.weekday() < 5))


@lru_cache(maxsize=256)
def _closed_weekday_set(year: int) -> frozenset[date]:
    return frozenset(_closed_weekdays(year))


def _check_date(d: date) -> None:
    if isinstance(d, datetime):
        # A datetime's calendar day depends on its time zone; make the caller choose.
        raise TypeError("business-day functions take a date, not a datetime")


def is_business_day(d: date) -> bool:
    """True when the city's offices are open on ``d``."""
    _check_date(d)
    return d.weekday() < 5 and d not in _closed_weekday_set(d.year)


def next_business_day(d: date) -> date:
    """First business day strictly after ``d``."""
    _check_date(d)
    d += _ONE_DAY
    while not is_business_day(d):
        d += _ONE_DAY
    return d


def previous_business_day(d: date) -> date:
    """Last business day strictly before ``d``."""
    _check_date(d)
    d -= _ONE_DAY
    while not is_business_day(d):
        d -= _ONE_DAY
    return d


def add_business_days(d: date, n: int) -> date:
    """The ``n``-th business day after ``d`` (before it when ``n`` is negative).

    ``d`` itself is never counted, so ``add_business_days(friday, 1)`` is the next
    Monday (barring holidays). ``n == 0`` returns ``d`` if it is a business day and
    otherwise the next business day, i.e. it rolls a date forward onto a business day.
    """
    if n == 0:
        return d if is_business_day(d) else next_business_day(d)
    step = next_business_day if n > 0 else previous_business_day
    for _ in range(abs(n)):
        d = step(d)
    return d


def _weekdays_through(ordinal: int) -> int:
    # date.fromordinal(1), 0001-01-01, is a Monday, so each block of 7 ordinals
    # starting at 1 is Mon..Sun and holds 5 weekdays.
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


def _closed_weekdays_through(d: date) -> int:
    """Closed weekdays from January 1 of ``d``'s year through ``d``."""
    return bisect_right(_closed_weekdays(d.year), d)


def business_days_between(start: date, end: date) -> int:
    """Business days ``d`` with ``start < d <= end``; negated when ``end < start``.

    ``business_days_between(due, today)`` is how many business days a task is overdue.
    """
    _check_date(start)
    _check_date(end)
    if end < start:
        return -business_days_between(end, start)
    weekdays = _weekdays_through(end.toordinal()) - _weekdays_through(start.toordinal())
    closed = _closed_weekdays_through(end) - _closed_weekdays_through(start)
    closed += sum(len(_closed_weekdays(year)) for year in range(start.year, end.year))
    return weekdays - closed
