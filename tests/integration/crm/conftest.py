"""Store fixtures over both backends: a SQLite file and a real PostgreSQL server.

The PostgreSQL server is a private throwaway cluster started once per test session in a
temporary folder, listening on a free loopback port, with its unix socket in that folder;
it is stopped and deleted at the end. PostgreSQL refuses to run as root, so when the tests
run as root (CI) the cluster belongs to the `postgres` system user that the Debian package
creates, and its commands run through `runuser`. `make test` installs the binaries.
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
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore

BACKENDS = ["sqlite", "postgresql"]
SEEDED_CUSTOMERS = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_bin() -> Path:
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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base URL (no database name) of a PostgreSQL server started for this session."""
    bindir = _postgres_bin()
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


def _postgres_database(base_url: str) -> Iterator[str]:
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


def _database_url(backend: str, folder: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'crm.db'}"
    else:
        yield from _postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables yet) on each backend."""
    yield from _database_url(request.param, tmp_path, request)


@pytest.fixture
def store(database_url: str) -> Iterator[CRMStore]:
    """A migrated, empty store on each backend."""
    crm = CRMStore.from_url(database_url)
    yield crm
    crm.close()


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CRMStore]:
    """A store holding a small demo company, shared by a module's READ-ONLY tests."""
    folder = tmp_path_factory.mktemp("seeded")
    for url in _database_url(request.param, folder, request):
        crm = CRMStore.from_url(url)
        seed_demo(crm, customers=SEEDED_CUSTOMERS, seed=7)
        yield crm
        crm.close()
