"""``database://``: Flask-Limiter's counters in the app's own database (table
``rate_limit_counters``), so every gunicorn worker and every host shares one count without
running Redis or memcached. Other ``limits`` storages (``redis://``, ``memcached://``, ...)
still work through ``DXFLOW_RATELIMIT_STORAGE_URI``.

Each counter is one row, bumped by a single upsert, which is atomic on SQLite and
PostgreSQL alike; a window that has run out restarts in the same statement.
"""

from __future__ import annotations

import random
import time

from flask import current_app
from limits.storage import Storage
from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from workflow.models import RateLimitCounter

SCHEME = "database"
_TABLE = RateLimitCounter.__table__
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# Now and then an increment also sweeps counters whose window has ended.
_SWEEP_ONE_IN = 200


def _engine():
    # The app's engine (and pool): the limiter runs inside a request of that app. Read from
    # the app, not web.extensions, which imports this module to register the scheme.
    return current_app.extensions["sqlalchemy"].engine


class DatabaseStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        engine = _engine()
        insert = _INSERTS[engine.dialect.name]
        stmt = insert(_TABLE).values(key=key, count=amount, expires_at=now + expiry)
        expired = _TABLE.c.expires_at <= literal(now)
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={
            "count": case((expired, literal(amount)), else_=_TABLE.c.count + amount),
            "expires_at": case((expired, literal(now + expiry)), else_=_TABLE.c.expires_at),
        }).returning(_TABLE.c.count)
        with engine.begin() as connection:
            count = connection.execute(stmt).scalar_one()
            if random.randrange(_SWEEP_ONE_IN) == 0:  # noqa: S311 - housekeeping, not security
                connection.execute(delete(_TABLE).where(_TABLE.c.expires_at <= now))
        return int(count)

    def get(self, key: str) -> int:
        with _engine().connect() as connection:
            count = connection.execute(select(_TABLE.c.count).where(
                _TABLE.c.key == key, _TABLE.c.expires_at > time.time())).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        with _engine().connect() as connection:
            expires = connection.execute(select(_TABLE.c.expires_at)
                                         .where(_TABLE.c.key == key)).scalar()
        return float(expires) if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with _engine().connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with _engine().begin() as connection:
            return connection.execute(delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        with _engine().begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == key))
