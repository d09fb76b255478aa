"""The database checked after bench/load.py's run: every accepted transition and comment stored,
every case's event log replaying to its state."""

from __future__ import annotations

from collections import Counter

from load_client import Results


def snapshot(url: str) -> dict:
    from sqlalchemy import func, select

    from workflow.db import make_engine
    from workflow.models import AuditEvent, Comment

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {"max_event_id": conn.scalar(select(func.coalesce(func.max(AuditEvent.id), 0))),
                    "comments": conn.scalar(select(func.count()).select_from(Comment))}
    finally:
        engine.dispose()


def verify(url: str, before: dict, results: Results) -> dict:
    """The database after the run: accepted transitions logged, comments kept, logs replay."""
    from sqlalchemy import func, select

    from workflow.db import make_engine
    from workflow.models import AuditEvent, Case, Comment

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            logged = Counter(
                (r.case_id, r.trigger, r.case_version) for r in conn.execute(
                    select(AuditEvent.case_id, AuditEvent.trigger, AuditEvent.case_version)
                    .where(AuditEvent.kind == "transition",
                           AuditEvent.id > before["max_event_id"])))
            comments_added = conn.scalar(select(func.count()).select_from(Comment)) - \
                before["comments"]
            events = conn.execute(
                select(AuditEvent.case_id, AuditEvent.kind, AuditEvent.from_state,
                       AuditEvent.to_state, AuditEvent.case_version)
                .where(AuditEvent.case_id.is_not(None))
                .order_by(AuditEvent.case_id, AuditEvent.id)).all()
            cases = {r.id: (r.state, r.version) for r in conn.execute(
                select(Case.id, Case.state, Case.version))}
    finally:
        engine.dispose()

    accepted = Counter(results.accepted)
    missing = sorted((accepted - logged).elements())
    unexpected = sorted((logged - accepted).elements())
    trails: dict[int, list] = {}
    for e in events:
        trails.setdefault(e.case_id, []).append(e)
    bad_replays = []
    for case_id, (state, version) in cases.items():
        trail = trails.get(case_id, [])
        problem = replay_problem(trail, state, version)
        if problem:
            bad_replays.append({"case_id": case_id, "problem": problem})
    return {
        "transitions_logged": sum(logged.values()),
        "accepted_transitions_missing_from_log": missing[:20],
        "logged_transitions_not_seen_accepted": unexpected[:20],
        "comments_stored": comments_added,
        "cases_replayed": len(cases),
        "replay_failures": bad_replays[:20],
        "accepted_transitions_in_audit_log": not missing and not unexpected,
        "comments_all_stored": comments_added == results.comments["accepted"],
        "every_case_replays": not bad_replays,
    }


def replay_problem(trail: list, state: str, version: int) -> str | None:
    if not trail or trail[0].kind not in ("created", "imported"):
        return "no created/imported event first"
    current = trail[0].to_state
    for e in trail[1:]:
        if e.kind == "transition":
            if e.from_state != current:
                return f"transition from {e.from_state} while the log says {current}"
            current = e.to_state
    if current != state:
        return f"log replays to {current}, case is {state}"
    versions = [e.case_version for e in trail if e.case_version is not None]
    if versions != sorted(versions) or (versions and versions[-1] != version):
        return f"versions {versions[-3:]} do not end at the case's version {version}"
    return None
