"""Unit tier: no network. Any attempt to open an internet socket fails the test."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from agents.core.config import Settings


class NetworkBlockedError(ConnectionRefusedError):
    """A unit test tried to reach the network (seen by clients as a refused connection)."""


@pytest.fixture(autouse=True)
def _no_ressenti_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests see the documented defaults, whatever the shell exported."""
    for name in [n for n in os.environ if n.startswith("RESSENTI_")]:
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise NetworkBlockedError(f"unit tests must not use the network (tried {address!r})")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with every file under a temporary folder and an unreachable LLM endpoint.

    The model is profiled as a capable one (trusted to assess, draft and summarise): unit
    tests script its answers to test the graph's logic. Tests of the embedded default
    model's path set `llm_profile` to its profile."""
    return Settings(
        data_dir=tmp_path / "data",
        runtime_dir=tmp_path / "runtime",
        llm_base_url="http://127.0.0.1:9/v1",
        llm_profile="mistral-small-24b",
        _env_file=None,  # type: ignore[call-arg]
    )
