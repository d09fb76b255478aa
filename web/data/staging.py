"""Uploaded import files kept between "check" and "import" (instance/imports/, a day at most).

The check page shows what the file would do; the import button sends back only a random
token, so the file is not uploaded twice and nobody can point the import at another path.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from flask import current_app

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _dir() -> Path:
    path = Path(current_app.config["DXFLOW_INSTANCE_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(folder: Path) -> None:
    limit = time.time() - MAX_AGE_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def stage(data: bytes, filename: str, user_id: int) -> str:
    folder = _dir()
    _sweep(folder)
    token = secrets.token_hex(16)
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"filename": filename, "user_id": user_id}
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token


def load(token: str, user_id: int) -> tuple[bytes, str] | None:
    """The staged file's bytes and name, only for the user who uploaded it."""
    if not _TOKEN.match(token or ""):
        return None
    folder = _dir()
    data, meta = folder / f"{token}.bin", folder / f"{token}.json"
    if not data.is_file() or not meta.is_file():
        return None
    info = json.loads(meta.read_text(encoding="utf-8"))
    if info.get("user_id") != user_id:
        return None
    return data.read_bytes(), str(info.get("filename") or "upload")


def discard(token: str) -> None:
    if _TOKEN.match(token or ""):
        for suffix in (".bin", ".json"):
            (_dir() / f"{token}{suffix}").unlink(missing_ok=True)
