"""Copies of the migrated, seeded template database the suite starts from."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

_clones = itertools.count(1)


def clone_database(database_template, sqlite_target: Path, *, prefix: str = "dxflow_test",
                   template: str = "dxflow_template") -> str:
    """A private copy of ``database_template`` (``(kind, source)``) and its SQLAlchemy URL.

    PostgreSQL: ``CREATE DATABASE … TEMPLATE`` on the cluster (``source``), named after
    ``prefix``; SQLite: a file copy of ``source`` to ``sqlite_target``.
    """
    kind, source = database_template
    if kind == "postgresql":
        import psycopg  # only the PostgreSQL run needs it

        name = f"{prefix}_{os.getpid()}_{next(_clones)}"
        with psycopg.connect(host="127.0.0.1", port=source.port, user="dxflow",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return source.url_for(name)
    shutil.copyfile(source, sqlite_target)
    return f"sqlite:///{sqlite_target}"
