"""Adapters from Ressenti's real parts to the support graph's ports.

- `CRMContextSource`: resolves the conversation's customer from the store (never from the
  message) and loads that customer's context through a `CustomerScope`, so nothing the
  customer writes can widen whose data is read.
- `CRMSupportWriter`: the turn's side effects through `CRMWriter` (one conversation).
- the knowledge base's `KnowledgeBase` already satisfies its own `KnowledgeSearch`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from agents.core.config import Settings
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.emotion.deep import DeepReader
from agents.emotion.fast import FastReader
from agents.emotion.fusion import read_message
from agents.llm.client import LLMClient
from agents.support.graph import SupportDeps
from agents.support.policy import EscalationPolicy
from agents.support.ports import (
    ApprovalRecord,
    ConversationContext,
    EmotionReader,
    UnknownConversationError,
)
from agents.support.schemas import HandoffPackage, HistoryLine, InboundMessage
from agents.support.service import STATE_TYPES, SupportService
from agents.support.threads import ThreadIndex, engine_for
from knowledge import KNOWLEDGE_DIR
from tools.checkpoints import open_checkpointer
from tools.crm.errors import ConversationNotFoundError
from tools.crm.store import CRMStore
from tools.crm.views import CustomerContext
from tools.kb.search import KnowledgeBase


def _euros(cents: int) -> str:
    return f"{cents / 100:.2f} €"


def facts_text(context: CustomerContext) -> str:
    """The customer's record as short plain lines for the prompt and the draft check."""
    p = context.profile
    lines = [
        f"Client {p.id}: {p.first_name} {p.last_name}, segment {p.segment}, langue {p.language}, "
        f"client depuis {p.created_at:%Y-%m-%d}.",
    ]
    lines += [
        f"Contrat {c.id}: {c.offer} ({c.kind}), {_euros(c.monthly_price_cents)}/mois, {c.status}."
        for c in context.contracts
    ]
    for order in context.recent_orders:
        deliveries = ", ".join(
            f"livraison {d.status}"
            + (f" promise le {d.promised_on}" if d.promised_on else "")
            + (f", livrée le {d.delivered_on}" if d.delivered_on else "")
            for d in order.deliveries
        )
        lines.append(
            f"Commande {order.id} du {order.placed_at:%Y-%m-%d}: {order.status}, "
            f"{_euros(order.total_cents)}; {deliveries}."
        )
    lines += [
        f"Facture {i.id} ({i.period}): {_euros(i.amount_cents)}, {i.status}, échéance {i.due_on}."
        for i in context.unpaid_invoices
    ]
    lines += [
        f"Ticket {t.id} ({t.category}, {t.status}): {t.subject}." for t in context.open_tickets
    ]
    return "\n".join(lines)


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
            facts=facts_text(context),
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


def emotion_reader(settings: Settings, llm: LLMClient) -> EmotionLayerReader:
    return EmotionLayerReader(settings, llm)


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


def default_deps(
    settings: Settings,
    *,
    llm: LLMClient | None = None,
    emotions: EmotionReader | None = None,
    report: Callable[[str], None] = lambda _: None,
) -> SupportDeps:
    """The graph's dependencies over the real stores: CRM, knowledge base, emotion layer."""
    llm = llm or LLMClient(settings)
    store = CRMStore.from_settings(settings)
    knowledge = KnowledgeBase.open(settings)
    if knowledge.count() == 0:
        report("The knowledge base is empty: indexing the packaged documents once.")
        knowledge.ingest(KNOWLEDGE_DIR)
    return SupportDeps(
        settings=settings,
        llm=llm,
        policy=EscalationPolicy.load(settings.escalation_policy_path),
        contexts=CRMContextSource(store),
        emotions=emotions or emotion_reader(settings, llm),
        knowledge=knowledge,
        writer=CRMSupportWriter(store),
    )


def open_support_service(
    settings: Settings,
    *,
    llm: LLMClient | None = None,
    emotions: EmotionReader | None = None,
    report: Callable[[str], None] = lambda _: None,
) -> SupportService:
    """The support service over the real stores, with the configured checkpointer."""
    deps = default_deps(settings, llm=llm, emotions=emotions, report=report)
    checkpointer, close_checkpoints = open_checkpointer(settings, STATE_TYPES)
    threads = ThreadIndex(engine_for(settings.resolved_checkpoint_url()))
    store = deps.contexts.store if isinstance(deps.contexts, CRMContextSource) else None

    def close() -> None:
        close_checkpoints()
        if store is not None:
            store.close()

    return SupportService(deps, checkpointer, threads, on_close=close)
