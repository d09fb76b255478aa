"""Helpers shared by the test suite (throw-away PostgreSQL, Debian Chromium)."""

import os

import pytest


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine, but fail in CI.

    A missing database or browser must never turn CI green by skipping the tests
    that need it; scripts/test.sh installs both, so in CI their absence is a bug.
    """
    if running_in_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
