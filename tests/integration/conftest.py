"""Integration tier: real parts. One real vLLM CPU server per test session.

The server is started through Ressenti's own `serve` (the code path users run), on a free
loopback port, with a temporary data directory and the shared runtime folder (server
environment and prepared model are reused between runs; `make test` prepares them first).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.config import Settings
from agents.llm import server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def llm_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointed at a real vLLM server started for this test session."""
    data_dir: Path = tmp_path_factory.mktemp("ressenti-data")
    settings = Settings(
        data_dir=data_dir,
        runtime_dir=Settings().runtime_path,
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",
        llm_timeout_s=120,
        _env_file=None,  # type: ignore[call-arg]
    )
    server.serve(settings, report=lambda line: print(line, flush=True))
    yield settings
    server.stop(settings, report=lambda _: None)
