"""The layering of DESIGN.md, checked by import-linter with the contracts in pyproject.toml."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.support.console import console_script

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    executable = console_script("lint-imports") or "lint-imports"
    if not Path(executable).exists():
        pytest.fail("lint-imports is not installed (pip install -e '.[test]')")
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [executable, "--config", str(cwd / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_the_contracts_are_declared():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
    contracts = {c["name"]: c for c in config["contracts"]}
    domain = next(c for c in contracts.values() if c["source_modules"] == ["workflow"])
    assert {"flask", "web", "notifications"} <= set(domain["forbidden_modules"])
    assert config["include_external_packages"] is True  # or "flask" could not be forbidden


def test_import_contracts_hold():
    result = lint_imports(ROOT, ROOT)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    kept = re.search(r"Contracts: (\d+) kept, (\d+) broken", report)
    assert kept is not None, report
    assert (int(kept.group(1)), int(kept.group(2))) == (2, 0), report


def test_a_flask_import_in_the_domain_core_is_caught(tmp_path):
    """The same contracts on a tiny copy of the layout where workflow imports Flask."""
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package, source in {
        "workflow": "from workflow import engine\n",
        "web": "import flask\nimport workflow\n",
        "notifications": "import workflow\n",
    }.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(source)
    (tmp_path / "workflow" / "engine.py").write_text("from flask import current_app\n")
    result = lint_imports(tmp_path, tmp_path)
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "BROKEN" in report and "workflow.engine -> flask" in report, report
