"""What the benchmarks share: a free loopback port and settings for a throwaway run."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from agents.config import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings on a temporary data folder, the shared runtime, and a fresh server port."""
    return Settings(
        data_dir=data_dir,
        runtime_dir=Settings().runtime_path,
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",
        **overrides,
    )
