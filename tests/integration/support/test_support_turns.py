"""Whole conversations from the demo data through the real vLLM server and real stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agents.core.config import Settings
from agents.core.emotion import EmotionReading
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from agents.support.adapters import CRMContextSource
from agents.support.schemas import ApprovalDecision, InboundMessage
from agents.support.service import SupportService
from tests.fakes import ScriptedChatModel
from tests.integration.conftest import postgres_database
from tools.crm.models import OutboxMessage, Ticket
from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore

CUSTOMERS = 30


@pytest.fixture(scope="module")
def seeded(llm_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The session's LLM settings with their own data folder holding the demo company."""
    data_dir: Path = tmp_path_factory.mktemp("support-data")
    settings = llm_settings.model_copy(update={"data_dir": data_dir})
    store = CRMStore.from_settings(settings)
    seed_demo(store, customers=CUSTOMERS)
    store.close()
    return settings


def _service(settings: Settings) -> Iterator[SupportService]:
    with Root(settings) as root:
        yield root.support


@pytest.fixture
def service(seeded: Settings) -> Iterator[SupportService]:
    yield from _service(seeded)


def _new_conversation(settings: Settings, customer_id: str, subject: str) -> str:
    store = CRMStore.from_settings(settings)
    try:
        return store.open_conversation(customer_id, channel="email", subject=subject)
    finally:
        store.close()


def _count(settings: Settings, model: type, conversation_id: str) -> int:
    store = CRMStore.from_settings(settings)
    try:
        with store.reading() as session:
            query = select(func.count()).select_from(model)
            query = query.where(model.conversation_id == conversation_id)  # type: ignore[attr-defined]
            return int(session.scalar(query) or 0)
    finally:
        store.close()


def test_a_legal_threat_is_handed_off_with_a_ticket(
    service: SupportService, seeded: Settings
) -> None:
    conversation = _new_conversation(seeded, "C00003", "Résiliation")
    text = "Troisième appel ce mois-ci et toujours rien. Je vais résilier, mon avocat vous écrira."
    result = service.submit(InboundMessage(conversation_id=conversation, text=text))

    assert result.outcome == "handed_off"
    assert result.handoff is not None
    rules = {hit.rule for hit in result.handoff.reasons}
    assert "legal_threat" in rules
    assert result.handoff.priority == "urgent"
    assert result.handoff.suggested_opening.startswith("Bonjour")
    assert _count(seeded, Ticket, conversation) == 1
    assert _count(seeded, OutboxMessage, conversation) == 0
    assert [h.conversation_id for h in service.handoffs()][:1] == [conversation]


def test_a_demo_conversation_replayed_ends_sent_or_with_a_person(
    service: SupportService, seeded: Settings
) -> None:
    """Replays a seeded conversation's customer messages; the tiny model decides little,
    so the turn may reach approval or be handed off: both must leave the right records."""
    store = CRMStore.from_settings(seeded)
    scope = store.scope("C00001")
    past = scope.conversations(limit=1)[0]
    customer_lines = [m.text for m in past.messages if m.author == "customer"][:2]
    store.close()
    conversation = _new_conversation(seeded, "C00001", past.subject)

    for text in customer_lines:
        result = service.submit(InboundMessage(conversation_id=conversation, text=text))
        if result.outcome == "awaiting_approval":
            assert result.approval_request is not None
            assert result.draft.strip()
            assert _count(seeded, OutboxMessage, conversation) == 0  # nothing before accept
            result = service.resume(conversation, ApprovalDecision(action="accept"))
            assert result.outcome == "approved"
        else:
            assert result.outcome == "handed_off"
            assert result.handoff is not None
            assert result.handoff.reasons
            break
    sent = _count(seeded, OutboxMessage, conversation)
    tickets = _count(seeded, Ticket, conversation)
    assert sent + tickets >= 1


ASSESSMENT = (
    '{"summary": "Question sur le délai de rétractation.", "intents": ["rétractation"], '
    '"complexity": "low", "sensitive_topics": ["none"], "policy_exception_requested": false}'
)
DRAFT = "Bonjour, je vous confirme les conditions de rétractation de votre achat en ligne."


def test_an_approval_survives_a_restart_on_postgresql(
    seeded: Settings, postgres_server: str
) -> None:
    """Checkpoints in PostgreSQL: one worker drafts, another lists and resumes the approval.
    The model is scripted here: what is under test is the checkpointer, not the model."""
    for checkpoint_url in postgres_database(postgres_server):
        settings = seeded.model_copy(update={"checkpoint_url": checkpoint_url})
        conversation = _new_conversation(settings, "C00001", "Question")
        model = ScriptedChatModel.of(ASSESSMENT, DRAFT)
        first = Root(settings, Overrides(llm=LLMClient(settings, model)))
        text = "Bonjour, quel est le délai de rétractation pour un achat sur la boutique en ligne ?"
        try:
            result = first.support.submit(InboundMessage(conversation_id=conversation, text=text))
        finally:
            first.close()
        assert result.outcome == "awaiting_approval", result.decision

        worker_root = Root(settings, Overrides(llm=LLMClient(settings, ScriptedChatModel.of())))
        try:
            worker = worker_root.support
            assert conversation in [p.conversation_id for p in worker.pending()]
            edited = "Bonjour, vous disposez de 14 jours pour vous rétracter."
            done = worker.resume(conversation, ApprovalDecision(action="edit", text=edited))
            assert done.outcome == "approved"
        finally:
            worker_root.close()
        assert _count(settings, OutboxMessage, conversation) == 1


def test_the_trajectory_is_this_conversations_not_past_ones(seeded: Settings) -> None:
    store = CRMStore.from_settings(seeded)
    try:
        past = store.scope("C00026").emotion_readings(limit=5)
        assert past  # this demo customer had a stormy conversation before
        conversation = store.open_conversation(
            "C00026", channel="chat", subject="Nouvelle question"
        )
        source = CRMContextSource(store)
        assert source.load(conversation).earlier_readings == []

        calm = EmotionReading(label="neutral", valence=0.1, intensity=0.2, effort=0.1, urgency=0.1)
        writer = store.writer(conversation)
        writer.record_emotion_reading(writer.log_message("customer", "Bonjour"), calm)
        loaded = source.load(conversation)
        assert [r.label for r in loaded.earlier_readings] == ["neutral"]
        assert loaded.customer_id == "C00026"
    finally:
        store.close()
