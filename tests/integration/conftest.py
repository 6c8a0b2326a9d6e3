"""Integration tier: real parts. One real vLLM CPU server and one PostgreSQL server per session.

The server is started through Ressenti's own `serve` (the code path users run), on a free
loopback port, with a temporary data directory and the shared runtime folder (server
environment and prepared model are reused between runs; `make test` prepares them first).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.core.config import Settings
from agents.llm import server
from tools.crm.throwaway import scratch_database, throwaway_postgres


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base URL (no database name) of a PostgreSQL server started for this session."""
    with throwaway_postgres() as base_url:
        yield base_url


def postgres_database(base_url: str) -> Iterator[str]:
    with scratch_database(base_url) as url:
        yield url
