"""Dashboard figures from a small CRM whose values are known, and the inbox's queue order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from agents.core.config import Settings
from agents.core.emotion import EmotionReading
from agents.services.dashboard import dashboard_data
from agents.services.inbox import queue_order
from agents.support.schemas import ApprovalRequest
from tools.crm.models import Customer
from tools.crm.store import CRMStore

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(settings: Settings) -> Iterator[CRMStore]:
    store = CRMStore.from_settings(settings, clock=lambda: MONDAY)
    store.insert_all(
        [
            Customer(
                id=f"K{n}",
                email=f"k{n}@example.fr",
                first_name="K",
                last_name=str(n),
                language="fr",
                segment=segment,
                created_at=MONDAY - timedelta(days=100),
            )
            for n, segment in ((1, "premium"), (2, "standard"))
        ]
    )
    yield store
    store.close()


def _say(store: CRMStore, conversation: str, minute: int, label: str, valence: float) -> None:
    writer = store.writer(conversation)
    at = MONDAY + timedelta(minutes=minute)
    message = writer.log_message("customer", f"{label} {minute}", sent_at=at)
    store.clock = lambda: at
    writer.record_emotion_reading(
        message, EmotionReading(label=label, valence=valence, intensity=0.5, effort=0.4)
    )


def test_figures_per_channel_and_segment(store: CRMStore) -> None:
    # K1 (premium) by chat: angry, then satisfied 30 minutes later; the draft was edited.
    chat = store.open_conversation("K1", channel="chat", subject="Panne")
    _say(store, chat, 0, "anger", -0.8)
    _say(store, chat, 30, "satisfaction", 0.6)
    writer = store.writer(chat)
    writer.record_approval(decision="edit", reviewer="a", draft_text="x", final_text="y")
    # K2 (standard) by e-mail: frustrated to the end, handed off; its draft was accepted.
    mail = store.open_conversation("K2", channel="email", subject="Facture")
    _say(store, mail, 0, "frustration", -0.5)
    _say(store, mail, 60, "frustration", -0.6)
    store.writer(mail).record_approval(decision="accept", reviewer="a", draft_text="z")
    store.writer(mail).open_handoff_ticket(
        subject="Handoff: repeated_contacts, asks_for_human", summary="{}"
    )

    data = dashboard_data(store)
    by_channel = {g.group: g for g in data.by_channel}
    assert by_channel["chat"].end_valence == 0.6
    assert by_channel["chat"].recovery_minutes == 30.0
    assert by_channel["chat"].escalation_rate == 0.0
    assert by_channel["chat"].edit_rate == 1.0
    assert by_channel["email"].end_valence == -0.6
    assert by_channel["email"].recovery_minutes is None  # never recovered
    assert by_channel["email"].escalation_rate == 1.0
    assert by_channel["email"].edit_rate == 0.0
    assert by_channel["email"].effort == 0.4
    # Each figure says how many observations it rests on.
    assert by_channel["chat"].sample("edit_rate") == 1
    assert by_channel["chat"].sample("recovery_minutes") == 1
    assert by_channel["email"].sample("recovery_minutes") == 0
    assert by_channel["email"].sample("effort") == 2
    assert by_channel["email"].sample("escalation_rate") == 1
    assert {g.group for g in data.by_segment} == {"premium", "standard"}
    assert data.escalation_reasons == {"repeated_contacts": 1, "asks_for_human": 1}
    assert data.decisions == {"edit": 1, "accept": 1}
    [(week, counts)] = data.emotions_by_week.items()
    assert week == MONDAY.date()
    assert counts == {"anger": 1, "satisfaction": 1, "frustration": 2}


def test_an_empty_store_has_nothing_to_plot(store: CRMStore) -> None:
    data = dashboard_data(store)
    assert data.empty
    assert data.by_channel == []


def _request(conversation: str, priority: str, intensity: float, valence: float) -> ApprovalRequest:
    return ApprovalRequest(
        conversation_id=conversation,
        customer_id="K1",
        draft="…",
        citations=[],
        findings=[],
        reading=EmotionReading(
            label="anger", valence=valence, intensity=intensity, effort=0.1, urgency=0.1
        ),
        priority=priority,  # type: ignore[arg-type]
        redrafts=0,
    )


def test_the_queue_puts_priority_then_strong_then_negative_emotion_first() -> None:
    requests = [
        _request("calm", "normal", 0.2, 0.0),
        _request("urgent", "urgent", 0.1, 0.0),
        _request("strong", "normal", 0.9, -0.2),
        _request("strong-worse", "normal", 0.9, -0.7),
        _request("high", "high", 0.3, 0.0),
    ]
    ordered = [r.conversation_id for r in sorted(requests, key=queue_order)]
    assert ordered == ["urgent", "high", "strong-worse", "strong", "calm"]
