"""Chatwoot end to end against the simulator: a signed webhook answered at once, the reading
and the draft in Ressenti, one outgoing message per approval, the handoff's note, status,
labels and attributes, refused signatures and replays, and Chatwoot down then back."""

from __future__ import annotations

import json
import time

import httpx

from evals.simulators.chatwoot import ChatwootSimulator, SimConversation, SimMessage
from tests.integration.app.conftest import FIRST_DRAFT
from tests.integration.channels.conftest import (
    MAX_ATTEMPTS,
    Chatwoot,
    approval_of,
    deliveries_of,
    wait_for,
)

QUESTION = "Bonjour, où en est ma commande ? Elle devait arriver hier."
LEGAL = (
    "C'est inadmissible, trois semaines sans internet ! Mon avocat va saisir le médiateur "
    "et je porte plainte."
)


def new_conversation(cw: Chatwoot, customer_id: str, status: str = "pending") -> SimConversation:
    profile = cw.workspace.store.find_customer(customer_id)
    return cw.simulator.conversation(
        name=profile.full_name,
        email=profile.email,
        status=status,
        number=len(cw.simulator.conversations) + 100,
    )


def ressenti_id(cw: Chatwoot, conversation: SimConversation) -> str:
    answer = cw.simulator.webhook_answers[-1]
    assert answer.status_code == 202, answer.text
    conversation_id = answer.json()["conversation_id"]
    assert isinstance(conversation_id, str)
    return conversation_id


def message_count(cw: Chatwoot) -> int:
    return cw.workspace.store.counts()["messages"]


def test_a_signed_webhook_is_stored_at_once_then_drafted_and_an_approval_posts_one_reply(
    chatwoot: Chatwoot,
) -> None:
    cw = chatwoot
    conversation = new_conversation(cw, "C00001")
    answer = cw.simulator.customer_says(conversation, QUESTION)
    assert answer.status_code == 202, answer.text
    assert answer.elapsed.total_seconds() < 1.0  # stored, not drafted, before the answer
    body = answer.json()
    assert body["status"] == "stored" and body["turn_id"]
    conversation_id = body["conversation_id"]
    store = cw.workspace.store
    assert store.conversation_customer(conversation_id) == "C00001"  # matched by e-mail

    with cw.api("agent") as api:
        approval = wait_for(lambda: approval_of(api, conversation_id))
        assert approval["draft"].startswith(FIRST_DRAFT)
        assert approval["reading"]["label"]
        view = api.get(f"/conversations/{conversation_id}").json()
        assert view["channel"] == "chatwoot"
        assert view["messages"][-1]["text"] == QUESTION

        decided = api.post(
            f"/approvals/{approval['approval_id']}/decision",
            json={"action": "accept", "reviewer": "Léa"},
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["outcome"] == "approved"
        # A second decision on the same draft loses: 409, and no second reply.
        again = api.post(
            f"/approvals/{approval['approval_id']}/decision", json={"action": "accept"}
        )
        assert again.status_code == 409
        assert "already decided by Léa (token agent token)" in again.json()["detail"]

        [row] = wait_for(
            lambda: [d for d in deliveries_of(api, conversation_id) if d["status"] == "delivered"]
        )
        assert row["kind"] == "reply" and row["attempts"] == 1
    replies = cw.simulator.posted(conversation, private=False)
    assert replies == [approval["draft"]]
    [post] = [
        c
        for c in cw.simulator.calls
        if c.method == "POST"
        and c.path.endswith("/messages")
        and c.path.startswith(f"/api/v1/accounts/1/conversations/{conversation.id}/")
    ]
    assert post.token == "cw-bot-token"
    assert post.body["message_type"] == "outgoing" and post.body["private"] is False
    # The simulator echoes Ressenti's own post as a webhook (as Chatwoot does): ignored.
    echoed = wait_for(
        lambda: [a for a in cw.simulator.webhook_answers if a.json().get("status") == "ignored"]
    )
    assert any("outgoing" in a.json()["detail"] for a in echoed)
    time.sleep(0.5)
    assert cw.simulator.posted(conversation, private=False) == replies
    turn = store.turns.turns_of(conversation_id)[-1]
    assert turn.outcome == "sent"


def test_a_handoff_posts_a_private_note_opens_the_conversation_and_labels_it(
    chatwoot: Chatwoot,
) -> None:
    cw = chatwoot
    conversation = new_conversation(cw, "C00003")
    answer = cw.simulator.customer_says(conversation, LEGAL)
    assert answer.status_code == 202, answer.text
    conversation_id = answer.json()["conversation_id"]

    wait_for(lambda: conversation.status == "open")
    wait_for(lambda: conversation.custom_attributes)
    [note] = cw.simulator.posted(conversation, private=True)
    assert cw.simulator.posted(conversation, private=False) == []  # nothing to the customer
    assert "legal_threat" in note
    assert "Trajectoire émotionnelle" in note and "Proposition d'ouverture" in note
    assert LEGAL[:40] in note
    assert "priority-urgent" in conversation.labels
    assert any(label.startswith("emotion-") for label in conversation.labels)
    assert set(conversation.custom_attributes) >= {"emotion", "intensity", "effort", "urgency"}
    assert 0 <= conversation.custom_attributes["intensity"] <= 1
    state, _ = cw.workspace.store.turns.conversation_state(conversation_id)
    assert state == "with_human"
    # Now that a person holds it in Chatwoot, the customer's next message is left alone.
    before = message_count(cw)
    later = cw.simulator.customer_says(conversation, "Alors ?")
    assert later.status_code == 200 and later.json()["status"] == "ignored"
    assert message_count(cw) == before


def test_bad_or_stale_signatures_are_refused_and_nothing_is_stored(chatwoot: Chatwoot) -> None:
    cw = chatwoot
    sim = cw.simulator
    conversation = new_conversation(cw, "C00004")
    sim_message = sim.message_event(conversation, _incoming(conversation, "Bonjour ?"))
    before = message_count(cw)
    now = int(time.time())
    for answer in (
        sim.send(sim_message, secret="not-the-secret"),
        sim.send(sim_message, timestamp=now - 330),  # older than 5 minutes
        sim.send(sim_message, timestamp=now + 330),  # far in the future
    ):
        assert answer.status_code == 401, answer.text
    body = json.dumps(sim_message).encode()
    headers = sim.signed_headers(body)
    tampered = body.replace(b"Bonjour", b"Bonsoir")
    for sent_headers, sent_body in (
        ({**headers, "X-Chatwoot-Signature": ""}, body),
        ({k: v for k, v in headers.items() if k != "X-Chatwoot-Signature"}, body),
        ({k: v for k, v in headers.items() if k != "X-Chatwoot-Timestamp"}, body),
        (headers, tampered),
    ):
        refused = _post(sim, sent_body, sent_headers)
        assert refused.status_code == 401, refused.text
    assert message_count(cw) == before


def test_a_replayed_delivery_is_answered_and_not_acted_on_twice(chatwoot: Chatwoot) -> None:
    cw = chatwoot
    sim = cw.simulator
    conversation = new_conversation(cw, "C00005")
    event = sim.message_event(conversation, _incoming(conversation, "Ma facture est fausse."))
    before = message_count(cw)
    first = sim.send(event, delivery="delivery-1")
    assert first.status_code == 202, first.text
    replay = sim.send(event, delivery="delivery-1")
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    # The same message under another delivery id (Chatwoot sent it twice): one message.
    other = sim.send(event, delivery="delivery-2")
    assert other.status_code == 202 and other.json()["duplicate"] is True
    assert message_count(cw) == before + 1


def test_what_is_not_a_customer_message_on_a_bot_conversation_is_ignored(
    chatwoot: Chatwoot,
) -> None:
    cw = chatwoot
    sim = cw.simulator
    pending = new_conversation(cw, "C00002")
    held = new_conversation(cw, "C00002", status="open")
    before = message_count(cw)
    base = sim.message_event(pending, _incoming(pending, "Un message"))
    variants = [
        {**base, "message_type": "outgoing"},
        {**base, "message_type": "activity", "content": "Conversation was reopened"},
        {**base, "message_type": "template"},
        {**base, "private": True},
        {**base, "sender": {**base["sender"], "type": "user"}},
        {**base, "content_attributes": {"ressenti_key": "approval:1"}},
        {**base, "content": ""},
        {**base, "event": "conversation_created"},
        {**base, "event": "message_updated"},
        sim.message_event(held, _incoming(held, "Un message")),
    ]
    for payload in variants:
        answer = sim.send(payload)
        assert answer.status_code == 200, (payload, answer.text)
        assert answer.json()["status"] == "ignored"
    assert message_count(cw) == before


def test_chatwoot_down_retries_then_dead_then_a_retry_delivers_once(chatwoot: Chatwoot) -> None:
    cw = chatwoot
    sim = cw.simulator
    conversation = new_conversation(cw, "C00001")
    answer = sim.customer_says(conversation, "Bonjour, je n'ai pas reçu mon colis.")
    assert answer.status_code == 202, answer.text
    conversation_id = answer.json()["conversation_id"]
    with cw.api("agent") as api:
        approval = wait_for(lambda: approval_of(api, conversation_id))
        sim.stop()  # Chatwoot is down
        try:
            decided = api.post(
                f"/approvals/{approval['approval_id']}/decision", json={"action": "accept"}
            )
            assert decided.status_code == 200, decided.text
            [dead] = wait_for(
                lambda: [d for d in deliveries_of(api, conversation_id) if d["status"] == "dead"],
                timeout_s=30,
            )
            assert dead["attempts"] == MAX_ATTEMPTS
            assert "unreachable" in dead["last_error"]
        finally:
            sim.start()  # back, on the same port
        assert sim.posted(conversation, private=False) == []
        assert cw.workspace.store.turns.turns_of(conversation_id)[-1].outcome == "approved"

        retried = api.post(f"/deliveries/{dead['id']}/retry")
        assert retried.status_code == 200, retried.text
        assert api.post(f"/deliveries/{dead['id']}/retry").status_code == 409  # not dead now
        wait_for(
            lambda: [d for d in deliveries_of(api, conversation_id) if d["status"] == "delivered"]
        )
    time.sleep(0.3)
    assert sim.posted(conversation, private=False) == [approval["draft"]]
    assert cw.workspace.store.turns.turns_of(conversation_id)[-1].outcome == "sent"


# --- helpers --------------------------------------------------------------------------
def _incoming(conversation: SimConversation, text: str) -> SimMessage:
    message = SimMessage(
        id=900_000 + len(conversation.messages) + 1000 * conversation.id,
        content=text,
        message_type="incoming",
        private=False,
        sender=conversation.contact.payload(),
        content_attributes={},
        created_at=int(time.time()),
    )
    conversation.messages.append(message)
    return message


def _post(sim: ChatwootSimulator, body: bytes, headers: dict[str, str]) -> httpx.Response:
    assert sim.webhook_url is not None
    return httpx.post(sim.webhook_url, content=body, headers=headers, timeout=5.0)
