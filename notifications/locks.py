"""Only one scheduler sweeps at a time: a PostgreSQL advisory lock held for the transaction.

A second scheduler started by mistake finds the lock taken and does nothing (and says so);
the idempotency keys would make its work harmless anyway. SQLite has a single writer, so
there the lock is always granted.
"""

from __future__ import annotations

import logging
import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session

log = logging.getLogger("dxflow.scheduler")


def lock_key(name: str) -> int:
    # A stable 31-bit key per sweep name (pg advisory locks take a bigint).
    return zlib.crc32(f"dxflow:{name}".encode()) & 0x7FFFFFFF


def try_sweep_lock(session: Session, name: str) -> bool:
    """Take the sweep's lock until this transaction ends; False if another process holds it."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"),
                            {"key": lock_key(name)}).scalar()
    if not taken:
        log.warning("sweep %s skipped: another scheduler holds its lock", name)
    return bool(taken)
