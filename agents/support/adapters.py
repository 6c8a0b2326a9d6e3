"""Adapters from Ressenti's real parts to the support graph's ports.

- `CRMContextSource`: resolves the conversation's customer from the store (never from the
  message) and loads that customer's context through a `CustomerScope`, so nothing the
  customer writes can widen whose data is read.
- `CRMSupportWriter`: the turn's side effects through `CRMWriter` (one conversation).
- `EmotionLayerReader`: the emotion layer (fast reader, deep reading where configured).
- the knowledge base's `KnowledgeBase` already satisfies its own `KnowledgeSearch`.

The adapters are handed what they work over: the composition root
(`agents/services/root.py`) opens the store and the LLM client once and builds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

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
from agents.support.schemas import HandoffPackage, HistoryLine, InboundMessage
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

    def load(self, conversation_id: str) -> ConversationContext:
        try:
            customer_id = self.store.conversation_customer(conversation_id)
        except ConversationNotFoundError as exc:
            raise UnknownConversationError(conversation_id) from exc
        scope = self.store.scope(customer_id)
        context = scope.context(current_conversation=conversation_id)
        current = scope.conversation(conversation_id)
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
            for m in current.messages
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


class CRMSupportWriter:
    """The turn's side effects in the CRM store (used by `commit` and `handoff` only)."""

    def __init__(self, store: CRMStore) -> None:
        self.store = store

    def log_inbound(
        self, message: InboundMessage, customer_id: str, reading: EmotionReading
    ) -> str:
        writer = self.store.writer(message.conversation_id)
        message_id = writer.log_message("customer", message.text, sent_at=message.received_at)
        writer.record_emotion_reading(message_id, reading)
        return str(message_id)

    def send_reply(self, conversation_id: str, customer_id: str, record: ApprovalRecord) -> str:
        writer = self.store.writer(conversation_id)
        approval_id = writer.record_approval(
            decision=record.decision.action,
            reviewer=record.decision.reviewer,
            draft_text=record.draft,
            final_text=record.final_text,
        )
        outbox_id = writer.queue_reply(approval_id)
        writer.log_message(
            "agent", record.final_text or record.draft, author_name=record.decision.reviewer
        )
        return str(outbox_id)

    def record_decision(
        self, conversation_id: str, customer_id: str, record: ApprovalRecord
    ) -> None:
        self.store.writer(conversation_id).record_approval(
            decision=record.decision.action,
            reviewer=record.decision.reviewer,
            draft_text=record.draft,
            final_text=record.final_text,
            instruction=record.decision.instruction,
        )

    def open_handoff(self, package: HandoffPackage) -> str:
        writer = self.store.writer(package.conversation_id)
        reasons = ", ".join(hit.rule for hit in package.reasons) or "handoff"
        return str(
            writer.open_handoff_ticket(
                subject=f"Handoff: {reasons}"[:200],
                summary=package.model_dump_json(indent=1),
                priority=package.priority,
            )
        )
