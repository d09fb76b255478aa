"""Launch Debian's Chromium through Playwright.

`playwright install` cannot download its own browser builds here, so the tests
drive the distro's /usr/bin/chromium (installed by scripts/test.sh) instead.
"""

from __future__ import annotations

import os
from typing import Any

CHROMIUM = "/usr/bin/chromium"

# --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
# The rest keep a headless run quiet and off the network (only registries are reachable).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


class BrowserUnavailable(RuntimeError):
    """Debian's chromium is not installed."""


def launch_chromium(playwright: Any, **kwargs: Any) -> Any:
    """Return a headless playwright Browser running /usr/bin/chromium."""
    if not os.access(CHROMIUM, os.X_OK):
        raise BrowserUnavailable(
            f"{CHROMIUM} not found; install Debian's 'chromium' package (scripts/test.sh does this)"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, **kwargs)
