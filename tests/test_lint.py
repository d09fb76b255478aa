"""``ruff check .`` is clean for the whole repository, security rules (bandit's S set) included.

The rules live in pyproject.toml ([tool.ruff]); a genuine false positive gets a targeted
``# noqa: CODE - reason`` on its line, never a blanket ignore.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def ruff_command() -> list[str]:
    # The ruff next to this interpreter (the test extra installs it), else one on PATH.
    for candidate in (Path(sys.executable).parent / "ruff", shutil.which("ruff")):
        if candidate and Path(candidate).is_file():
            return [str(candidate)]
    return [sys.executable, "-m", "ruff"]


def test_ruff_check_is_clean():
    result = subprocess.run([*ruff_command(), "check", "--no-cache", "--output-format", "concise",
                             "."], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (
        "ruff check . found problems; fix them (or add a targeted `# noqa: CODE - reason` for a "
        f"genuine false positive):\n{result.stdout}{result.stderr}")
