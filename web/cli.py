"""Kept for ``dxflow`` scripts installed before the CLI became ``web.commands``.

An existing installation's console script still runs ``from web.cli import main`` until it is
reinstalled (``pip install -e .``); new code imports ``web.commands``.
"""

from web.commands import main

__all__ = ["main"]
