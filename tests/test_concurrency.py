"""Two people at once: optimistic locking of transitions and gap-free case numbers, for real.

Each thread has its own session (its own database connection) on the file database of the
``db_url`` fixture, and a ``threading.Barrier`` releases them together.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.workflow_helpers import NOW, new_case, walk_to
from workflow.db import make_session_factory
from workflow.engine import fire
from workflow.errors import StaleVersion
from workflow.models import AuditEvent, Case, User

TIMEOUT = 60


def run_together(count: int, work) -> list:
    """Run ``work(index)`` in ``count`` threads started at once; return results or exceptions."""
    barrier = threading.Barrier(count, timeout=TIMEOUT)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            results[index] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def test_db_url_is_a_file_database(db_url):
    assert db_url.startswith(("sqlite:///", "postgresql"))
    assert ":memory:" not in db_url


@pytest.mark.parametrize(("trigger", "role", "comment"), [
    ("accept", "office", None),
    ("reject", "office_lead", "対象外"),
])
def test_two_people_fire_on_one_case_at_once(session, engine, people, trigger, role, comment):
    case = walk_to(session, new_case(session, people["requester"]), "consultation_submitted",
                   people)
    version = case.version
    events_before = session.scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.case_id == case.id))
    factory = make_session_factory(engine)
    actor_ids = [people[role].id, people["office_lead"].id if role == "office" else
                 people[role].id]

    def work(index: int):
        with factory() as own:
            own_case = own.get(Case, case.id)
            actor = own.get(User, actor_ids[index])
            return fire(own, own_case, trigger, actor, comment=comment,
                        expected_version=version, now=NOW + timedelta(seconds=index))

    results = run_together(2, work)
    errors = [r for r in results if isinstance(r, BaseException)]
    successes = [r for r in results if not isinstance(r, BaseException)]
    assert len(successes) == 1, results
    assert len(errors) == 1 and isinstance(errors[0], StaleVersion), results

    session.expire_all()
    stored = session.get(Case, case.id)
    assert (stored.state, stored.version) == (successes[0].to_state, version + 1)
    transitions = session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.trigger == trigger)).all()
    assert len(transitions) == 1 and transitions[0].id == successes[0].event_id
    events_after = session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.case_id == case.id))
    assert events_after == events_before + 1


def test_many_threads_advancing_one_case_make_one_move_each_version(session, engine, people):
    """Eight office members press 'hold' on the same version: one wins, seven are told why."""
    case = walk_to(session, new_case(session, people["requester"]), "solution_selection", people)
    version = case.version
    factory = make_session_factory(engine)

    def work(_index: int):
        with factory() as own:
            return fire(own, own.get(Case, case.id), "hold", own.get(User, people["office"].id),
                        comment="保留", expected_version=version, now=NOW)

    results = run_together(8, work)
    assert sum(not isinstance(r, BaseException) for r in results) == 1, results
    assert all(isinstance(r, StaleVersion) for r in results if isinstance(r, BaseException)), [
        repr(r) for r in results]
    holds = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.trigger == "hold"))
    assert holds == 1


@pytest.mark.parametrize("count", [2, 8])
def test_cases_created_at_once_get_distinct_consecutive_numbers(session, engine, people, count):
    existing = new_case(session, people["requester"])  # DX-2025-0001
    assert existing.number == "DX-2025-0001"
    factory = make_session_factory(engine)

    def work(index: int):
        with factory() as own:
            requester = own.get(User, people["requester"].id)
            return new_case(own, requester, title=f"同時作成 {index}").number

    numbers = run_together(count, work)
    assert not [n for n in numbers if isinstance(n, BaseException)], numbers
    assert sorted(numbers) == [f"DX-2025-{seq:04d}" for seq in range(2, count + 2)]
    stored = session.scalars(select(Case.seq).where(Case.fiscal_year == 2025)
                             .order_by(Case.seq)).all()
    assert stored == list(range(1, count + 2))
