"""Adapters from Ressenti's real parts to the support graph's ports.

- `CRMContextSource`: resolves the conversation's customer from the store (never from the
  message) and loads that customer's context through a `CustomerScope`, so nothing the
  customer writes can widen whose data is read.
- `CRMInboundSource`: the stored inbound message a turn answers.
- `CRMSupportWriter`: the turn's side effects through the lifecycle transactions of
  `tools/crm/turns.py` (each one written once, whoever replays it).
- `EmotionLayerReader`: the emotion layer (fast reader, deep reading where configured).
- the knowledge base's `KnowledgeBase` already satisfies its own `KnowledgeSearch`.

The adapters are handed what they work over: the composition root
(`agents/services/root.py`) opens the store and the LLM client once and builds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import cast, get_args

from agents.core.config import Settings
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.emotion.deep import DeepReader
from agents.emotion.fast import FastReader
from agents.emotion.fusion import read_message
from agents.llm.client import LLMClient
from agents.support.facts import customer_facts
from agents.support.ports import (
    ApprovalRecord,
    ConversationContext,
    UnknownConversationError,
)
from agents.support.schemas import (
    HandoffPackage,
    HistoryLine,
    InboundMessage,
    Outcome,
    TurnChannel,
)
from tools.crm.errors import ConversationNotFoundError
from tools.crm.store import CRMStore
from tools.crm.views import CustomerContext


def known_identifiers(context: CustomerContext) -> list[str]:
    p = context.profile
    ids = [p.id, p.email, *([p.phone] if p.phone else [])]
    ids += [c.id for c in context.contracts]
    ids += [o.id for o in context.recent_orders]
    ids += [
        d.tracking_number for o in context.recent_orders for d in o.deliveries if d.tracking_number
    ]
    ids += [i.id for i in context.unpaid_invoices]
    ids += [t.id for t in context.open_tickets]
    return ids


class CRMContextSource:
    """Loads a conversation's context for that conversation's own customer."""

    def __init__(self, store: CRMStore) -> None:
        self.store = store

    def load(self, conversation_id: str, message_id: int | None = None) -> ConversationContext:
        try:
            customer_id = self.store.conversation_customer(conversation_id)
        except ConversationNotFoundError as exc:
            raise UnknownConversationError(conversation_id) from exc
        scope = self.store.scope(customer_id)
        context = scope.context(current_conversation=conversation_id)
        current = scope.conversation(conversation_id)
        earlier = [m for m in current.messages if message_id is None or m.id < message_id]
        history = [
            HistoryLine(
                author="customer"
                if m.author == "customer"
                else "agent"
                if m.author in ("agent", "assistant")
                else "system",
                text=m.text,
                at=m.sent_at,
            )
            for m in earlier
        ]
        since = self.store.clock() - timedelta(days=30)
        recent_contacts = sum(1 for c in context.past_conversations if c.started_at >= since)
        # The trajectory is this conversation's: past conversations' moods are not a trend.
        readings = sorted(scope.conversation_readings(conversation_id), key=lambda r: r.created_at)
        lang: Lang = "en" if context.profile.language == "en" else "fr"
        return ConversationContext(
            customer_id=customer_id,
            customer_name=f"{context.profile.first_name} {context.profile.last_name}",
            lang=lang,
            facts=customer_facts(context),
            known_identifiers=known_identifiers(context),
            history=history,
            earlier_readings=[r.reading for r in readings],
            repeated_contacts=recent_contacts + 1,
        )


class EmotionLayerReader:
    """The emotion layer behind the graph's port: the fast reader on every message, fused
    with the deep LLM reading when `emotion_deep_enabled` (the fast one is the fallback)."""

    def __init__(self, settings: Settings, llm: LLMClient) -> None:
        self.settings = settings
        self.fast = FastReader.from_path(settings.emotion_model_path)
        self.deep = (
            DeepReader(llm, timeout_s=settings.emotion_deep_timeout_s)
            if settings.emotion_deep_enabled
            else None
        )

    def read(
        self, text: str, lang: Lang | None, history: Sequence[HistoryLine], facts: str
    ) -> EmotionReading:
        return read_message(
            text,
            fast_reader=self.fast,
            deep_reader=self.deep,
            lang=lang,
            crm_facts=facts or None,
            deep_weight=self.settings.emotion_deep_weight,
            strong_score=self.settings.emotion_strong_score,
        )


def turn_channel(channel: str) -> TurnChannel:
    """The medium a turn reads for a conversation's channel: a helpdesk's channel
    (`chatwoot`, or any name an integration posts under through the HTTP API) is a chat."""
    return cast(TurnChannel, channel) if channel in get_args(TurnChannel) else "chat"


class CRMInboundSource:
    """The inbound messages `Intake` stored, read back for the turn that answers them."""

    def __init__(self, store: CRMStore) -> None:
        self.store = store

    def inbound(self, message_id: int) -> InboundMessage:
        found = self.store.inbound_message(message_id)
        return InboundMessage(
            conversation_id=found.conversation_id,
            text=found.text,
            channel=turn_channel(found.channel),
            message_id=str(found.id),
            received_at=found.sent_at,
        )


class CRMSupportWriter:
    """The turn's side effects in the CRM store (used by `commit` and `handoff` only),
    each one a lifecycle transaction that a replay leaves as it is."""

    def __init__(self, store: CRMStore) -> None:
        self.store = store

    def apply(
        self, record: ApprovalRecord, reading: EmotionReading | None, holder: str | None
    ) -> Outcome:
        if record.approval_id is None:
            raise ValueError("a decision is applied through the approval that claimed it")
        applied = self.store.turns.apply(record.approval_id, reading=reading, holder=holder)
        return cast(Outcome, applied.outcome)

    def hand_off(
        self,
        turn_id: str,
        package: HandoffPackage,
        reading: EmotionReading | None,
        record: ApprovalRecord | None,
        holder: str | None,
    ) -> Outcome:
        reasons = ", ".join(hit.rule for hit in package.reasons) or "handoff"
        outcome = self.store.turns.hand_off(
            turn_id,
            package=package.model_dump(mode="json"),
            priority=package.priority,
            reason=reasons,
            reading=reading,
            approval_id=record.approval_id if record else None,
            holder=holder,
        )
        return cast(Outcome, outcome)
