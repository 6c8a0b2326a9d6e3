"""What the support graph needs from the rest of Ressenti, as narrow interfaces.

The CRM store and the emotion layer satisfy these through the adapters in
`agents/support/adapters.py` (the knowledge base declares its own `KnowledgeSearch`, in
`tools/kb/search.py`); unit tests use small in-memory versions. Reading and writing are
separate: only the commit and handoff nodes touch a `SupportWriter`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.support.facts import CustomerFacts
from agents.support.schemas import (
    ApprovalDecision,
    HandoffPackage,
    HistoryLine,
    InboundMessage,
)


class UnknownConversationError(LookupError):
    """The conversation id names no conversation in the store."""


class ConversationContext(BaseModel):
    """Everything the turn may know, loaded for the conversation's own customer only."""

    customer_id: str
    customer_name: str
    lang: Lang
    facts: CustomerFacts = Field(
        description="Profile, contracts, orders, unpaid invoices and open tickets, as data: "
        "`agents.support.facts.facts_text` writes them out in the turn's language."
    )
    known_identifiers: list[str] = Field(
        default_factory=list,
        description="The customer's own emails, phone numbers and order/invoice/ticket ids.",
    )
    history: list[HistoryLine] = Field(default_factory=list)
    earlier_readings: list[EmotionReading] = Field(default_factory=list)
    repeated_contacts: int = 0


class ContextSource(Protocol):
    def load(self, conversation_id: str) -> ConversationContext:
        """The conversation's customer context; raises `UnknownConversationError`."""
        ...


class EmotionReader(Protocol):
    def read(
        self, text: str, lang: Lang | None, history: Sequence[HistoryLine], facts: str
    ) -> EmotionReading:
        """A reading of one message in its context (never raises for model failures)."""
        ...


class ApprovalRecord(BaseModel):
    """What a human decided about a draft, with the diff of their edit."""

    decision: ApprovalDecision
    draft: str
    final_text: str | None
    diff: str


class SupportWriter(Protocol):
    """The side effects of a turn. Held by the commit and handoff nodes only."""

    def log_inbound(
        self, message: InboundMessage, customer_id: str, reading: EmotionReading
    ) -> str:
        """Log the customer's message and its reading; the stored message id."""
        ...

    def send_reply(self, conversation_id: str, customer_id: str, record: ApprovalRecord) -> str:
        """Log the approved reply, put it in the outbox, record the approval; the outbox id."""
        ...

    def record_decision(
        self, conversation_id: str, customer_id: str, record: ApprovalRecord
    ) -> None:
        """Record an approval decision that sends nothing (reject, take over)."""
        ...

    def open_handoff(self, package: HandoffPackage) -> str:
        """Open the handoff ticket in the human queue; the ticket id."""
        ...
