"""Ports for the support graph's unit tests: in-memory context, emotion reader and
knowledge base (the real ones are tested elsewhere); the CRM side of a turn (its stored
message, its lease, its decisions and effects) is a real SQLite store in a temporary
folder, recorded by `RecordingWriter`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest

from agents.core.config import Settings
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.core.profiles import ModelProfile
from agents.llm.client import LLMClient
from agents.support.adapters import CRMInboundSource, CRMSupportWriter
from agents.support.facts import CustomerFacts
from agents.support.graph import SupportDeps
from agents.support.policy import EscalationPolicy
from agents.support.ports import (
    ApprovalRecord,
    ConversationContext,
    UnknownConversationError,
)
from agents.support.schemas import (
    ApprovalDecision,
    HandoffPackage,
    HistoryLine,
    InboundMessage,
    Outcome,
)
from agents.support.service import STATE_TYPES, SupportService, TurnResult
from tests.fakes import ScriptedChatModel
from tools.checkpoints import open_checkpointer
from tools.crm.models import Conversation, Customer, Message
from tools.crm.store import CRMStore
from tools.crm.views import CustomerProfile, DeliveryView, OrderView
from tools.kb.search import Passage as KBPassage
from tools.kb.search import RetrievalResult

CALM = EmotionReading(label="neutral", valence=0.0, intensity=0.2, effort=0.2, urgency=0.2)
ANGRY = EmotionReading(label="anger", valence=-0.8, intensity=0.9, effort=0.6, urgency=0.7)

ASSESS_SIMPLE = json.dumps(
    {
        "summary": "Le client demande où en est sa livraison.",
        "intents": ["suivi de livraison"],
        "complexity": "low",
        "sensitive_topics": ["none"],
        "policy_exception_requested": False,
    }
)

DELIVERY_PASSAGE = KBPassage(
    citation="livraison-retards#colis-en-retard",
    doc_id="livraison-retards",
    title="Retards de livraison",
    section="Colis en retard",
    lang="fr",
    version="1",
    updated="2026-10-01",
    text=(
        "Un colis est considéré en retard après 5 jours ouvrés. "
        "Un bon d'achat de 10 € peut être offert."
    ),
    score=0.62,
)

DRAFT_OK = (
    "Bonjour Camille, votre colis CMD-1001 a pris du retard. Au-delà de 5 jours ouvrés, "
    "nous pouvons vous offrir un bon d'achat de 10 € [livraison-retards#colis-en-retard]."
)


def profile(**overrides: Any) -> CustomerProfile:
    values: dict[str, Any] = {
        "id": "cus-1",
        "email": "camille.martin@example.fr",
        "first_name": "Camille",
        "last_name": "Martin",
        "phone": None,
        "city": "Lyon",
        "language": "fr",
        "segment": "standard",
        "value_cents": 54_000,
        "vulnerable": False,
        "marketing_consent": True,
        "emotion_analysis_consent": True,
        "created_at": datetime(2023, 3, 14, 9, 30, tzinfo=UTC),
    }
    return CustomerProfile(**(values | overrides))


def facts(**overrides: Any) -> CustomerFacts:
    """Camille's record: one order, shipped on 2 November and not delivered yet."""
    parcel = DeliveryView(
        id="DLV-1",
        carrier="Colissimo",
        tracking_number=None,
        status="in_transit",
        promised_on=date(2026, 11, 5),
        delivered_on=None,
    )
    order = OrderView(
        id="CMD-1001",
        placed_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
        status="shipped",
        total_cents=4990,
        items=[{"label": "Répéteur Wi-Fi"}],
        deliveries=[parcel],
    )
    values: dict[str, Any] = {"profile": profile(), "orders": [order]}
    return CustomerFacts(**(values | overrides))


def context(**overrides: Any) -> ConversationContext:
    values: dict[str, Any] = {
        "customer_id": "cus-1",
        "customer_name": "Camille Martin",
        "lang": "fr",
        "facts": facts(),
        "known_identifiers": ["CMD-1001", "camille.martin@example.fr"],
        "history": [HistoryLine(author="customer", text="Où est mon colis ?")],
    }
    values.update(overrides)
    return ConversationContext(**values)


@dataclass
class FakeContexts:
    by_conversation: dict[str, ConversationContext]

    def load(self, conversation_id: str, message_id: int | None = None) -> ConversationContext:
        try:
            return self.by_conversation[conversation_id]
        except KeyError as exc:
            raise UnknownConversationError(conversation_id) from exc


@dataclass
class FakeEmotions:
    reading: EmotionReading

    def read(
        self, text: str, lang: Lang | None, history: Sequence[HistoryLine], facts: str
    ) -> EmotionReading:
        return self.reading


@dataclass
class FakeKnowledge:
    passages: list[KBPassage]
    min_score: float = 0.22

    def search(
        self, query: str, *, lang: str | None = None, k: int | None = None
    ) -> RetrievalResult:
        return RetrievalResult(query, tuple(self.passages), self.min_score)


@dataclass
class RecordingWriter:
    """The real CRM writer of the turn's effects, with a record of each call."""

    inner: CRMSupportWriter
    applied: list[ApprovalRecord] = field(default_factory=list)
    handoffs: list[HandoffPackage] = field(default_factory=list)
    handoff_records: list[ApprovalRecord] = field(default_factory=list)

    def apply(
        self, record: ApprovalRecord, reading: EmotionReading | None, holder: str | None
    ) -> Outcome:
        self.applied.append(record)
        return self.inner.apply(record, reading, holder)

    def hand_off(
        self,
        turn_id: str,
        package: HandoffPackage,
        reading: EmotionReading | None,
        record: ApprovalRecord | None,
        holder: str | None,
    ) -> Outcome:
        self.handoffs.append(package)
        if record is not None:
            self.handoff_records.append(record)
        return self.inner.hand_off(turn_id, package, reading, record, holder)

    @property
    def outbox(self) -> list[tuple[str, ApprovalRecord]]:
        """The decisions applied that send a reply."""
        return [("", r) for r in self.applied if r.decision.action in ("accept", "edit")]

    @property
    def decisions(self) -> list[ApprovalRecord]:
        """The decisions applied that send nothing."""
        return [
            r
            for r in [*self.applied, *self.handoff_records]
            if r.decision.action not in ("accept", "edit")
        ]


def seed_conversations(store: CRMStore, *conversation_ids: str) -> None:
    """The customer `cus-1` of the fake contexts, and its conversations, in the CRM."""
    when = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
    store.insert_all(
        [
            Customer(
                id="cus-1",
                email="camille.martin@example.fr",
                first_name="Camille",
                last_name="Martin",
                language="fr",
                segment="standard",
                value_cents=54_000,
                vulnerable=False,
                created_at=when,
            ),
            *(
                Conversation(
                    id=conversation_id,
                    customer_id="cus-1",
                    channel="email",
                    language="fr",
                    subject="Colis",
                    started_at=when,
                    status="open",
                )
                for conversation_id in conversation_ids
            ),
        ]
    )


@dataclass
class Harness:
    """The support service over a SQLite CRM and checkpoints, scripted ports and model."""

    service: SupportService
    writer: RecordingWriter
    model: ScriptedChatModel
    store: CRMStore

    def submit(self, text: str, conversation_id: str = "conv-1") -> TurnResult:
        return self.service.submit(InboundMessage(conversation_id=conversation_id, text=text))

    def resume(self, conversation_id: str = "conv-1", **decision: Any) -> TurnResult:
        return self.service.resume(conversation_id, ApprovalDecision(**decision))

    def prompts_sent(self) -> list[str]:
        return ["\n".join(str(m.content) for m in call.messages) for call in self.model.calls]

    def customer_messages(self, conversation_id: str = "conv-1") -> list[str]:
        """The customer's messages stored in the CRM (stored before any turn runs)."""
        with self.store.reading() as session:
            return [
                m.text
                for m in session.query(Message)
                .filter(Message.conversation_id == conversation_id, Message.author == "customer")
                .order_by(Message.id)
            ]


def open_service(settings: Settings, deps: SupportDeps, store: CRMStore) -> SupportService:
    checkpointer, close = open_checkpointer(settings, STATE_TYPES)
    return SupportService(deps, checkpointer, store, on_close=close)


@pytest.fixture
def make_harness(settings: Settings) -> Any:
    opened: list[tuple[SupportService, CRMStore]] = []

    def make(
        *answers: str | BaseException,
        reading: EmotionReading = CALM,
        passages: list[KBPassage] | None = None,
        ctx: ConversationContext | None = None,
        policy: EscalationPolicy | None = None,
        profile: ModelProfile | None = None,
    ) -> Harness:
        model = ScriptedChatModel.of(*answers)
        number = len(opened)
        own = settings.model_copy(
            update={
                "database_url": f"sqlite:///{settings.data_dir / f'crm-{number}.db'}",
                "checkpoint_url": f"sqlite:///{settings.data_dir / f'cp-{number}.db'}",
            }
        )
        store = CRMStore.from_settings(own)
        seed_conversations(store, "conv-1", "conv-2")
        writer = RecordingWriter(CRMSupportWriter(store))
        deps = SupportDeps(
            settings=own,
            llm=LLMClient(own, model),
            policy=policy or EscalationPolicy.load(),
            contexts=FakeContexts({"conv-1": ctx or context(), "conv-2": ctx or context()}),
            emotions=FakeEmotions(reading),
            knowledge=FakeKnowledge([DELIVERY_PASSAGE] if passages is None else passages),
            writer=writer,
            inbound=CRMInboundSource(store),
            profile=profile,
        )
        service = open_service(own, deps, store)
        opened.append((service, store))
        return Harness(service, writer, model, store)

    yield make
    for service, store in opened:
        service.close()
        store.close()
