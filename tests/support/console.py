"""The project's console scripts as installed beside the Python running the tests.

The suite also runs in a fresh virtual environment with the newest releases (scripts/test.sh),
so a script on PATH may belong to another installation: the one next to ``sys.executable``
comes first.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def console_script(name: str) -> str | None:
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def run_dxflow(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """The real ``dxflow`` console script (or the same entry point when it is not installed)."""
    script = console_script("dxflow")
    entry_point = "import sys; from web.commands import main; sys.exit(main())"
    command = [script] if script else [sys.executable, "-c", entry_point]
    return subprocess.run([*command, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)
