"""Inbound first and idempotent on both backends, under concurrency: the same message
delivered twice at the same instant (a webhook retried while the first call still runs) is
stored once; a new conversation opened twice at once by its channel id is opened once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from agents.support.intake import InboundEnvelope
from tests.integration.reliability.conftest import World
from tools.crm.models import Conversation, Message, Turn
from tools.crm.turns import Received


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_message_delivered_twice_at_once_is_stored_once(
    world_factory: Callable[[str], World], backend: str
) -> None:
    world = world_factory(backend)
    roots = [world.root(), world.root()]  # two processes' worth of engines
    try:
        envelope = InboundEnvelope(
            channel="chat",
            text="Bonjour, ma box clignote en rouge.",
            external_conversation_id="chat-42",
            external_message_id="msg-42-1",
            sender_email="nouveau@exemple.fr",
        )
        start = threading.Barrier(len(roots))
        received: list[Received] = []

        def deliver(index: int) -> None:
            start.wait()
            received.append(roots[index].support.receive(envelope))

        threads = [threading.Thread(target=deliver, args=(i,)) for i in range(len(roots))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert len(received) == 2
        assert sorted(r.duplicate for r in received) == [False, True]
        assert len({(r.conversation_id, r.message_id, r.turn_id) for r in received}) == 1
        with roots[0].store.reading() as session:
            for model in (Conversation, Message, Turn):
                assert session.scalar(select(func.count()).select_from(model)) == 1, model
    finally:
        for root in roots:
            root.close()
