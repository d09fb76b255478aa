"""Load test: the app as deployed (gunicorn on PostgreSQL) under concurrent users. (issue #6)

    python bench/load.py [--quick] [--users N] [--duration S] [--workers N] [--think S]

Needs PostgreSQL's server binaries (Debian's ``postgresql``) and gunicorn
(``pip install -e '.[test,prod]'``).

Starts a throw-away PostgreSQL cluster (``tests/support/postgres.py``), runs ``dxflow init``
and loads the demo city (``dxflow demo --no-serve``: the action plan's initiatives with three
years of history, demo accounts with password ``dxflow-demo-1``), then serves the app with
``gunicorn -w 2 'web.wsgi:app'`` on 127.0.0.1 (loopback only) and lets 50 simulated users
(10 with ``--quick``) work for 60 s (15 s) through the HTML pages, as browsers would: sign
in with the CSRF token of the form, then read (case pages, the case list, the office board,
the dashboard, my tasks), post comments and fire transitions. Each user is a thread with its
own session cookie and its own loopback source address (127.0.0.2, .3, ...), so the
per-address sign-in limit (10 a minute) applies per user, as in an office.

Who does what: Digital Office staff (about a third of the users) read, comment and put cases
of a small shared pool on hold / resume them (reversible moves: the pool is shared on
purpose, so two people do sometimes act on the same case at once and the later one gets a
409); bureau staff read and comment on their bureau's cases; executives read the board and
the dashboard; experts read and comment on the cases they support. Between two actions a
user thinks for ``--think`` seconds (uniform 0.5 x to 1.5 x; 1 s by default), and between
opening a case page and pressing a transition button for 0.2-0.6 s.

A transition POST answered with a redirect is followed, and its flash message tells whether
the engine accepted the move (success) or refused it (a guard: counted, not an error); a 409
means someone else changed the case first (expected under contention). The run is bounded in
time (--duration) and in count (at most 40 requests per user per second of duration).

Afterwards, with gunicorn stopped, the database is checked:
  * no 5xx answer (and no connection error) was seen;
  * every transition the client saw accepted is in ``audit_events`` (case, trigger, the new
    version) and the log holds no transition the client did not see accepted;
  * every accepted comment is stored;
  * every case's event log replays to its current state (the "created"/"imported" event
    gives the first state, each transition starts where the previous one ended) and its last
    recorded version is the case's version.

Target (issue #6): no 5xx, only expected 409s, p95 < 300 ms. Everything (gunicorn, the
cluster, the temp dir) is removed at the end, also on Ctrl+C or an error. Progress goes to
stderr; the figures are ONE JSON object on the last line of stdout.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The parts of the load test, beside this file (bench/ is the script's directory on sys.path).
from load_checks import snapshot, verify  # noqa: E402
from load_client import REQUEST_TIMEOUT_S, Browser, Budget, Clock, Results, Sample  # noqa: E402
from load_scenarios import Account, User, World, cast, read_world  # noqa: E402
from load_server import Gunicorn, cpu_seconds, run_cli  # noqa: E402

from tests.support.postgres import PostgresCluster  # noqa: E402

TARGET_P95_MS = 300.0
MAX_REQUESTS_PER_USER_SECOND = 40
SIGN_IN_KINDS = frozenset({"login_form", "login", "home"})


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]



def latency(samples: list[Sample]) -> dict:
    ms = [s.ms for s in samples if s.status]
    if not ms:
        return {}
    return {"p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1),
            "p99": round(percentile(ms, 99), 1), "max": round(max(ms), 1)}


def figures_for(results: Results, elapsed: float) -> dict:
    """Requests/s and latency of the working window; sign-in (argon2 hashing on purpose
    costs ~50 ms of CPU per sign-in) is reported on its own."""
    sign_in = [s for s in results.samples if s.kind in SIGN_IN_KINDS]
    samples = [s for s in results.samples if s.kind not in SIGN_IN_KINDS]
    statuses = Counter(str(s.status) for s in results.samples if s.status)
    errors = Counter()
    for s in results.samples:
        if s.status == 0:
            errors[s.error or "no_answer"] += 1
        elif s.status >= 400:
            errors[str(s.status)] += 1
    by_kind: dict[str, dict] = {}
    for kind in sorted({s.kind for s in results.samples if s.status}):
        ms = [s.ms for s in results.samples if s.kind == kind and s.status]
        by_kind[kind] = {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1),
                         "p95_ms": round(percentile(ms, 95), 1)}
    return {
        "requests": len(samples),
        "requests_per_s": round(len(samples) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": latency(samples),
        "sign_in": {"requests": len(sign_in), "latency_ms": latency(sign_in)},
        "status": dict(sorted(statuses.items())),
        "errors": dict(sorted(errors.items())),
        "by_kind": by_kind,
        "transitions": dict(results.transitions),
        "comments": dict(results.comments),
    }


# --- the run ----------------------------------------------------------------------------------


def load(port: int, accounts: list[Account], world: World, duration: float, think_s: float,
         seed: int, stop: threading.Event) -> tuple[Results, float, float]:
    """Sign everyone in (arriving over a few seconds), then the timed working window.

    Returns the results, the sign-in phase's and the working window's length in seconds."""
    results = Results()
    budget = Budget(int(len(accounts) * duration * MAX_REQUESTS_PER_USER_SECOND))
    clock = Clock(stop)
    ramp = min(5.0, len(accounts) * 0.1)
    step = ramp / max(1, len(accounts))
    threads = []
    started = time.monotonic()
    for n, account in enumerate(accounts):
        browser = Browser(port, f"127.0.0.{2 + n}", results, budget, clock)
        user = User(n + 1, account, world, browser, results, think_s, seed * 1000 + n)

        def run(user=user, delay=step * n):
            if stop.wait(delay):
                clock.arrived()
                return
            user.run()

        thread = threading.Thread(target=run, name=f"user-{n + 1}", daemon=True)
        threads.append(thread)
        thread.start()
    sign_in_limit = started + ramp + 120
    while clock.signed_in < len(accounts) and time.monotonic() < sign_in_limit:
        if stop.wait(0.05):
            break
    sign_in_s = time.monotonic() - started
    window_start = time.monotonic()
    clock.deadline = window_start + duration
    clock.go.set()
    for thread in threads:
        thread.join(timeout=max(0.1, clock.deadline - time.monotonic()) + REQUEST_TIMEOUT_S + 5)
    stop.set()
    return results, sign_in_s, min(time.monotonic(), clock.deadline) - window_start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 users for 15 s")
    parser.add_argument("--users", type=int, help="simulated users (default 50, quick 10)")
    parser.add_argument("--duration", type=float, help="seconds of load (default 60, quick 15)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="gunicorn threads per worker (default 1: sync workers)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds a user thinks between actions (default 1.0)")
    parser.add_argument("--hot-cases", type=int, help="cases in the shared hold/resume pool "
                        "(default: a quarter of the users, at least 3)")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    n_users = args.users or (10 if args.quick else 50)
    duration = args.duration or (15.0 if args.quick else 60.0)
    if not 1 <= n_users <= 200:
        parser.error("--users must be between 1 and 200 (one loopback address each)")
    if not 1 <= duration <= 3600:
        parser.error("--duration must be between 1 and 3600 seconds")
    n_hot = args.hot_cases or max(3, n_users // 4)
    if importlib.util.find_spec("gunicorn") is None:
        parser.error("gunicorn is not installed: pip install -e '.[prod]'")

    stop = threading.Event()

    def terminate(signum, _frame):  # SIGTERM: clean up as on Ctrl+C
        stop.set()
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, terminate)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="dxflow-load-"))
    cluster: PostgresCluster | None = None
    server: Gunicorn | None = None
    try:
        log("PostgreSQL: starting a throw-away cluster")
        cluster = PostgresCluster().start()
        url = cluster.create_database("dxflow_load")
        env = {**os.environ, "DXFLOW_DATABASE_URL": url, "DXFLOW_SECRET_KEY": secrets.token_hex(32),
               "DXFLOW_INSTANCE_DIR": str(workdir / "instance"),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                           os.environ.get("PYTHONPATH")]))}
        for name in ("DXFLOW_SMTP_HOST", "DXFLOW_WEBHOOK_URL", "DXFLOW_DEMO"):
            env.pop(name, None)  # nothing leaves this machine; the app runs as in production
        log("dxflow init")
        run_cli(["init"], env, workdir)
        t0 = time.perf_counter()
        log("dxflow demo --no-serve (the demo city: cases with three years of history)")
        run_cli(["demo", "--no-serve"], env, workdir)
        setup_s = time.perf_counter() - t0
        accounts, world = read_world(url, n_hot, args.seed)
        users = cast(accounts, world, n_users)
        log(f"  {len(world.visible)} visible cases, {len(world.hot_cases)} in the hold/resume "
            f"pool, {len(users)} users ({Counter(u.role for u in users)})")
        before = snapshot(url)
        log(f"gunicorn: {args.workers} workers"
            + (f" x {args.threads} threads" if args.threads > 1 else "") + " on 127.0.0.1")
        children_before = cpu_seconds(resource.RUSAGE_CHILDREN)
        load_at_start = os.getloadavg()[0]  # other work on the machine skews the figures
        server = Gunicorn(env, workdir, args.workers, args.threads)
        server.wait_ready()
        log(f"load: {len(users)} users for {duration:.0f} s (think {args.think} s)")
        client_before = cpu_seconds(resource.RUSAGE_SELF)
        results, sign_in_s, elapsed = load(server.port, users, world, duration, args.think,
                                           args.seed, stop)
        client_cpu = cpu_seconds(resource.RUSAGE_SELF) - client_before
        server.stop()
        server_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - children_before
        server_log = server.log_tail(20000)
        server = None
        figures = figures_for(results, elapsed)
        log(f"  {figures['requests']} requests, {figures['requests_per_s']}/s, "
            f"latency {figures['latency_ms']}")
        log("checking the database")
        checks = verify(url, before, results)
        five_xx = sum(n for code, n in figures["status"].items() if code.startswith("5"))
        unexpected_errors = {k: v for k, v in figures["errors"].items() if k != "409"}
        checks["no_5xx"] = five_xx == 0
        checks["only_expected_errors"] = not unexpected_errors
        p95 = figures["latency_ms"].get("p95", float("inf"))
        figures = {
            "benchmark": "load",
            "mode": "quick" if args.quick else "full",
            "server": f"gunicorn {args.workers} workers"
                      + (f" x {args.threads} threads" if args.threads > 1 else " (sync)")
                      + ", PostgreSQL (throw-away cluster, fsync off), 127.0.0.1",
            "users": len(users),
            "duration_s": round(elapsed, 1),
            "sign_in_phase_s": round(sign_in_s, 1),
            "think_s": args.think,
            "hot_cases": len(world.hot_cases),
            "cases": len(world.visible),
            **figures,
            "checks": checks,
            "target_p95_ms": TARGET_P95_MS,
            "p95_ok": p95 < TARGET_P95_MS,
            "ok": bool(checks["no_5xx"] and checks["only_expected_errors"]
                       and checks["accepted_transitions_in_audit_log"]
                       and checks["comments_all_stored"] and checks["every_case_replays"]),
            "server_tracebacks": server_log.count("Traceback"),
            # CPU seconds over the whole run (sign-in included): the simulated users (this
            # process) and gunicorn (master and workers); PostgreSQL runs beside them.
            "cpu_s": {"client": round(client_cpu, 1), "gunicorn": round(server_cpu, 1)},
            "setup_s": round(setup_s, 1),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1min": {"at_start": round(load_at_start, 2),
                                  "at_end": round(os.getloadavg()[0], 2)},
            "seconds": round(time.perf_counter() - started, 1),
        }
    finally:
        stop.set()
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    try:
        sys.exit(0 if main()["ok"] else 1)
    except KeyboardInterrupt:
        log("interrupted: gunicorn and PostgreSQL stopped, temp files removed")
        sys.exit(130)
