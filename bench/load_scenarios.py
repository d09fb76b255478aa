"""Who does what in bench/load.py: the demo city's accounts cast as office staff, bureau staff,
executives and experts, and what each kind of user does between two thoughts."""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from dataclasses import dataclass

from load_client import Browser, Results, Sample, Stop

DEMO_PASSWORD = "dxflow-demo-1"  # noqa: S105 - the demo's published password
HOLDABLE_PREFIXES = ("consultation_", "planning_", "solution_", "review_")
FORM_RE = re.compile(
    r'<form method="post" action="/cases/(\d+)/transitions/(\w+)"[^>]*>(.*?)</form>', re.S)
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
FLASH_RE = re.compile(r'class="flash flash-(\w+)"')


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


