"""A throw-away PostgreSQL cluster for tests.

Uses Debian's server binaries directly (initdb + pg_ctl) on a random port and
a private socket dir, so nothing has to be running beforehand and nothing is
left behind. PostgreSQL refuses to run as root, so as root the cluster's files
are owned by, and its binaries run as, the ``postgres`` user.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
SERVICE_USER = "postgres"
DB_USER = "dxflow"
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries (or the user to run them as) are missing."""


class PostgresStartError(RuntimeError):
    """The binaries exist but the cluster did not come up."""


def find_bindir() -> Path:
    """The bin dir of the newest PostgreSQL under /usr/lib/postgresql (or $DXFLOW_PG_BINDIR)."""
    override = os.environ.get("DXFLOW_PG_BINDIR")
    candidates = (
        [Path(override)]
        if override
        else sorted(
            (p / "bin" for p in PG_ROOT.glob("*") if p.name.isdigit()),
            key=lambda b: int(b.parent.name),
            reverse=True,
        )
    )
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresUnavailable(
        f"PostgreSQL server binaries not found under {override or PG_ROOT}; "
        "install Debian's 'postgresql' package (scripts/test.sh does this)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                self._pw = pwd.getpwnam(SERVICE_USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root but there is no '{SERVICE_USER}' user to run PostgreSQL as"
                ) from None
        self.dir: Path | None = None
        self.port: int | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> PostgresCluster:
        if self.dir is not None:
            return self
        # Short path under /tmp: the unix socket path must fit in ~107 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="dxflow-pg-"))
        if self.as_root:
            os.chown(self.dir, self._pw.pw_uid, self._pw.pw_gid)
        # Registered before anything can fail, so a crashed test run never leaks a server.
        atexit.register(self.stop)
        try:
            self._run(
                "initdb",
                "-D",
                str(self.dir / "data"),
                "-A",
                "trust",
                "-U",
                DB_USER,
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
            # Another process may grab the "free" port between probe and bind: retry.
            for attempt in range(3):
                self.port = _free_port()
                try:
                    self._pg_ctl_start()
                    break
                except PostgresStartError:
                    if attempt == 2:
                        raise
        except BaseException:
            self.stop()
            raise
        return self

    def stop_server(self) -> None:
        """Stop the server (``pg_ctl stop -m fast``) but keep the cluster: fault tests."""
        if self.dir is None:
            raise RuntimeError("cluster is not running")
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def start_server(self) -> None:
        """Start a server stopped with ``stop_server`` again, on the same port and data."""
        if self.dir is None or self.port is None:
            raise RuntimeError("cluster was never started")
        self._pg_ctl_start()

    def _pg_ctl_start(self) -> None:
        opts = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
            # Durability is pointless for a throw-away cluster; speed is not.
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.dir / "data"),
            "-o",
            opts,
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        if self.dir is None:
            return
        atexit.unregister(self.stop)
        try:
            if (self.dir / "data" / "postmaster.pid").exists():
                self._run(
                    "pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop", check=False
                )
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
            self.port = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- URLs and databases ----------------------------------------------

    def url_for(self, dbname: str) -> str:
        if self.port is None:
            raise RuntimeError("cluster is not running")
        return f"postgresql+psycopg://{DB_USER}@127.0.0.1:{self.port}/{dbname}"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the cluster's default 'postgres' database."""
        return self.url_for("postgres")

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        if not _DB_NAME.match(name):
            raise ValueError(f"unsafe database name: {name!r}")
        import psycopg  # imported late: only tests that use PostgreSQL need it

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=DB_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    # -- internals -------------------------------------------------------

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
        # cwd: the postgres user may not be able to enter the caller's cwd (e.g. /root).
        proc = subprocess.run(
            cmd, cwd=self.dir, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        if check and proc.returncode != 0:
            log = ""
            if self.dir is not None and (self.dir / "log").exists():
                log = (self.dir / "log").read_text(errors="replace")[-2000:]
            raise PostgresStartError(
                f"{tool} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}{log}"
            )
