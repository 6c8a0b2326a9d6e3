"""Sessions, sign-in, tokens and the HTTP routes over a real SQLite store, with a clock the
test moves (no waiting for an expiry)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from tests.fakes import ScriptedChatModel

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PASSWORD = "correct-horse-1"


class Clock:
    """A clock that moves only when told."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def open_root(settings: Settings, clock: Clock, *answers: str) -> Root:
    model = ScriptedChatModel.of(*answers)
    return Root(settings, Overrides(clock=clock, llm=LLMClient(settings, model)))


@pytest.fixture
def root(settings: Settings, clock: Clock) -> Iterator[Root]:
    """A root over a temporary data folder (not demo mode) with two accounts."""
    opened = open_root(settings, clock)
    opened.accounts.create("lea@lumio.fr", PASSWORD, "agent", "Léa")
    opened.accounts.create("max@lumio.fr", PASSWORD, "marketer", "Max")
    yield opened
    opened.close()
