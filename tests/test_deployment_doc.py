"""docs/DEPLOYMENT.md documents every ``DXFLOW_*`` setting the code reads."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENV_READ = re.compile(r"""\benv\(\s*["']([A-Z0-9_]+)["']""")


def settings_read_by_the_code() -> set[str]:
    names = set()
    for package in ("workflow", "web", "notifications"):
        for path in (REPO / package).rglob("*.py"):
            names.update(ENV_READ.findall(path.read_text(encoding="utf-8")))
    return names


def documented(name: str, doc: str) -> bool:
    if f"DXFLOW_{name}" in doc:
        return True
    # Grouped rows: "`DXFLOW_SMTP_HOST`, `_PORT`, ..." documents DXFLOW_SMTP_PORT.
    prefix, _, rest = name.partition("_")
    return any(f"DXFLOW_{prefix}_" in line and f"`_{rest}`" in line for line in doc.splitlines())


def test_every_setting_is_in_the_deployment_guide():
    doc = (REPO / "docs" / "DEPLOYMENT.md").read_text(encoding="utf-8")
    names = settings_read_by_the_code()
    assert {"SECRET_KEY", "DATABASE_URL", "PROXY_FIX"} <= names
    missing = sorted(n for n in names if not documented(n, doc))
    assert not missing, f"add these to docs/DEPLOYMENT.md's settings table: {missing}"


def test_the_readme_links_the_guide():
    assert "(docs/DEPLOYMENT.md)" in (REPO / "README.md").read_text(encoding="utf-8")
