"""The Chatwoot connector's parts: the signature (checked against the simulator's own
implementation of Chatwoot's), what a webhook payload is read as, the handoff note (the
sender against the simulator's server: tests/integration/channels)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from agents.channels.chatwoot import (
    IncomingMessage,
    handoff_note,
    read_event,
    sign,
    signature_problem,
)
from evals.simulators.chatwoot import ChatwootSimulator, SimMessage, chatwoot_signature

PACKAGE = {
    "conversation_id": "CV-1",
    "customer_id": "C00001",
    "lang": "en",
    "priority": "urgent",
    "reasons": [{"rule": "legal_threat", "description": "Mentions a lawyer.", "seen": {}}],
    "summary": "The customer threatens legal action over a three-week outage.",
    "emotion_trajectory": [
        {"label": "annoyance", "valence": -0.3, "intensity": 0.4, "effort": 0.2, "urgency": 0.3},
        {"label": "anger", "valence": -0.8, "intensity": 0.9, "effort": 0.6, "urgency": 0.8},
    ],
    "tried": ["explained the repair delay"],
    "suggested_opening": "Hello Lucie, I am taking over your case personally.",
    "last_message": "My lawyer will hear about this.",
}


def test_the_signature_is_chatwoots_and_anything_else_is_refused() -> None:
    body = b'{"event":"message_created"}'
    assert sign("s3cret", "1700000000", body) == chatwoot_signature("s3cret", "1700000000", body)
    now = datetime.fromtimestamp(1_700_000_000, UTC)
    good = sign("s3cret", "1700000000", body)
    assert signature_problem("s3cret", good, "1700000000", body, now, 300) is None
    assert signature_problem("s3cret", good, "1700000299", body, now, 300) is not None
    assert signature_problem("s3cret", good, "1700000000", body + b" ", now, 300) is not None
    assert signature_problem("other", good, "1700000000", body, now, 300) is not None
    assert signature_problem(None, good, "1700000000", body, now, 300) is not None
    assert signature_problem("s3cret", good.removeprefix("sha256="), "1700000000", body, now, 300)
    assert signature_problem("s3cret", good, "yesterday", body, now, 300) is not None
    late = datetime.fromtimestamp(1_700_000_301, UTC)
    assert "too old" in str(signature_problem("s3cret", good, "1700000000", body, late, 300))


def test_a_customer_message_is_read_from_chatwoots_payload() -> None:
    simulator = ChatwootSimulator()  # its payloads only: no server started
    conversation = simulator.conversation(name="Lucie Marie", email="lucie@example.org")
    message = SimMessage(
        id=55,
        content=" Bonjour ",
        message_type="incoming",
        private=False,
        sender=conversation.contact.payload(),
        content_attributes={},
        created_at=int(time.time()),
    )
    conversation.messages.append(message)
    payload = json.loads(json.dumps(simulator.message_event(conversation, message)))
    assert payload["conversation"]["messages"][0]["message_type"] == 0  # an integer inside
    read = read_event(payload, handle_open=False)
    assert isinstance(read, IncomingMessage)
    assert (read.external_conversation_id, read.external_message_id) == ("1:1", "1:55")
    assert (read.text, read.email, read.name) == ("Bonjour", "lucie@example.org", "Lucie Marie")
    # Never a customer id from the payload: only what identifies the sender.
    assert not hasattr(read, "customer_id")
    payload["conversation"]["status"] = "open"
    assert "a person holds it" in str(read_event(payload, handle_open=False))
    assert isinstance(read_event(payload, handle_open=True), IncomingMessage)
    assert read_event([], handle_open=False) == "not a JSON object"


def test_the_handoff_note_carries_the_package_in_the_conversations_language() -> None:
    note = handoff_note(PACKAGE, "en")
    for part in (
        "priority urgent",
        "legal_threat",
        "Mentions a lawyer.",
        PACKAGE["summary"],
        "annoyance (intensity 0.40",
        "anger (intensity 0.90, effort 0.60, urgency 0.80)",
        "explained the repair delay",
        PACKAGE["suggested_opening"],
        "> My lawyer",
    ):
        assert part in note, part
    assert "Trajectoire émotionnelle" in handoff_note(PACKAGE, "fr")
    assert "rien encore" in handoff_note({**PACKAGE, "tried": []}, "fr")
