"""`ChatwootSender` against the simulator's real HTTP server: a reply once, a handoff's
four calls, and failures that say whether a retry can help."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from agents.channels.chatwoot import ChatwootClient, ChatwootSender
from agents.support.delivery import DeliveryError, OutboundMessage
from evals.simulators.chatwoot import ChatwootSimulator
from tests.unit.channels.test_chatwoot import PACKAGE


@pytest.fixture
def simulator() -> Iterator[ChatwootSimulator]:
    with ChatwootSimulator(token="tok", secret="s3cret") as running:
        yield running


def outbound(
    kind: str, body: str, external: str | None = "1:7", key: str = "k:1"
) -> OutboundMessage:
    return OutboundMessage(
        outbox_id=1,
        kind=kind,
        channel="chatwoot",
        idempotency_key=key,
        conversation_id="CV-1",
        conversation_external_id=external,
        recipient="lucie@example.org",
        customer_name="Lucie",
        subject="",
        language="fr",
        body=body,
    )


def test_the_sender_posts_a_reply_once_and_a_handoff_in_four_calls(
    simulator: ChatwootSimulator,
) -> None:
    conversation = simulator.conversation(name="Lucie", number=7)
    conversation.labels = ["vip"]
    sender = ChatwootSender(ChatwootClient(simulator.url, "tok"))
    receipt = sender.send(outbound("reply", "Bonjour Lucie", key="approval:1"))
    assert receipt.external_id.startswith("1:")
    assert simulator.posted(conversation, private=False) == ["Bonjour Lucie"]
    # The same row again (a person's retry after an interrupted send): found, not reposted.
    assert sender.send(outbound("reply", "Bonjour Lucie", key="approval:1")) == receipt
    assert simulator.posted(conversation, private=False) == ["Bonjour Lucie"]

    sender.send(outbound("handoff_note", json.dumps(PACKAGE), key="handoff:t1"))
    [note] = simulator.posted(conversation, private=True)
    assert "legal_threat" in note
    assert conversation.status == "open"
    assert conversation.labels == ["vip", "priority-urgent", "emotion-anger"]  # added, kept
    assert conversation.custom_attributes == {
        "emotion": "anger",
        "intensity": 0.9,
        "effort": 0.6,
        "urgency": 0.8,
        "priority": "urgent",
    }
    assert {c.token for c in simulator.calls} == {"tok"}


def test_failures_say_whether_a_retry_can_help(simulator: ChatwootSimulator) -> None:
    simulator.conversation(name="Lucie", number=7)
    sender = ChatwootSender(ChatwootClient(simulator.url, "tok"))
    with pytest.raises(DeliveryError) as missing:
        sender.send(outbound("reply", "Bonjour", external="1:8"))
    assert missing.value.retryable is False and "404" in str(missing.value)
    with pytest.raises(DeliveryError) as wrong_token:
        ChatwootSender(ChatwootClient(simulator.url, "nope")).send(outbound("reply", "Bonjour"))
    assert wrong_token.value.retryable is False and "401" in str(wrong_token.value)
    simulator.fail_with = 503
    with pytest.raises(DeliveryError) as busy:
        sender.send(outbound("reply", "Bonjour"))
    assert busy.value.retryable is True
    simulator.fail_with = None
    with pytest.raises(DeliveryError) as not_ours:
        sender.send(outbound("reply", "Bonjour", external="thread-9"))
    assert not_ours.value.retryable is False
    simulator.stop()
    with pytest.raises(DeliveryError) as down:
        sender.send(outbound("reply", "Bonjour"))
    assert down.value.retryable is True and "unreachable" in str(down.value)
