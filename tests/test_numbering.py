"""Case numbers DX-<fiscal year>-NNNN: the Japanese fiscal year in Asia/Tokyo, gap-free."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.workflow_helpers import NOW, new_case
from workflow.cases import create_case
from workflow.models import Case, CaseNumberCounter
from workflow.numbering import format_case_number, next_case_number

JST = timezone(timedelta(hours=9))
LAST_SECOND_OF_FY2025 = datetime(2026, 3, 31, 14, 59, 59, tzinfo=UTC)  # 23:59:59 JST, March 31
FIRST_SECOND_OF_FY2026 = datetime(2026, 3, 31, 15, 0, 0, tzinfo=UTC)  # 00:00:00 JST, April 1


def test_format():
    assert format_case_number(2025, 7) == "DX-2025-0007"
    assert format_case_number(2026, 1234) == "DX-2026-1234"
    assert format_case_number(2026, 12345) == "DX-2026-12345"  # grows rather than wraps


def test_march_31_in_tokyo_is_still_the_old_fiscal_year(session, people):
    first = new_case(session, people["requester"], now=datetime(2025, 4, 1, tzinfo=JST))
    last = new_case(session, people["requester"], now=LAST_SECOND_OF_FY2025)
    assert (first.number, last.number) == ("DX-2025-0001", "DX-2025-0002")
    assert (last.fiscal_year, last.seq) == (2025, 2)


def test_april_1_in_tokyo_starts_the_new_fiscal_year_at_one(session, people):
    new_case(session, people["requester"], now=LAST_SECOND_OF_FY2025)
    case = new_case(session, people["requester"], now=FIRST_SECOND_OF_FY2026)
    assert case.number == "DX-2026-0001"
    assert (case.fiscal_year, case.seq) == (2026, 1)
    # It is still March 31 in UTC: the fiscal year is judged in Tokyo, not in UTC.
    assert FIRST_SECOND_OF_FY2026.date().isoformat() == "2026-03-31"


@pytest.mark.parametrize(("now", "fy"), [
    (datetime(2025, 4, 1, 0, 0, tzinfo=JST), 2025),
    (datetime(2025, 3, 31, 23, 59, 59, tzinfo=JST), 2024),
    (datetime(2026, 1, 1, 0, 0, tzinfo=JST), 2025),
    (datetime(2025, 12, 31, 15, 0, tzinfo=UTC), 2025),  # New Year's Day in Tokyo
])
def test_next_case_number_uses_the_tokyo_fiscal_year(session, now, fy):
    assert next_case_number(session, now) == (fy, 1, f"DX-{fy}-0001")
    assert next_case_number(session, now) == (fy, 2, f"DX-{fy}-0002")
    session.rollback()


def test_numbers_restart_per_fiscal_year_and_each_year_keeps_counting(session, people):
    requester = people["requester"]
    numbers = [new_case(session, requester, now=LAST_SECOND_OF_FY2025).number for _ in range(3)]
    numbers += [new_case(session, requester, now=FIRST_SECOND_OF_FY2026).number for _ in range(2)]
    # A case recorded late for the old year (an import, a back-dated entry) continues that year.
    numbers.append(new_case(session, requester, now=LAST_SECOND_OF_FY2025).number)
    assert numbers == ["DX-2025-0001", "DX-2025-0002", "DX-2025-0003",
                       "DX-2026-0001", "DX-2026-0002", "DX-2025-0004"]
    counters = dict(session.execute(select(CaseNumberCounter.fiscal_year,
                                           CaseNumberCounter.last_seq)).all())
    assert counters == {2025: 4, 2026: 2}


def test_a_rolled_back_creation_gives_its_number_back(session, people):
    requester = people["requester"]
    new_case(session, requester)
    uncommitted = create_case(session, requester, {"title": "取り消される相談"}, now=NOW,
                              commit=False)
    assert uncommitted.number == "DX-2025-0002"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    assert new_case(session, requester).number == "DX-2025-0002"


def test_a_creation_that_fails_after_numbering_leaves_no_gap(session, people, monkeypatch):
    requester = people["requester"]
    new_case(session, requester)
    taken = []

    def number_then_fail(*args):
        taken.append(next_case_number(*args))
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr("workflow.cases.next_case_number", number_then_fail)
        with pytest.raises(RuntimeError, match="disk full"):
            new_case(session, requester)
    assert taken == [(2025, 2, "DX-2025-0002")]
    assert new_case(session, requester).number == "DX-2025-0002"
    assert session.scalars(select(Case.seq).order_by(Case.seq)).all() == [1, 2]
