"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 10


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


def password_problems(password: str) -> list[tuple[str, str]]:
    """(Japanese, English) reasons a new password is refused; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append((f"パスワードは{MIN_LENGTH}文字以上にしてください",
                         f"Use at least {MIN_LENGTH} characters"))
    if password.isdigit() or password.isalpha():
        problems.append(("英字と数字を組み合わせてください", "Mix letters and digits"))
    return problems
