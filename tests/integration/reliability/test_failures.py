"""Nothing dropped when a part fails for real: Chroma unreachable, the CRM's record tables
unreadable, the emotion model file corrupt. The message is received all the same, its
turn goes to the human queue with the reason and a handoff package, and nothing is sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from tests.fakes import ScriptedChatModel
from tests.integration.conftest import free_port
from tests.integration.reliability.conftest import World
from tests.integration.reliability.proc import Answers, Calm, OnePassage


def broken_chroma(world: World, tmp_path: Path) -> Root:
    settings = world.settings.model_copy(update={"chroma_url": f"http://127.0.0.1:{free_port()}"})
    return Root(settings, Overrides(llm=scripted(settings), emotions=Calm()))


def broken_crm(world: World, tmp_path: Path) -> Root:
    store = world.store()
    with store.engine.begin() as connection:  # the record tables a turn reads are gone
        connection.execute(text("ALTER TABLE contracts RENAME TO contracts_moved"))
    store.close()
    settings = world.settings
    return Root(
        settings, Overrides(llm=scripted(settings), knowledge=OnePassage(), emotions=Calm())
    )


def broken_reader(world: World, tmp_path: Path) -> Root:
    corrupt = tmp_path / "classifier.npz"
    corrupt.write_bytes(b"not a numpy archive")
    settings = world.settings.model_copy(update={"emotion_model_path": corrupt})
    return Root(settings, Overrides(llm=scripted(settings), knowledge=OnePassage()))


def scripted(settings: Settings) -> LLMClient:
    return LLMClient(settings, ScriptedChatModel(script=Answers([])))


@pytest.mark.parametrize(
    ("open_broken", "error"),
    [
        (broken_chroma, "Chroma"),
        (broken_crm, "OperationalError"),
        (broken_reader, "ValueError"),
    ],
    ids=["chroma", "crm", "emotion_reader"],
)
def test_a_failing_part_puts_the_message_in_the_human_queue(
    world_factory: Callable[[str], World],
    tmp_path: Path,
    open_broken: Callable[[World, Path], Root],
    error: str,
) -> None:
    world = world_factory("sqlite")
    root = open_broken(world, tmp_path)
    try:
        envelope = world.envelope()
        received = root.support.receive(envelope)  # the message gets in whatever fails
        assert received.turn_id is not None
        result = root.support.process(received.turn_id)

        assert (result.status, result.outcome) == ("to_human", "failed"), result
        assert result.reason and error in result.reason
        [item] = root.support.human_queue()
        assert item.conversation_id == received.conversation_id
        assert item.reason == result.reason and item.priority == "high"
        assert item.package is not None and item.package.last_message == envelope.text
        assert item.last_message == envelope.text
        assert root.store.deliveries.rows() == []
    finally:
        root.close()
