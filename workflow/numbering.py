"""Case numbers like DX-2025-0007: per Japanese fiscal year, gap-free, unique under concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.fiscal import fiscal_year
from workflow.models import CaseNumberCounter

_COUNTERS = CaseNumberCounter.__table__
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def format_case_number(fy: int, seq: int) -> str:
    return f"DX-{fy}-{seq:04d}"


def next_case_number(session: Session, now: datetime) -> tuple[int, int, str]:
    """Take the next number of ``now``'s fiscal year inside the caller's transaction.

    The counter row's UPDATE holds its lock until commit, so a second creator waits and
    gets the next number; a rolled-back creation gives its number back (no gaps).
    """
    return reserve_case_numbers(session, now, 1)[0]


def reserve_case_numbers(session: Session, now: datetime, count: int) -> list[tuple[int, int, str]]:
    """Take ``count`` consecutive numbers at once (a bulk import): one counter UPDATE."""
    fy = fiscal_year(now)
    conn = session.connection()
    insert = _INSERTS[conn.dialect.name]
    conn.execute(insert(_COUNTERS).values(fiscal_year=fy, last_seq=0).on_conflict_do_nothing())
    last = conn.execute(
        update(_COUNTERS)
        .where(_COUNTERS.c.fiscal_year == fy)
        .values(last_seq=_COUNTERS.c.last_seq + count)
        .returning(_COUNTERS.c.last_seq)
    ).scalar_one()
    return [(fy, seq, format_case_number(fy, seq)) for seq in range(last - count + 1, last + 1)]
