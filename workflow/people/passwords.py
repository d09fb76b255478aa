"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash of a random password nobody knows, with the same cost as real ones."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(24))
    return _dummy_hash


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; with no hash (unknown e-mail, locked or password-less account) the
    same Argon2 work is done against a dummy hash, so the answer time tells nothing."""
    try:
        ok = _hasher.verify(password_hash or _dummy(), password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and bool(password_hash)


def _personal_parts(user_inputs) -> set[str]:
    """Name and e-mail pieces a password must not contain (ASVS 6.2.11-style context words)."""
    parts = set()
    for text in user_inputs:
        for piece in re.split(r"[\s@._+\-]+", (text or "").lower()):
            if len(piece) >= 3 and piece not in _GENERIC_PARTS:
                parts.add(piece)
    return parts


def password_problems(password: str, user_inputs=()) -> list[tuple[str, str]]:
    """(Japanese, English) reasons a new password is refused; empty when it is acceptable.

    ``user_inputs`` are the account's name and e-mail. The common-password check uses
    zxcvbn's offline list of the 30,000 most common passwords and its guessability score.
    """
    problems = []
    lowered = password.lower()
    if len(password) < MIN_LENGTH:
        problems.append((f"パスワードは{MIN_LENGTH}文字以上にしてください",
                         f"Use at least {MIN_LENGTH} characters"))
    if any(part in lowered for part in _personal_parts(user_inputs)):
        problems.append(("氏名やメールアドレスの一部を含むパスワードは使えません",
                         "Do not use a part of your name or e-mail address"))
    if lowered in _common() or lowered in PUBLISHED or (password and zxcvbn(password[:100],
                                                    user_inputs=list(user_inputs))["score"] < 3):
        problems.append(("よく使われる、または推測されやすいパスワードは使えません",
                         "This password is too common or easy to guess"))
    return problems


def _common() -> set[str]:
    global _common_passwords
    if _common_passwords is None:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS

        _common_passwords = set(FREQUENCY_LISTS["passwords"])
    return _common_passwords


_common_passwords: set[str] | None = None
# Passwords printed in the docs and the demo's output (its shared password): demo only.
PUBLISHED = frozenset({"dxflow-demo-1"})
# Address pieces every city account shares: refusing them would refuse nothing useful.
_GENERIC_PARTS = frozenset({"city", "example", "com", "org", "net", "lg", "jp", "co", "go"})
