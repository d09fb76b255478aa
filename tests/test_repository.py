"""What a fresh clone holds: sources, not the by-products of running them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    return result.stdout.splitlines()


def test_no_database_file_is_committed():
    databases = [f for f in tracked_files()
                 if f.endswith((".sqlite3", ".sqlite", ".db", "-wal", "-shm"))]
    assert databases == []


def test_gitignore_keeps_databases_out():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "*.sqlite3" in ignored
