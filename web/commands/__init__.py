"""The ``dxflow`` command line: one module per command group, all attached to ``main``.

``base`` holds the click group and the helpers every command shares (``fail`` exits 2 with one
line); it imports no command, so each command module depends on ``base`` alone. Importing this
package registers every command.
"""

from web.commands import backup, cases, data, demo, notifications, setup, tokens  # noqa: F401
from web.commands.base import main

__all__ = ["main"]
