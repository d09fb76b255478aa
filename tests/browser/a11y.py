"""axe-core in the browser tests: every page a person visits is audited, and any serious or
critical violation fails the test.

axe is evaluated through the DevTools protocol (``page.evaluate``), which the page's CSP does
not govern, so the pages are audited exactly as they are served, CSP on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text("utf-8")
BLOCKING = ("serious", "critical")
# id(page) -> that person's audit (tests/browser/conftest.py), for helpers given only a page.
AUDITORS: dict[int, Callable[[], None]] = {}

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


def violations(page: Any) -> list[dict]:
    """The serious and critical axe violations of the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return [v for v in page.evaluate(_RUN) if v["impact"] in BLOCKING]


def describe(url: str, found: list[dict]) -> str:
    lines = [f"axe: {len(found)} serious/critical on {url}"]
    for v in found:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"      {t}" for t in v["targets"])
    return "\n".join(lines)


def audit(page: Any) -> None:
    """Audit ``page`` through its person (each page state once; see Person.audit)."""
    AUDITORS[id(page)]()
