"""Seeding the organisations every installation starts with (DOMAIN.md's list)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.models import Department
from workflow.portfolio.departments import CITY_DEPARTMENTS


def seed_departments(session: Session) -> int:
    """Add the city's departments that are missing; returns how many were added (0 on a re-run)."""
    existing = set(session.scalars(select(Department.code)))
    added = 0
    for dept in CITY_DEPARTMENTS:
        if dept.code in existing:
            continue
        session.add(Department(code=dept.code, name=dept.name, name_en=dept.name_en,
                               kind=dept.kind, sort_order=dept.sort_order))
        added += 1
    session.commit()
    return added
