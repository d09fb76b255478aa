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
import http.client
import importlib.util
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.postgres import PostgresCluster  # noqa: E402

TARGET_P95_MS = 300.0
DEMO_PASSWORD = "dxflow-demo-1"  # noqa: S105 - the demo's published password
HOLDABLE_PREFIXES = ("consultation_", "planning_", "solution_", "review_")
REQUEST_TIMEOUT_S = 30
MAX_REQUESTS_PER_USER_SECOND = 40
SIGN_IN_KINDS = frozenset({"login_form", "login", "home"})
CLI = "import sys; from web.commands import main; sys.exit(main(prog_name='dxflow'))"

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
FORM_RE = re.compile(
    r'<form method="post" action="/cases/(\d+)/transitions/(\w+)"[^>]*>(.*?)</form>', re.S)
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
FLASH_RE = re.compile(r'class="flash flash-(\w+)"')


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- the server side: cluster, schema and demo, gunicorn -------------------------------------


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(args: list[str], env: dict, cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", CLI, *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"dxflow {' '.join(args)} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}{proc.stderr[-4000:]}")
    return proc.stdout


class Gunicorn:
    """``gunicorn -w N web.wsgi:app`` on 127.0.0.1 in its own process group."""

    def __init__(self, env: dict, cwd: Path, workers: int, threads: int) -> None:
        self.port = free_port()
        self.log_path = cwd / "gunicorn.log"
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
               "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "5",
               "--error-logfile", str(self.log_path), "web.wsgi:app"]
        if threads > 1:
            cmd[3:3] = ["--threads", str(threads)]
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the whole group (graceful), SIGKILL after 15 s."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
            except ProcessLookupError:
                pass
        self._log.close()


# --- the client side: simulated users --------------------------------------------------------


@dataclass
class Account:
    email: str
    role: str
    department_id: int | None
    user_id: int


@dataclass
class World:
    """What the users work on, read from the database before the run."""

    hot_cases: list[int]  # the shared pool Digital Office staff hold and resume
    visible: list[int]  # non-draft cases (portfolio roles see these)
    by_department: dict[int, list[int]]
    by_expert: dict[int, list[int]]


@dataclass
class Sample:
    kind: str
    status: int  # 0: no HTTP answer (the exception's name is in ``error``)
    ms: float
    error: str = ""


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    accepted: list[tuple[int, str, int]] = field(default_factory=list)  # (case, trigger, new v)
    transitions: Counter = field(default_factory=Counter)
    comments: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class Budget:
    """The count bound: at most ``limit`` requests in the whole run."""

    def __init__(self, limit: int) -> None:
        self.left, self._lock = limit, threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


class Clock:
    """When the working window ends (infinity while users are still signing in)."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop, self.deadline = stop, float("inf")
        self.go = threading.Event()
        self.signed_in = 0
        self.lock = threading.Lock()

    def arrived(self) -> None:
        with self.lock:
            self.signed_in += 1


class Stop(Exception):
    """Time, the request budget or Ctrl+C: the user stops."""


class Browser:
    """One user's browser: a cookie jar, a loopback source address, timed requests."""

    def __init__(self, port: int, source_ip: str, results: Results, budget: Budget,
                 clock: Clock) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S,
                                               source_address=(source_ip, 0))
        self.cookies: dict[str, str] = {}
        self.results, self.budget, self.clock = results, budget, clock
        self.stop = clock.stop
        self.csrf: str | None = None

    def request(self, kind: str, method: str, path: str, form: dict | None = None,
                *, follow_up: bool = False) -> tuple[int, str, str]:
        """(status, Location, body); raises Stop when the run is over.

        ``follow_up``: the page a POST redirected to is read even when time ran out meanwhile,
        so that the outcome of every POST that was sent is known."""
        if not follow_up and (self.stop.is_set() or time.monotonic() >= self.clock.deadline
                              or not self.budget.take()):
            raise Stop()
        headers = {"User-Agent": "dxflow-load/1", "Accept-Language": "ja"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.results.add(Sample(kind, 0, (time.perf_counter() - started) * 1000,
                                    type(exc).__name__))
            return 0, "", ""
        self.results.add(Sample(kind, response.status, (time.perf_counter() - started) * 1000))
        if response.will_close:
            self.conn.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if self.csrf is None:  # one token per session: read it once (cheaper for the client)
            match = CSRF_RE.search(text)
            if match:
                self.csrf = unescape(match.group(1) or match.group(2))
        location = response.headers.get("Location", "")
        return response.status, urlsplit(location).path if location else "", text

    def get(self, kind: str, path: str, *, follow_up: bool = False) -> tuple[int, str, str]:
        return self.request(kind, "GET", path, follow_up=follow_up)

    def post(self, kind: str, path: str, form: dict) -> tuple[int, str, str]:
        return self.request(kind, "POST", path, {**form, "csrf_token": self.csrf or ""})


def think(rng: random.Random, mean: float, stop: threading.Event) -> None:
    if mean > 0 and stop.wait(rng.uniform(0.5 * mean, 1.5 * mean)):
        raise Stop()


class User:
    def __init__(self, n: int, account: Account, world: World, browser: Browser,
                 results: Results, think_s: float, seed: int) -> None:
        self.n, self.account, self.world, self.browser = n, account, world, browser
        self.results, self.think_s = results, think_s
        self.rng = random.Random(seed)  # noqa: S311 - load simulation, not a secret

    # -- what each kind of user does ------------------------------------------------------

    def own_cases(self) -> list[int]:
        role = self.account.role
        if role in ("requester", "dept_manager"):
            return self.world.by_department.get(self.account.department_id, []) or []
        if role == "expert":
            return self.world.by_expert.get(self.account.user_id, []) or []
        return self.world.visible

    def actions(self) -> list[tuple[float, callable]]:
        role = self.account.role
        if role in ("office", "office_lead"):
            return [(0.35, self.read_case), (0.15, self.board), (0.10, self.case_list),
                    (0.05, self.tasks), (0.15, self.comment), (0.20, self.hold_or_resume)]
        if role in ("requester", "dept_manager"):
            return [(0.45, self.read_case), (0.20, self.case_list), (0.15, self.tasks),
                    (0.20, self.comment)]
        if role == "executive":
            return [(0.35, self.dashboard), (0.25, self.board), (0.20, self.case_list),
                    (0.20, self.read_case)]
        return [(0.50, self.read_case), (0.20, self.case_list), (0.30, self.comment)]  # expert

    def count(self, counter: Counter, key: str) -> None:
        with self.results.lock:
            counter[key] += 1

    def run(self) -> None:
        clock = self.browser.clock
        try:
            try:
                self.sign_in()
            finally:
                clock.arrived()
            clock.go.wait()
            weights, actions = zip(*self.actions(), strict=True)
            while True:
                think(self.rng, self.think_s, self.browser.stop)
                self.rng.choices(actions, weights)[0]()
        except Stop:
            pass
        except Exception as exc:  # a bug in the simulation must show, not vanish in a thread
            self.results.add(Sample("client_bug", 0, 0.0, f"{type(exc).__name__}: {exc}"))

    def sign_in(self) -> None:
        b = self.browser
        b.get("login_form", "/login")
        status, location, _ = b.post("login", "/login", {"email": self.account.email,
                                                         "password": DEMO_PASSWORD})
        b.csrf = None  # signing in starts a new session, with a new token
        if status != 302 or location.startswith("/login"):
            raise RuntimeError(f"sign-in of {self.account.email} failed ({status})")
        b.get("home", location)

    def pick_case(self) -> int | None:
        cases = self.own_cases()
        return self.rng.choice(cases) if cases else None

    def read_case(self) -> None:
        case_id = self.pick_case()
        if case_id is None:
            return self.case_list()
        self.browser.get("case_page", f"/cases/{case_id}")

    def case_list(self) -> None:
        page = self.rng.choice((1, 1, 1, 2, 3))
        self.browser.get("case_list", f"/cases/?page={page}")

    def board(self) -> None:
        self.browser.get("board", "/office/board")

    def dashboard(self) -> None:
        self.browser.get("dashboard", "/dashboard/")

    def tasks(self) -> None:
        self.browser.get("tasks", "/tasks/")

    def comment(self) -> None:
        case_id = self.pick_case()
        if case_id is None:
            return self.case_list()
        b = self.browser
        status, _, _ = b.get("case_page", f"/cases/{case_id}")
        if status != 200:
            return
        think(self.rng, self.think_s, b.stop)
        status, location, _ = b.post("comment", f"/cases/{case_id}/comments", {
            "body": f"負荷試験のコメント（利用者{self.n}）", "kind": "comment"})
        if status != 302:
            self.count(self.results.comments, f"http_{status}")
            return
        _, _, page = b.get("after_comment", location, follow_up=True)
        flashes = FLASH_RE.findall(page)
        self.count(self.results.comments, "accepted" if "success" in flashes else "refused")

    def hold_or_resume(self) -> None:
        b = self.browser
        case_id = self.rng.choice(self.world.hot_cases)
        status, _, page = b.get("case_page", f"/cases/{case_id}")
        if status != 200:
            return
        forms = {trigger: VERSION_RE.search(body) for cid, trigger, body in FORM_RE.findall(page)
                 if int(cid) == case_id and trigger in ("hold", "resume")}
        trigger = next((t for t in ("resume", "hold") if forms.get(t)), None)
        if trigger is None:
            self.count(self.results.transitions, "not_offered")
            return
        version = int(forms[trigger].group(1))
        # The person reads the page before pressing the button: others may act meanwhile.
        if b.stop.wait(self.rng.uniform(0.2, 0.6)):
            raise Stop()
        comment = f"負荷試験（利用者{self.n}）" if trigger == "hold" else ""
        status, location, _ = b.post("transition", f"/cases/{case_id}/transitions/{trigger}",
                                     {"version": version, "comment": comment})
        self.count(self.results.transitions, "attempted")
        if status == 409:
            self.count(self.results.transitions, "conflict_409")
            return
        if status != 302:
            self.count(self.results.transitions, f"http_{status}")
            return
        _, _, page = b.get("after_transition", location, follow_up=True)
        flashes = FLASH_RE.findall(page)
        if "success" in flashes:
            self.count(self.results.transitions, "accepted")
            with self.results.lock:
                self.results.accepted.append((case_id, trigger, version + 1))
        else:
            self.count(self.results.transitions, "refused")


# --- reading the world and checking it afterwards --------------------------------------------


def read_world(url: str, n_hot: int, seed: int) -> tuple[dict[str, list[Account]], World]:
    from sqlalchemy import select

    from workflow.db import make_engine, make_session_factory
    from workflow.models import Case, Supporter, User

    engine = make_engine(url)
    session = make_session_factory(engine)()
    try:
        accounts: dict[str, list[Account]] = {}
        for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
            accounts.setdefault(u.role, []).append(Account(u.email, u.role, u.department_id, u.id))
        cases = session.execute(select(Case.id, Case.state, Case.department_id)
                                .order_by(Case.id)).all()
        visible = [c.id for c in cases if c.state != "draft"]
        holdable = [c.id for c in cases
                    if c.state == "on_hold" or c.state.startswith(HOLDABLE_PREFIXES)]
        by_department: dict[int, list[int]] = {}
        for c in cases:
            by_department.setdefault(c.department_id, []).append(c.id)
        by_expert: dict[int, list[int]] = {}
        for s in session.execute(select(Supporter.user_id, Supporter.case_id)
                                 .where(Supporter.user_id.is_not(None))):
            by_expert.setdefault(s.user_id, []).append(s.case_id)
    finally:
        session.close()
        engine.dispose()
    rng = random.Random(seed)  # noqa: S311
    hot = rng.sample(holdable, min(n_hot, len(holdable)))
    return accounts, World(hot, visible, by_department, by_expert)


def cast(accounts: dict[str, list[Account]], world: World, n_users: int) -> list[Account]:
    """The simulated users: a third Digital Office staff, half bureau staff, the rest
    executives and experts; several simulated users may share one demo account (own sessions)."""
    office = accounts.get("office", []) + accounts.get("office_lead", [])
    # Bureau accounts of the bureaus with the most cases first: they have the most to do.
    bureau = sorted(accounts.get("requester", []) + accounts.get("dept_manager", []),
                    key=lambda a: (-len(world.by_department.get(a.department_id, [])), a.user_id))
    executives = accounts.get("executive", [])
    experts = [a for a in accounts.get("expert", []) if world.by_expert.get(a.user_id)] or \
        accounts.get("expert", [])
    n_office = max(1, round(n_users * 0.32))
    n_exec = max(1, round(n_users * 0.08))
    n_expert = max(1, round(n_users * 0.08))
    n_bureau = max(0, n_users - n_office - n_exec - n_expert)
    chosen: list[Account] = []
    for pool, n in ((office, n_office), (bureau, n_bureau), (executives, n_exec),
                    (experts, n_expert)):
        chosen += [pool[i % len(pool)] for i in range(n)] if pool else []
    return chosen[:n_users]


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
