"""Scoped writes (commit and handoff steps) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.core.emotion import LABELS, EmotionFlags, EmotionReading, EvidenceSpan
from tools.crm.errors import AccessDeniedError, InvalidWriteError, RecordNotFoundError
from tools.crm.models import Customer
from tools.crm.store import CRMStore

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _customer(store: CRMStore, customer_id: str, language: str = "fr") -> None:
    store.insert_all(
        [
            Customer(
                id=customer_id,
                email=f"{customer_id.lower()}@exemple.fr",
                first_name="Anne",
                last_name=f"Client{customer_id}",
                language=language,
                segment="standard",
                value_cents=0,
                vulnerable=False,
                created_at=T0 - timedelta(days=400),
            )
        ]
    )


@pytest.fixture
def two_conversations(store: CRMStore) -> tuple[str, str]:
    _customer(store, "A1")
    _customer(store, "B2", "en")
    first = store.open_conversation("A1", channel="email", subject="Colis en retard")
    second = store.open_conversation("B2", channel="chat", subject="Billing")
    return first, second


def test_commit_flow_writes_message_reading_approval_and_outbox(
    store: CRMStore, two_conversations: tuple[str, str]
) -> None:
    conversation, _ = two_conversations
    writer = store.writer(conversation)
    assert (writer.customer_id, writer.language) == ("A1", "fr")
    text = "Mon colis n'est toujours pas arrivé !"
    inbound = writer.log_message("customer", text)
    start = text.index("toujours pas arrivé")
    written = EmotionReading(
        label="frustration",
        scores={**dict.fromkeys(LABELS, 0.0), "frustration": 0.7, "anger": 0.2, "anxiety": 0.1},
        valence=-0.6,
        intensity=0.7,
        effort=0.5,
        urgency=0.6,
        flags=EmotionFlags(threatens_to_leave=True),
        evidence=[
            EvidenceSpan(start=start, end=len(text) - 2, text=text[start:-2], signal="effort")
        ],
        source="fused",
    )
    reading_id = writer.record_emotion_reading(inbound, written)
    draft = "Bonjour,\nVotre colis arrive demain.\nCordialement"
    final = "Bonjour Anne,\nVotre colis arrive demain.\nCordialement"
    approval = writer.record_approval(
        decision="edit", reviewer="sonia", draft_text=draft, final_text=final, message_id=inbound
    )
    outbox_id = writer.queue_reply(approval)

    scope = store.scope("A1")
    [stored] = scope.conversation_readings(conversation)
    reading = stored.reading
    assert stored.id == reading_id
    assert (stored.message_id, stored.conversation_id) == (inbound, conversation)
    assert (reading.label, reading.source, reading.flags.raised()) == (
        "frustration",
        "fused",
        ["threatens_to_leave"],
    )
    assert reading.scores == written.scores
    assert reading == written  # the store keeps the whole reading
    assert stored.created_at.tzinfo is not None
    [queued] = writer.outbox()
    assert (queued.id, queued.body, queued.status, queued.language) == (
        outbox_id,
        final,
        "pending",
        "fr",
    )
    with store.reading() as session:
        from tools.crm.models import Approval

        row = session.get(Approval, approval)
        assert row is not None
        assert "-Bonjour,\n" in row.diff
        assert "+Bonjour Anne,\n" in row.diff
    with pytest.raises(InvalidWriteError):
        writer.queue_reply(approval)  # never twice


def test_rejected_or_foreign_approvals_never_reach_the_outbox(
    store: CRMStore, two_conversations: tuple[str, str]
) -> None:
    mine, theirs = two_conversations
    writer = store.writer(mine)
    rejected = writer.record_approval(decision="reject", reviewer="sonia", draft_text="Non.")
    with pytest.raises(InvalidWriteError):
        writer.queue_reply(rejected)
    other_writer = store.writer(theirs)
    accepted_elsewhere = other_writer.record_approval(
        decision="accept", reviewer="tom", draft_text="Hello, sorted."
    )
    with pytest.raises(AccessDeniedError):
        writer.queue_reply(accepted_elsewhere)
    with pytest.raises(RecordNotFoundError):
        writer.queue_reply(10**6)
    assert writer.outbox() == []
    assert store.counts()["outbox"] == 0


def test_a_writer_cannot_touch_another_conversations_messages(
    store: CRMStore, two_conversations: tuple[str, str]
) -> None:
    mine, theirs = two_conversations
    foreign_message = store.writer(theirs).log_message("customer", "Hello?")
    writer = store.writer(mine)
    reading = EmotionReading(label="neutral", valence=0.0, intensity=0.1)
    with pytest.raises(AccessDeniedError):
        writer.record_emotion_reading(foreign_message, reading)
    with pytest.raises(AccessDeniedError):
        writer.record_approval(
            decision="accept", reviewer="x", draft_text="Hi", message_id=foreign_message
        )
    assert store.counts()["emotion_readings"] == 0
    assert store.counts()["approvals"] == 0


def test_handoff_ticket_is_visible_to_the_read_tools(
    store: CRMStore, two_conversations: tuple[str, str]
) -> None:
    mine, _ = two_conversations
    ticket_id = store.writer(mine).open_handoff_ticket(
        subject="Client très mécontent",
        summary="Retard de 9 jours, demande un remboursement.",
        priority="urgent",
    )
    scope = store.scope("A1")
    [ticket] = scope.tickets()
    assert (ticket.id, ticket.category, ticket.priority, ticket.conversation_id) == (
        ticket_id,
        "handoff",
        "urgent",
        mine,
    )
    assert scope.conversation(mine).status == "with_human"  # revision 0005 state
    assert ticket_id in {t.id for t in scope.tickets(open_only=True)}
    with pytest.raises(AccessDeniedError):
        store.scope("B2").ticket(ticket_id)


def test_messages_keep_their_order_and_zone(
    store: CRMStore, two_conversations: tuple[str, str]
) -> None:
    mine, _ = two_conversations
    writer = store.writer(mine)
    later = writer.log_message("customer", "Deuxième", sent_at=T0 + timedelta(minutes=5))
    earlier = writer.log_message("agent", "Premier", sent_at=T0)
    messages = store.scope("A1").conversation(mine).messages
    assert [m.id for m in messages] == [earlier, later]
    assert messages[0].sent_at == T0
    with pytest.raises(InvalidWriteError):
        writer.log_message("customer", "   ")
