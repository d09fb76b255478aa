"""Benchmark: importing a 10,000-row spreadsheet (target: under 10 s), then importing it again.

    python bench/import.py [--quick] [--rows N]

The file is what a city would have: a CP932 CSV with Japanese headers, a title row, several
bureaus in some cells, status words, one KPI per row with a baseline, three FY targets (some
revised: "2,000（1,800）") and an actual. Measured: the whole ``import_file`` (decode,
validate, match, write, commit) into a fresh SQLite file, then the same file again (every
initiative matched, nothing to change). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from workflow.db import make_engine, make_session_factory  # noqa: E402
from workflow.interchange.importer import ImportOptions, import_file  # noqa: E402
from workflow.models import Base, Case, KpiTarget  # noqa: E402
from workflow.portfolio.departments import CITY_DEPARTMENTS  # noqa: E402
from workflow.seed import seed_departments  # noqa: E402

TARGET_SECONDS = 10.0
NOW = datetime(2026, 8, 3, 1, 0, tzinfo=UTC)
STATUSES = ("検討中", "実証中", "実施中", "導入済", "構築中", "計画済", "事業化予定", "完了", "")
HEADER = ["外部ID", "取組名", "所管局", "状況", "概要", "KGI", "KPI名", "単位",
          "基準値（2023年度末現在）", "2024年度目標", "2025年度目標", "2026年度目標",
          "2024年度実績"]


def spreadsheet(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    names = [d.name for d in CITY_DEPARTMENTS]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"DX取組 進捗状況一覧（{rows:,}件）"])
    writer.writerow(HEADER)
    for n in range(rows):
        bureaus = rng.sample(names, rng.choice((1, 1, 1, 2)))
        base = rng.randrange(10, 5000)
        revised = rng.random() < 0.2
        writer.writerow([
            f"BENCH-{n:05d}", f"取組{n:05d} 手続きのオンライン化と業務の見直し",
            "・".join(bureaus), rng.choice(STATUSES), "申請から審査までを電子化する。" * 3,
            "2030年までに全ての手続きがオンラインで完結している",
            f"オンライン化した手続き数{n % 7}",
            "件", f"{base:,}", f"{base + 100:,}",
            f"{base + 300:,}（{base + 250:,}）" if revised else f"{base + 300:,}",
            f"{base + 500:,}", str(base + rng.randrange(0, 150)),
        ])
    return out.getvalue().encode("cp932")


def timed_import(factory, data: bytes) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, report): on a busy machine the CPU time
    says what the import itself costs."""
    session = factory()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        report = import_file(session, data, "bench.csv", options=ImportOptions(), now=NOW)
        return time.perf_counter() - started, time.process_time() - cpu, report
    finally:
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 rows instead of 10,000")
    parser.add_argument("--rows", type=int)
    args = parser.parse_args()
    rows = args.rows or (1_000 if args.quick else 10_000)
    data = spreadsheet(rows)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.sqlite3")
        Base.metadata.create_all(engine)
        factory = make_session_factory(engine)
        with factory() as session:
            seed_departments(session)
        first, first_cpu, report = timed_import(factory, data)
        assert report.written and not report.errors, [i.en for i in report.errors[:5]]
        again, again_cpu, second = timed_import(factory, data)
        with factory() as session:
            cases = session.scalar(select(func.count()).select_from(Case))
            targets = session.scalar(select(func.count()).select_from(KpiTarget))
        engine.dispose()
    print(f"import {rows:,} rows: {first:.2f} s ({first_cpu:.2f} s CPU, {rows / first:,.0f} "
          f"rows/s), {cases:,} cases, {targets:,} targets")
    print(f"re-import (all unchanged): {again:.2f} s ({again_cpu:.2f} s CPU), "
          f"unchanged {second.unchanged:,}")
    print(json.dumps({
        "rows": rows, "bytes": len(data), "seconds": round(first, 3),
        "cpu_seconds": round(first_cpu, 3), "rows_per_second": round(rows / first),
        "reimport_seconds": round(again, 3), "reimport_cpu_seconds": round(again_cpu, 3),
        "cases": cases, "targets": targets, "target_seconds": TARGET_SECONDS,
        "within_target": first < TARGET_SECONDS * rows / 10_000,
    }))


if __name__ == "__main__":
    main()
