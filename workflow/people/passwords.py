"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str) -> list[tuple[str, str]]:
    """(Japanese, English) reasons a new password is refused; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append((f"パスワードは{MIN_LENGTH}文字以上にしてください",
                         f"Use at least {MIN_LENGTH} characters"))
    if password.isdigit() or password.isalpha():
        problems.append(("英字と数字を組み合わせてください", "Mix letters and digits"))
    return problems
