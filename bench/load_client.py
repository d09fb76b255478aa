"""The load generator of bench/load.py: a browser per simulated user, timing every request
against a shared request budget and clock."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urlencode, urlsplit

REQUEST_TIMEOUT_S = 30
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
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
