"""Integration tier: real parts. One real vLLM CPU server and one PostgreSQL server per session.

The server is started through Ressenti's own `serve` (the code path users run), on a free
loopback port, with a temporary data directory and the shared runtime folder (server
environment and prepared model are reused between runs; `make test` prepares them first).
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

from agents.core.config import Settings
from agents.llm import server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def llm_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointed at a real vLLM server started for this test session; the server
    wants an API key (every client of the session sends it, as a deployment's would)."""
    data_dir: Path = tmp_path_factory.mktemp("ressenti-data")
    settings = Settings(
        data_dir=data_dir,
        runtime_dir=Settings().runtime_path,
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",
        llm_timeout_s=120,
        llm_api_key=f"test-key-{uuid.uuid4().hex}",
        _env_file=None,  # type: ignore[call-arg]
    )
    server.serve(settings, report=lambda line: print(line, flush=True))
    yield settings
    server.stop(settings, report=lambda _: None)


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
    port = free_port()

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


def postgres_database(base_url: str) -> Iterator[str]:
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
