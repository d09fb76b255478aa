"""Where the cookie-signing key comes from: never a constant that ships with the code.

Production sets ``DXFLOW_SECRET_KEY``. The demo keeps a random key in its instance folder
(``secret_key``, mode 0600), made on first start and reused, so sign-ins survive a restart
and no two demos share a key. Debug, tests and CLI commands that never serve a page get a
random key for the life of the process.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = "secret_key"
# Keys that were once published (the old development default): refused wherever they come from.
PUBLISHED_KEYS = frozenset({"dev-only-not-secret"})
_MIN_FILE_KEY = 32


class InsecureConfiguration(RuntimeError):
    """Raised when the app would serve pages with no secret key of its own."""


def demo_key(instance_dir: str | os.PathLike) -> str:
    """The demo's key from ``<instance>/secret_key``, created (0600) the first time."""
    path = Path(instance_dir) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if len(key) >= _MIN_FILE_KEY:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return key
    key = secrets.token_hex(32)
    # O_EXCL: two demo processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def resolve(config: dict) -> str:
    """The key to sign with for ``config`` (a Flask config mapping)."""
    if config.get("SECRET_KEY") in PUBLISHED_KEYS:
        raise InsecureConfiguration(
            "DXFLOW_SECRET_KEY is a published example key; set a long random value instead "
            "(python -c 'import secrets; print(secrets.token_hex(32))').")
    if config.get("SECRET_KEY"):
        return config["SECRET_KEY"]
    if config.get("DXFLOW_DEMO"):
        return demo_key(config["DXFLOW_INSTANCE_DIR"])
    if config.get("DEBUG") or config.get("TESTING") or config.get("DXFLOW_CLI"):
        return secrets.token_hex(32)
    raise InsecureConfiguration(
        "Set DXFLOW_SECRET_KEY to a long random value (python -c 'import secrets; "
        "print(secrets.token_hex(32))'); only the demo makes its own key.")
