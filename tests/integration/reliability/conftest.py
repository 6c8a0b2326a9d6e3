"""Worlds for the reliability tests: a data folder and its databases on SQLite (files) or
PostgreSQL (the session's throwaway cluster, CRM and checkpoints in one database), and real
Ressenti processes started over them (`proc.py`, through a fork server that imported
Ressenti once: each process then starts in a fraction of a second). Customers write in
through `Intake` from addresses the CRM does not know yet, so each one is new (no history:
a calm question is drafted, not handed off as a repeated contact)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest

from agents.core.config import Settings
from agents.services.root import Root
from agents.support.intake import InboundEnvelope
from tests.fakes import SCRIPTED_PROFILE
from tests.integration.conftest import postgres_database
from tests.integration.reliability import proc
from tests.integration.reliability.proc import open_root
from tools.crm.store import CRMStore

FORKS = multiprocessing.get_context("forkserver")
FORKS.set_forkserver_preload(["tests.integration.reliability.proc"])
LEASE_S = 2.0
"""The turn and delivery leases of these worlds: a killed worker's claim lapses soon."""
QUESTION = "Bonjour, où est mon colis ? Il devait arriver hier."


@dataclass
class Process:
    """A Ressenti process of a test, and the connection to talk to it."""

    process: BaseProcess
    connection: Connection

    def send(self, message: Any) -> None:
        self.connection.send(message)

    def receive(self, timeout_s: float = 120.0) -> Any:
        """Its next answer (its start included in the timeout)."""
        if not self.connection.poll(timeout_s):
            raise AssertionError(f"no answer in {timeout_s} s")
        return self.connection.recv()

    def kill(self) -> None:
        """`kill -9`."""
        if self.process.pid is not None and self.process.exitcode is None:
            os.kill(self.process.pid, signal.SIGKILL)

    def wait(self, timeout_s: float = 120.0) -> int | None:
        self.process.join(timeout_s)
        return self.process.exitcode


@dataclass
class World:
    """One data folder and its databases, and the processes started over it."""

    settings: Settings
    backend: str
    processes: list[Process] = field(default_factory=list)
    senders: int = 0

    def envelope(self) -> InboundEnvelope:
        """A message from a customer who never wrote before."""
        self.senders += 1
        return InboundEnvelope(
            channel="email",
            text=QUESTION,
            sender_email=f"client{self.senders}@exemple.fr",
            sender_name=f"Client {self.senders}",
            external_message_id=f"mail-{self.senders}",
        )

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "RESSENTI_DATA_DIR": str(self.settings.data_dir),
            "RESSENTI_DATABASE_URL": self.settings.resolved_database_url(),
            "RESSENTI_CHECKPOINT_URL": self.settings.resolved_checkpoint_url(),
            "RESSENTI_TURN_LEASE_S": str(LEASE_S),
            "RESSENTI_DELIVERY_LEASE_S": str(LEASE_S),
            "RESSENTI_WORKER_POLL_S": "0.1",
            "RESSENTI_DRAFT_PREVIEW_INTERVAL_S": "0.1",
            "RESSENTI_LLM_BASE_URL": "http://127.0.0.1:9/v1",  # never called: scripted
            "RESSENTI_LLM_PROFILE": SCRIPTED_PROFILE,  # the scripted model drafts
            **extra,
        }

    def start(self, role: str, **env: str) -> Process:
        """A Ressenti process over this world (`proc.run(role, …)`)."""
        mine, theirs = FORKS.Pipe()
        process = FORKS.Process(target=proc.run, args=(role, self.env(**env), theirs))
        process.start()
        theirs.close()
        started = Process(process, mine)
        self.processes.append(started)
        return started

    def root(self) -> Root:
        """Ressenti in this (test) process: a fresh start over the same databases."""
        return open_root(self.settings)

    def store(self) -> CRMStore:
        return CRMStore.from_settings(self.settings)

    def stop_all(self) -> None:
        for started in self.processes:
            started.kill()
            started.wait(30)
            started.connection.close()


def wait_for(check: Callable[[], bool], timeout_s: float = 120.0, every_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every_s)
    raise AssertionError("the awaited state never came")


def make_world(folder: Path, backend: str, database_url: str | None) -> World:
    settings = Settings(
        data_dir=folder,
        database_url=database_url,
        checkpoint_url=database_url,
        turn_lease_s=LEASE_S,
        delivery_lease_s=LEASE_S,
        llm_base_url="http://127.0.0.1:9/v1",
        llm_profile=SCRIPTED_PROFILE,  # a profile that lets the scripted model draft
        _env_file=None,  # type: ignore[call-arg]
    )
    CRMStore.from_settings(settings).close()  # the schema, once, before any process
    return World(settings, backend)


@pytest.fixture
def world_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], World]]:
    """Makes worlds on `sqlite` or `postgresql`; their processes are killed at the end."""
    made: list[World] = []
    cleanups: list[Iterator[str]] = []

    def make(backend: str) -> World:
        folder = tmp_path_factory.mktemp(f"world-{backend}")
        url: str | None = None
        if backend == "postgresql":
            databases = postgres_database(request.getfixturevalue("postgres_server"))
            url = next(databases)
            cleanups.append(databases)
        world = make_world(folder, backend, url)
        made.append(world)
        return world

    yield make
    for world in made:
        world.stop_all()
    for databases in cleanups:
        next(databases, None)  # drops the database


def awaiting_draft(world: World, root: Root) -> tuple[str, str]:
    """A new customer's message, its turn run here to its draft: (conversation, interrupt)."""
    received = root.support.receive(world.envelope())
    assert received.turn_id is not None
    result = root.support.process(received.turn_id)
    assert result.outcome == "awaiting_approval" and result.interrupt_id, result
    return received.conversation_id, result.interrupt_id
