"""What the support graph needs from the rest of Ressenti, as narrow interfaces.

The CRM store and the emotion layer satisfy these through the adapters in
`agents/support/adapters.py` (the knowledge base declares its own `KnowledgeSearch`, in
`tools/kb/search.py`); unit tests use small in-memory versions. Reading and writing are
separate: only the commit and handoff nodes touch a `SupportWriter`. A turn's inbound
message is stored before the turn runs; the graph reads it through an `InboundSource`.
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
    Outcome,
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
    def load(self, conversation_id: str, message_id: int | None = None) -> ConversationContext:
        """The conversation's customer context as of the inbound message `message_id` (its
        history stops before it); raises `UnknownConversationError`."""
        ...


class InboundSource(Protocol):
    def inbound(self, message_id: int) -> InboundMessage:
        """The stored inbound message a turn answers (it is stored before the turn runs)."""
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
    approval_id: int | None = None
    """The approval row that claimed the decision (the key of its effects)."""


class SupportWriter(Protocol):
    """The side effects of a turn, each written once. Held by the commit and handoff nodes
    only; `holder` is the worker holding the turn's lease (None: no lease check)."""

    def apply(
        self, record: ApprovalRecord, reading: EmotionReading | None, holder: str | None
    ) -> Outcome:
        """The decision's effects in one transaction (reply in the transcript and the
        outbox, the reading, the turn's and conversation's state); a replay changes nothing.
        Returns the turn's outcome (`approved` or `rejected`)."""
        ...

    def hand_off(
        self,
        turn_id: str,
        package: HandoffPackage,
        reading: EmotionReading | None,
        record: ApprovalRecord | None,
        holder: str | None,
    ) -> Outcome:
        """The turn goes to a person with its package, once (ticket, reading, states, the
        decision that led here). Returns the outcome (`handed_off` or `taken_over`)."""
        ...
