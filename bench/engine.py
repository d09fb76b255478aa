"""How fast and how lean is ``workflow.engine.fire``?  (issue #2, "Benchmark")

    python bench/engine.py [--quick] [--profile]

Everything runs in one process on one file SQLite database in a temp dir, opened through
``workflow.db.make_engine`` (WAL, ``synchronous=FULL``: the durable setting the app ships
with), with the schema from the models. Measured in the same run, interleaved in rounds so
that disk and CPU noise hit every contender alike:

* ``raw``    the floor: ``sqlite3`` by hand per transition (SELECT the case row, UPDATE
             state/version with a version check, INSERT the audit event, COMMIT);
* ``orm``    the same through the SQLAlchemy ORM (get the object, change it, add an
             AuditEvent object, commit; the version check is the mapper's version_id_col);
* ``engine`` ``workflow.engine.fire``, one transaction each, on rows already loaded;
* ``engine_with_load`` the same, re-reading the row first (``session.get`` with
             ``populate_existing``): the same SELECT the raw floor does.

The cycle is hold/resume by an office user on cases in ``solution_selection`` (hold needs a
comment, resume goes back to the exact sub-state): no guard touches the database, so what
is measured is the engine's own overhead. The app's effects are registered as in the app
(``notifications.effects``); the bench cases have no requester, so hold/resume notify nobody
and the engine writes exactly what the raw floor writes.

Also: microseconds per fire on a freshly loaded row (a new session, ``session.get``, fire;
load and fire timed apart), memory per loaded case (tracemalloc over 10,000 ORM objects, and
over Core rows), and memory growth over 100,000 transitions (10,000 with ``--quick``).

The figures are printed as ONE JSON object on the last line; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Session, defer, sessionmaker  # noqa: E402

import notifications.effects  # noqa: E402, F401  (the app's effects, registered as in the app)
from workflow.db import make_engine, make_session_factory  # noqa: E402
from workflow.effects import effects_for  # noqa: E402
from workflow.engine import fire  # noqa: E402
from workflow.models import AuditEvent, Base, Case, Department, User  # noqa: E402
from workflow.seed import seed_departments  # noqa: E402

HOLD_COMMENT = "庁内調整のため一時保留（ベンチマーク）"
START_STATE = "solution_selection"
CASES = Case.__table__


class _OrmBase(DeclarativeBase):
    pass


class OrmCase(_OrmBase):
    """The cases table mapped the way a plain-ORM app would: the mapper checks the version."""

    __table__ = CASES
    __mapper_args__ = {"version_id_col": CASES.c.version}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: peak RSS is the best the stdlib offers
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _sqlite_time(now: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime stores, so raw rows look like the others.
    return now.strftime("%Y-%m-%d %H:%M:%S.%f")


# --------------------------------------------------------------------------- set-up


def build_database(directory: Path, n_cases: int) -> tuple[str, int, list[int]]:
    """A schema from the models, the seeded departments, one office user and ``n_cases``."""
    path = directory / "bench.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed_departments(session)
        digital = session.scalar(select(Department).where(Department.code == "digital"))
        welfare = session.scalar(select(Department).where(Department.code == "welfare"))
        office = User(email="office@city.example.jp", name="統括 太郎", role="office",
                      department_id=digital.id, password_hash="x")
        session.add(office)
        session.commit()
        office_id, welfare_id = office.id, welfare.id
    now = datetime.now(UTC)
    rows = [
        {
            "number": f"DX-2025-{i:05d}", "fiscal_year": 2025, "seq": i,
            "title": f"子育て支援手続きのオンライン化（第{i}号）",
            "department_id": welfare_id, "assignee_id": office_id,
            "case_type": "dx_project", "priority": "normal", "category": "service",
            "values": ["service", "yasashisa"],
            "description": "窓口で受け付けている申請をオンラインで完結させたい。",
            "current_problem": "紙の申請書を職員が手入力している。",
            "desired_outcome": "申請から決定まで来庁不要にする。",
            "proposal_text": "電子申請システムの活用を提案。",
            "state": START_STATE, "version": 1,
            "created_at": now, "updated_at": now, "submitted_at": now,
        }
        for i in range(1, n_cases + 1)
    ]
    with engine.begin() as conn:
        conn.execute(insert(CASES), rows)
        ids = list(conn.scalars(select(CASES.c.id).order_by(CASES.c.id)))
    engine.dispose()
    return str(path), office_id, ids


# --------------------------------------------------------------------------- contenders


def _next_move(state: str) -> tuple[str, str | None]:
    return ("resume", None) if state == "on_hold" else ("hold", HOLD_COMMENT)


class Raw:
    """The floor: the same reads and writes through the ``sqlite3`` module by hand."""

    def __init__(self, path: str, actor_id: int, ids: list[int]) -> None:
        self.conn = sqlite3.connect(path)
        for pragma in ("foreign_keys=ON", "busy_timeout=30000", "journal_mode=WAL",
                       "synchronous=FULL"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.actor_id, self.ids, self.k = actor_id, ids, 0

    def run(self, n: int) -> None:
        conn, ids, actor_id = self.conn, self.ids, self.actor_id
        for _ in range(n):
            case_id = ids[self.k % len(ids)]
            self.k += 1
            state, version, return_state = conn.execute(
                "SELECT state, version, hold_return_state FROM cases WHERE id = ?", (case_id,)
            ).fetchone()
            trigger, comment = _next_move(state)
            if trigger == "hold":
                to_state, new_return = "on_hold", state
            else:
                to_state, new_return = return_state, None
            now = _sqlite_time(datetime.now(UTC))
            cursor = conn.execute(
                "UPDATE cases SET state = ?, version = ?, updated_at = ?, hold_return_state = ?"
                " WHERE id = ? AND version = ?",
                (to_state, version + 1, now, new_return, case_id, version),
            )
            if cursor.rowcount != 1:
                raise RuntimeError("stale version")
            conn.execute(
                "INSERT INTO audit_events (case_id, kind, \"trigger\", from_state, to_state,"
                " case_version, actor_id, on_behalf_of_id, comment, data, created_at)"
                " VALUES (?, 'transition', ?, ?, ?, ?, ?, NULL, ?, NULL, ?)",
                (case_id, trigger, state, to_state, version + 1, actor_id, comment, now),
            )
            conn.commit()

    def close(self) -> None:
        self.conn.close()


class Orm:
    """Plain ORM: get the object (refreshed after each commit), change it, add an event, commit."""

    def __init__(self, url: str, actor_id: int, ids: list[int]) -> None:
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine)()  # expire_on_commit=True: re-read per use
        self.actor_id, self.ids, self.k = actor_id, ids, 0

    def run(self, n: int) -> None:
        session, ids = self.session, self.ids
        for _ in range(n):
            case = session.get(OrmCase, ids[self.k % len(ids)])
            self.k += 1
            from_state = case.state
            trigger, comment = _next_move(from_state)
            now = datetime.now(UTC)
            if trigger == "hold":
                case.state, case.hold_return_state = "on_hold", from_state
            else:
                case.state, case.hold_return_state = case.hold_return_state, None
            case.updated_at = now
            session.add(AuditEvent(
                case_id=case.id, kind="transition", trigger=trigger, from_state=from_state,
                to_state=case.state, case_version=case.version + 1, actor_id=self.actor_id,
                comment=comment, created_at=now,
            ))
            session.commit()

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()


class Engine:
    """``workflow.engine.fire``, one transaction per call."""

    def __init__(self, url: str, actor_id: int, ids: list[int], *, reload: bool) -> None:
        self.engine = make_engine(url)
        self.session = make_session_factory(self.engine)()
        self.actor = self.session.get(User, actor_id)
        self.cases = [self.session.get(Case, i) for i in ids]
        self.reload, self.k = reload, 0

    def run(self, n: int) -> None:
        session, actor, cases = self.session, self.actor, self.cases
        for _ in range(n):
            case = cases[self.k % len(cases)]
            self.k += 1
            if self.reload:
                case = session.get(Case, case.id, populate_existing=True)
            trigger, comment = _next_move(case.state)
            fire(session, case, trigger, actor, comment=comment)

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()


def throughput(url: str, path: str, actor_id: int, pools: dict[str, list[int]],
               n: int, rounds: int
               ) -> tuple[dict[str, float], dict[str, float], dict[str, list[float]]]:
    """Transitions per second of each contender, interleaved over ``rounds``.

    Returns the overall rates; the CPU microseconds each transition cost this process (the
    software's own overhead, whatever the disk's fsync latency); and, per round, each
    contender's rate divided by the raw floor's in the same round: on a shared machine fsync
    latency comes in bursts, and the median of per-round ratios is far steadier than a ratio
    of totals.
    """
    contenders = {
        "raw": Raw(path, actor_id, pools["raw"]),
        "orm": Orm(url, actor_id, pools["orm"]),
        "engine": Engine(url, actor_id, pools["engine"], reload=False),
        "engine_with_load": Engine(url, actor_id, pools["engine_with_load"], reload=True),
    }
    spent = dict.fromkeys(contenders, 0.0)
    cpu = dict.fromkeys(contenders, 0.0)
    ratios: dict[str, list[float]] = {name: [] for name in contenders if name != "raw"}
    for contender in contenders.values():  # warm-up: statement caches, page cache
        contender.run(200)
    per_round = max(1, n // rounds)
    names = list(contenders)
    for r in range(rounds):
        took = {}
        # Rotated each round: whoever commits when SQLite checkpoints its WAL pays for it.
        for name in names[r % len(names):] + names[:r % len(names)]:
            start, cpu_start = time.perf_counter(), time.process_time()
            contenders[name].run(per_round)
            took[name] = time.perf_counter() - start
            spent[name] += took[name]
            cpu[name] += time.process_time() - cpu_start
        for name in ratios:
            ratios[name].append(took["raw"] / took[name])
        log(f"  round {r + 1}/{rounds}: "
            + ", ".join(f"{k} {per_round / v:,.0f}/s" for k, v in took.items()))
    for contender in contenders.values():
        contender.close()
    done = per_round * rounds
    rates = {name: done / seconds for name, seconds in spent.items()}
    cpu_us = {name: seconds / done * 1e6 for name, seconds in cpu.items()}
    return rates, cpu_us, ratios


def profile_fire(url: str, actor_id: int, ids: list[int], n: int) -> str:
    contender = Engine(url, actor_id, ids, reload=False)
    contender.run(200)
    profiler = cProfile.Profile()
    profiler.enable()
    contender.run(n)
    profiler.disable()
    contender.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(35)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


# --------------------------------------------------------------------------- per call, memory


def fresh_load_and_fire(url: str, actor_id: int, ids: list[int], n: int) -> dict[str, float]:
    """A new session per call, as in a web request: session.get, then fire; timed apart."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as actor_session:
        actor = actor_session.get(User, actor_id)
        load_us, fire_us = [], []
        for k in range(n + 50):
            with factory() as session:
                t0 = time.perf_counter()
                case = session.get(Case, ids[k % len(ids)])
                t1 = time.perf_counter()
                trigger, comment = _next_move(case.state)
                fire(session, case, trigger, actor, comment=comment)
                t2 = time.perf_counter()
            if k >= 50:  # the first calls warm the statement cache
                load_us.append((t1 - t0) * 1e6)
                fire_us.append((t2 - t1) * 1e6)
    engine.dispose()
    return {
        "load_us_median": round(statistics.median(load_us), 1),
        "fire_us_median": round(statistics.median(fire_us), 1),
        "fire_us_mean": round(statistics.fmean(fire_us), 1),
        "fire_us_p95": round(statistics.quantiles(fire_us, n=20)[-1], 1),
    }


def _traced(load) -> tuple[int, object]:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = load()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, kept


def memory_per_case(url: str, n: int) -> dict[str, float]:
    """Bytes per loaded case: ORM objects (with session bookkeeping) and Core rows.

    The cases carry short but realistic Japanese texts (title, description, problem, outcome,
    proposal); ``text_payload_bytes_per_case`` is what those str objects alone take.
    """
    engine = make_engine(url)
    factory = make_session_factory(engine)
    lean_columns = (CASES.c.id, CASES.c.state, CASES.c.version, CASES.c.hold_return_state,
                    CASES.c.department_id, CASES.c.assignee_id, CASES.c.submitted_at)
    result: dict[str, float] = {}
    with factory() as session:  # warm the caches so they are not counted
        session.scalars(select(Case).limit(5)).all()
        session.execute(select(CASES).limit(5)).all()
        session.execute(select(*lean_columns).limit(5)).all()
    with factory() as session:
        size, cases = _traced(lambda: session.scalars(select(Case).limit(n)).all())
        assert len(cases) == n
        result["orm_bytes_per_case"] = round(size / n)
        del cases
    with factory() as session:  # the same with the four free-text columns left unloaded
        texts = (Case.description, Case.current_problem, Case.desired_outcome,
                 Case.proposal_text)
        query = select(Case).options(*(defer(c) for c in texts)).limit(n)
        session.scalars(query.limit(5)).all()
        size, cases = _traced(lambda: session.scalars(query).all())
        result["orm_text_deferred_bytes_per_case"] = round(size / n)
        del cases
    with engine.connect() as conn:
        size, rows = _traced(lambda: conn.execute(select(CASES).limit(n)).all())
        assert len(rows) == n
        result["core_row_bytes_per_case"] = round(size / n)
        del rows
        size, rows = _traced(lambda: conn.execute(select(*lean_columns).limit(n)).all())
        result["lean_row_bytes_per_case"] = round(size / n)
        del rows
        texts = conn.execute(select(CASES.c.title, CASES.c.description, CASES.c.current_problem,
                                    CASES.c.desired_outcome, CASES.c.proposal_text).limit(n))
        result["text_payload_bytes_per_case"] = round(
            statistics.fmean(sum(sys.getsizeof(v) for v in row) for row in texts))
    engine.dispose()
    return result


def growth(url: str, actor_id: int, ids: list[int], n: int) -> dict[str, object]:
    """RSS and live objects over ``n`` fires in one long-lived session, plus the Python heap.

    tracemalloc slows every allocation down several times, so the heap is traced over a
    window of 3,000 more transitions (sampled every 1,000) while RSS and the count of live
    objects cover all ``n``.
    """
    contender = Engine(url, actor_id, ids, reload=False)
    contender.run(2_000)  # warm-up: caches, pool, page cache
    gc.collect()
    rss_start, objects_start = rss_bytes(), len(gc.get_objects())
    samples = []
    step = n // 10
    start = time.perf_counter()
    for _ in range(10):
        contender.run(step)
        gc.collect()
        samples.append(round((rss_bytes() - rss_start) / 2**20, 2))
    seconds = time.perf_counter() - start
    rss_end, objects_end = rss_bytes(), len(gc.get_objects())
    heap_samples = []
    tracemalloc.start()
    heap_start = tracemalloc.get_traced_memory()[0]
    for _ in range(3):
        contender.run(1_000)
        gc.collect()
        heap_samples.append(round((tracemalloc.get_traced_memory()[0] - heap_start) / 1024, 1))
    tracemalloc.stop()
    contender.close()
    return {
        "transitions": step * 10,
        "rss_growth_mb": round((rss_end - rss_start) / 2**20, 2),
        "rss_growth_samples_mb": samples,
        "live_objects_growth": objects_end - objects_start,
        # After 1,000, 2,000 and 3,000 more: flat means a one-off (the cases' new values).
        "heap_growth_kb_samples": heap_samples,
        "transitions_per_s": round(step * 10 / seconds),
    }


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (< 60 s)")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of fire to stderr")
    args = parser.parse_args(argv)
    quick = args.quick
    n_throughput = 2_000 if quick else 20_000
    rounds = 10 if quick else 40
    n_fresh = 500 if quick else 5_000
    n_memory = 10_000
    n_growth = 10_000 if quick else 100_000
    pool = 200

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="dxflow-bench-") as tmp:
        path, actor_id, ids = build_database(Path(tmp), max(n_memory, 6 * pool))
        url = f"sqlite:///{path}"
        pools = {name: ids[i * pool:(i + 1) * pool] for i, name in enumerate(
            ("raw", "orm", "engine", "engine_with_load", "fresh", "growth"))}
        log(f"throughput: {n_throughput:,} transitions each, {rounds} rounds")
        tps, cpu_us, ratios = throughput(url, path, actor_id, pools, n_throughput, rounds)
        log("fire on a freshly loaded row")
        fresh = fresh_load_and_fire(url, actor_id, pools["fresh"], n_fresh)
        log("memory per loaded case")
        memory = memory_per_case(url, n_memory)
        log(f"memory growth over {n_growth:,} transitions")
        grown = growth(url, actor_id, pools["growth"], n_growth)
        if args.profile:
            log(profile_fire(url, actor_id, pools["engine"], 5_000))

    figures = {
        "benchmark": "engine",
        "mode": "quick" if quick else "full",
        "database": "sqlite file, WAL, synchronous=FULL",
        "transitions_per_s": {k: round(v) for k, v in tps.items()},
        "ratio_vs_raw": round(statistics.median(ratios["engine"]), 3),
        "ratio_with_load_vs_raw": round(statistics.median(ratios["engine_with_load"]), 3),
        "ratio_orm_vs_raw": round(statistics.median(ratios["orm"]), 3),
        "ratio_vs_raw_of_totals": round(tps["engine"] / tps["raw"], 3),
        "ratio_vs_raw_range": [round(min(ratios["engine"]), 3), round(max(ratios["engine"]), 3)],
        "target_ratio_vs_raw": 0.5,
        "fire_us": round(1e6 / tps["engine"], 1),
        "raw_us": round(1e6 / tps["raw"], 1),
        "cpu_us_per_transition": {k: round(v, 1) for k, v in cpu_us.items()},
        "effects_on_hold": len(effects_for("hold", "on_hold")),
        "fresh_row": fresh,
        "memory_per_case": {**memory, "cases_loaded": n_memory, "target_bytes": 2048},
        "growth": {**grown, "target_mb": 20},
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
