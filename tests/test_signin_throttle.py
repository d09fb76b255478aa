"""Sign-in hardening (issue 10 §6) and shared office networks (issue 16 §7).

* Unknown e-mails, inactive and locked accounts cost the same Argon2 verification as a
  wrong password: the hasher is called exactly once per attempt in every case.
* Failures lock one (account, source address) pair, with back-off; the owner still signs in
  from another address, and is told in the inbox; a success clears the pair.
* A whole office behind one NAT address signs in at 9:00 (more than the old 10 per minute);
  the per-address ceiling and the per-account limit still answer 429 when exceeded.
* ``X-Forwarded-For`` counts only when DXFLOW_PROXY_FIX says a proxy is there.
* The rate-limit counters live in the database: two processes share one count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import workflow.people.passwords as passwords
from tests.conftest import PASSWORD, csrf_token
from web.proxy import apply_proxy_fix
from workflow import lockouts
from workflow.models import AuditEvent, LoginLockout, Notification, utcnow

ROOT = Path(__file__).resolve().parent.parent


def _attempt(client, email: str, password: str, ip: str = "127.0.0.1", headers=None):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ip}, headers=headers or {})


def _signed_in(response) -> bool:
    return response.status_code == 302 and "/login" not in response.headers["Location"]


@pytest.fixture
def verify_calls(monkeypatch):
    calls = []
    real = passwords._hasher

    class Counting:
        def verify(self, hash_, password):
            calls.append(hash_)
            return real.verify(hash_, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    return calls


def test_every_failed_sign_in_costs_one_argon2_verification(app, client, session, people,
                                                            verify_calls):
    user = people["requester"]
    _attempt(client, "nobody@city.example.jp", PASSWORD)
    assert len(verify_calls) == 1  # unknown e-mail: against the dummy hash
    _attempt(client, user.email, "wrong-password-1")
    assert len(verify_calls) == 2 and verify_calls[1] == user.password_hash
    people["expert"].active = False
    session.commit()
    _attempt(client, people["expert"].email, PASSWORD)
    assert len(verify_calls) == 3
    lockouts.note_failure(session, people["office"], "127.0.0.1", lockouts.Policy(max_failures=1))
    session.commit()
    response = _attempt(client, people["office"].email, PASSWORD)
    assert len(verify_calls) == 4 and not _signed_in(response)
    # The dummy hash has the real hashes' cost parameters.
    dummy = verify_calls[0]
    assert dummy != user.password_hash
    assert dummy.split("$")[3] == passwords.hash_password("x" * 12).split("$")[3]


def test_the_dummy_hash_never_signs_anyone_in():
    assert passwords.verify_password(None, "") is False
    assert passwords.verify_password("", "anything at all") is False


def test_failures_lock_only_the_account_and_address_pair(app, client, session, people):
    user = people["requester"]
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert not _signed_in(_attempt(client, user.email, "guess-guess-1", ip="203.0.113.9"))
    assert not _signed_in(_attempt(client, user.email, PASSWORD, ip="203.0.113.9"))
    assert _signed_in(_attempt(app.test_client(), user.email, PASSWORD, ip="198.51.100.4"))
    [locked] = session.scalars(select(AuditEvent).where(AuditEvent.kind == "login_locked")).all()
    assert locked.data["source"] == "203.0.113.9" and locked.data["target"] == user.email


def test_the_owner_is_told_when_a_lock_starts(app, client, session, people):
    user = people["dept_manager"]
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _attempt(client, user.email, "guess-guess-1", ip="203.0.113.50")
    notes = session.scalars(select(Notification).where(
        Notification.recipient_id == user.id, Notification.reason == "login_locked")).all()
    assert [n.channel for n in notes if n.channel == "inbox"] == ["inbox"]
    assert "203.0.113.50" in notes[0].body
    owner = app.test_client()
    assert _signed_in(_attempt(owner, user.email, PASSWORD, ip="198.51.100.4"))
    opened = owner.post(f"/inbox/{notes[0].id}/open",
                        data={"csrf_token": csrf_token(owner, "/inbox/")})
    assert opened.headers["Location"].endswith("/account")


def test_each_lock_of_the_same_pair_lasts_twice_as_long(session, people):
    user, policy = people["office"], lockouts.Policy(max_failures=2,
                                                     first_lock=timedelta(minutes=5),
                                                     longest_lock=timedelta(minutes=15))
    now = utcnow()
    lengths = []
    for n in range(4):
        at = now + timedelta(hours=n)
        lockouts.note_failure(session, user, "192.0.2.1", policy, now=at)
        lengths.append(lockouts.note_failure(session, user, "192.0.2.1", policy, now=at))
    assert lengths == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=15),
                       timedelta(minutes=15)]
    lockouts.note_success(session, user, "192.0.2.1")
    lockouts.note_failure(session, user, "192.0.2.1", policy, now=now)
    assert lockouts.note_failure(session, user, "192.0.2.1", policy, now=now) == timedelta(
        minutes=5)


def test_a_success_clears_the_pairs_failures(app, client, session, people):
    user = people["requester"]
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        _attempt(client, user.email, "guess-guess-1")
    assert _signed_in(_attempt(client, user.email, PASSWORD))
    assert session.scalars(select(LoginLockout)).all() == []


def test_an_office_behind_one_address_signs_in_at_nine(app, session, make_user):
    staff = [make_user("requester") for _ in range(15)]
    for user in staff:
        assert _signed_in(_attempt(app.test_client(), user.email, PASSWORD, ip="192.0.2.200"))


def test_the_per_address_ceiling_still_holds(app, client, people):
    app.config["LOGIN_IP_LIMIT"] = "3 per minute"
    codes = [_attempt(client, f"u{n}@city.example.jp", "x", ip="192.0.2.99").status_code
             for n in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _attempt(client, "u9@city.example.jp", "x", ip="192.0.2.100").status_code == 200


def test_the_per_account_limit_spans_addresses(app, client, people):
    app.config["LOGIN_ACCOUNT_LIMIT"] = "3 per minute"
    email = people["admin"].email
    codes = [_attempt(client, email, "guess", ip=f"192.0.2.{n}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _attempt(client, people["office"].email, "x", ip="192.0.2.9").status_code == 200


def test_forwarded_for_is_ignored_without_a_configured_proxy(app, client, session, people):
    user = people["requester"]
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        _attempt(client, user.email, "guess-guess-1", headers={"X-Forwarded-For": f"10.9.9.{n}"})
    [row] = session.scalars(select(LoginLockout)).all()
    assert row.source == "127.0.0.1" and row.locked_until is not None


def test_forwarded_for_is_the_source_behind_a_configured_proxy(app, client, session, people):
    apply_proxy_fix(app, 1)
    _attempt(client, people["requester"].email, "guess-guess-1",
             headers={"X-Forwarded-For": "10.9.9.9"})
    [row] = session.scalars(select(LoginLockout)).all()
    assert row.source == "10.9.9.9"


PROCESS = textwrap.dedent("""
    import json, sys
    from web import create_app
    from tests.conftest import csrf_token
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1],
                      "SECRET_KEY": "two-process-test", "DXFLOW_INSTANCE_DIR": sys.argv[2],
                      "LOGIN_IP_LIMIT": "4 per minute"})
    client = app.test_client()
    codes = []
    for n in range(int(sys.argv[3])):
        token = csrf_token(client, "/login")
        codes.append(client.post("/login", data={"email": f"p{n}@city.example.jp",
                     "password": "x", "csrf_token": token}).status_code)
    print(json.dumps(codes))
""")


def test_two_processes_share_the_rate_limit_counters(db_url, instance_dir):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DXFLOW_RATELIMIT_STORAGE_URI", None)

    def run(attempts: int) -> list[int]:
        done = subprocess.run([sys.executable, "-c", PROCESS, db_url, str(instance_dir),
                               str(attempts)], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert run(3) == [200, 200, 200]
    assert run(3) == [200, 429, 429]  # one count for both: 4 per minute in all
