"""A throwaway PostgreSQL server and scratch databases, for the tests and the benchmarks.

`throwaway_postgres()` runs `initdb` and `pg_ctl` (Debian's `postgresql` package: `make
postgres`) in a temporary folder, on a free loopback port, with durability off (fsync,
synchronous commit, full-page writes: nothing here must survive a crash), and removes it
all on exit. `scratch_database(base_url)` creates a database on it and drops it after.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin() -> Path:
    """The folder of the newest PostgreSQL server binaries installed."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL server binaries not found: run `make postgres` (apt package)")


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Base URL (no database name) of a PostgreSQL server that lives inside the block."""
    bindir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="ressenti-pg-"))
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    port = _free_port()

    def run(*args: str | Path) -> None:
        subprocess.run([*prefix, *map(str, args)], check=True, capture_output=True, cwd=root)

    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        run(
            bindir / "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        run(
            bindir / "pg_ctl",
            "-D",
            data,
            "-l",
            root / "server.log",
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        if (data / "postmaster.pid").exists():
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
    """URL of a fresh database on the server at `base_url`, dropped on exit."""
    name = f"crm_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{base_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base_url}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
