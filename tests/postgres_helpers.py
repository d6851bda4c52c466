"""A throwaway PostgreSQL + PostGIS cluster for the tests: Debian's server binaries, a data
folder and a Unix socket in a temporary folder (no TCP port), stopped at the end of the session.
`make test` installs postgresql and postgresql-15-postgis-3 when they are missing."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is missing: `make test` installs Debian's "
                           "postgresql and postgresql-15-postgis-3 (apt-get install).")
    return found[-1]


def _as_postgres(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a server command; as root, through the postgres account (initdb refuses root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


class Cluster:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ogpg"))
        self.data, self.socket = self.root / "data", self.root / "sock"
        self.socket.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket, "postgres")
        _as_postgres([_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--locale=C.UTF-8"])
        _as_postgres([_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                      "-o", f"-c listen_addresses='' -k {self.socket} -c fsync=off "
                            "-c max_connections=50", "start"])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = "t" + uuid.uuid4().hex[:12]
        with psycopg.connect(host=str(self.socket), user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # a name we made: no user text here
        return self.url(name)

    def stop(self) -> None:
        try:
            _as_postgres([_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
