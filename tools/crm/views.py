"""Read models handed out by the store: plain, frozen pydantic values, never ORM rows.

Tools serialise them to JSON for the model; the CLI renders them; nothing outside the
store holds a database session.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from agents.core.emotion import EmotionReading


class View(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


def euros(cents: int) -> str:
    """`1234` → `"12.34 EUR"` (what the model and the CLI show)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d} EUR"


class CustomerProfile(View):
    id: str
    email: str
    first_name: str
    last_name: str
    phone: str | None
    city: str | None
    language: str
    segment: str
    value_cents: int
    vulnerable: bool
    marketing_consent: bool
    emotion_analysis_consent: bool
    created_at: datetime

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ContractView(View):
    id: str
    offer: str
    kind: str
    monthly_price_cents: int
    status: str
    started_on: date
    commitment_ends_on: date | None


class DeliveryView(View):
    id: str
    carrier: str
    tracking_number: str | None
    status: str
    promised_on: date | None
    delivered_on: date | None


class OrderView(View):
    id: str
    placed_at: datetime
    status: str
    total_cents: int
    items: list[dict[str, Any]]
    deliveries: list[DeliveryView]


class InvoiceView(View):
    id: str
    period: str
    issued_on: date
    due_on: date
    amount_cents: int
    status: str
    note: str | None


class TicketView(View):
    id: str
    conversation_id: str | None
    opened_at: datetime
    closed_at: datetime | None
    status: str
    priority: str
    category: str
    subject: str
    summary: str


class MessageView(View):
    id: int
    author: str
    author_name: str | None
    channel: str
    sent_at: datetime
    text: str


class InboundView(MessageView):
    """A stored customer message with its conversation (what a turn reads back)."""

    conversation_id: str


class ConversationView(View):
    id: str
    channel: str
    language: str
    subject: str
    started_at: datetime
    status: str
    messages: list[MessageView]


class StoredReading(View):
    """An emotion reading as the store keeps it: the reading, and which message it reads."""

    id: int
    message_id: int
    conversation_id: str
    created_at: datetime
    reading: EmotionReading


class ReadingAggregate(View):
    """Emotion readings grouped by one dimension (segment, channel…), for dashboards."""

    group: str
    readings: int
    mean_valence: float
    mean_intensity: float
    mean_effort: float
    negative_share: float
    """Share of readings with valence below zero."""


class CustomerContext(View):
    """What the support graph's `load_context` step needs about the customer, in one read."""

    profile: CustomerProfile
    contracts: list[ContractView]
    recent_orders: list[OrderView]
    unpaid_invoices: list[InvoiceView]
    """Invoices that are due, overdue or disputed."""
    open_tickets: list[TicketView]
    past_conversations: list[ConversationView]
    recent_readings: list[StoredReading]
    """The customer's latest emotion readings across conversations, oldest first."""
