"""Marketing audiences: a segment filter over CRM fields → the recipients a campaign may
reach, and the recent conversations of those recipients (for the segment insight).

This is the only place marketing reads customers in bulk. It hands out what a campaign
needs and nothing more: merge-field values of the recipients (no orders, no invoices),
and per-conversation emotion readings with the texts of negative customer messages.

Who is left out, and counted:
- customers without marketing consent (the law: no consent, no marketing e-mail);
- customers flagged vulnerable (bereavement, hardship, illness): the brand voice rules out
  any commercial message to them, whatever the filter says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, select

from tools.crm.models import Contract, Conversation, Customer, EmotionReadingRow, Message
from tools.crm.store import CRMStore

SEGMENT_FIELDS: dict[str, str] = {
    "segment": "customer segment: standard, family, business, premium (one or a list)",
    "language": "customer language: fr or en (one or a list)",
    "city": "customer city (one or a list, exact match, case-insensitive)",
    "contract_kind": "holds an active contract of this kind: fibre, mobile, tv (one or a list)",
    "offer": "holds an active contract whose offer name contains this text",
    "min_value_eur": "revenue over the last 12 months at least this many euros",
    "max_value_eur": "revenue over the last 12 months at most this many euros",
    "vulnerable": "flagged vulnerable (sensitive: always flagged by the compliance check)",
}
"""The fields a segment filter may use, with what each means."""


class SegmentFilterError(ValueError):
    """A segment filter names an unknown field or gives a value of the wrong kind."""


class Recipient(BaseModel):
    """What a campaign may know of one recipient: the merge-field values."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    email: str
    first_name: str
    last_name: str
    city: str | None
    language: str
    segment: str


class Audience(BaseModel):
    """The customers a filter matched, split into recipients and counted exclusions."""

    matched: int
    recipients: list[Recipient]
    excluded_no_consent: int
    excluded_vulnerable: int


class ConversationMood(BaseModel):
    """One recent conversation of a recipient, as the insight needs it."""

    conversation_id: str
    customer_id: str
    subject: str
    labels: list[str]
    """Emotion labels of the customer's messages, in order."""
    end_valence: float | None
    """Valence of the last reading of the conversation."""
    negative_texts: list[str]
    """Customer messages read with a negative valence (for irritant topics)."""


def _as_list(key: str, value: Any) -> list[str]:
    values = value if isinstance(value, list | tuple) else [value]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise SegmentFilterError(f"segment field '{key}' needs a text or a list of texts")
    return [v.strip() for v in values]


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SegmentFilterError(f"segment field '{key}' needs a number of euros")
    return float(value)


def validate_filter(segment_filter: dict[str, Any]) -> None:
    """Raise `SegmentFilterError` naming every unknown field or bad value."""
    unknown = sorted(set(segment_filter) - set(SEGMENT_FIELDS))
    if unknown:
        known = ", ".join(SEGMENT_FIELDS)
        raise SegmentFilterError(f"unknown segment field(s) {unknown}; known fields: {known}")
    for key, value in segment_filter.items():
        if key in ("min_value_eur", "max_value_eur"):
            _number(key, value)
        elif key == "vulnerable":
            if not isinstance(value, bool):
                raise SegmentFilterError("segment field 'vulnerable' needs true or false")
        else:
            _as_list(key, value)


def filtered_customers(segment_filter: dict[str, Any]) -> Select[Customer]:
    """The query of every customer the filter matches (consent not applied yet)."""
    validate_filter(segment_filter)
    query = select(Customer).order_by(Customer.id)
    for key, value in segment_filter.items():
        if key == "segment":
            query = query.where(Customer.segment.in_(_as_list(key, value)))
        elif key == "language":
            query = query.where(Customer.language.in_(_as_list(key, value)))
        elif key == "city":
            cities = [c.lower() for c in _as_list(key, value)]
            query = query.where(func.lower(Customer.city).in_(cities))
        elif key == "contract_kind":
            holders = select(Contract.customer_id).where(
                Contract.status == "active", Contract.kind.in_(_as_list(key, value))
            )
            query = query.where(Customer.id.in_(holders))
        elif key == "offer":
            [text] = _as_list(key, value)[:1]
            holders = select(Contract.customer_id).where(
                Contract.status == "active",
                func.lower(Contract.offer).contains(text.lower()),
            )
            query = query.where(Customer.id.in_(holders))
        elif key == "min_value_eur":
            query = query.where(Customer.value_cents >= round(_number(key, value) * 100))
        elif key == "max_value_eur":
            query = query.where(Customer.value_cents <= round(_number(key, value) * 100))
        elif key == "vulnerable":
            query = query.where(Customer.vulnerable.is_(bool(value)))
    return query


class AudienceReader:
    """Bulk, read-only marketing reads over the CRM store."""

    def __init__(self, store: CRMStore) -> None:
        self.store = store

    def audience(self, segment_filter: dict[str, Any]) -> Audience:
        """Recipients of a filter, without customers lacking consent or flagged vulnerable."""
        with self.store.reading() as session:
            customers = list(session.scalars(filtered_customers(segment_filter)))
        recipients = [
            Recipient(
                customer_id=c.id,
                email=c.email,
                first_name=c.first_name,
                last_name=c.last_name,
                city=c.city,
                language=c.language,
                segment=c.segment,
            )
            for c in customers
            if c.marketing_consent and not c.vulnerable
        ]
        return Audience(
            matched=len(customers),
            recipients=recipients,
            excluded_no_consent=sum(1 for c in customers if not c.marketing_consent),
            excluded_vulnerable=sum(1 for c in customers if c.marketing_consent and c.vulnerable),
        )

    def recent_conversations(
        self, customer_ids: Sequence[str], since: datetime
    ) -> list[ConversationMood]:
        """The recipients' conversations started since `since`, with their readings."""
        if not customer_ids:
            return []
        moods: dict[str, ConversationMood] = {}
        with self.store.reading() as session:
            for start in range(0, len(customer_ids), 500):
                chunk = list(customer_ids[start : start + 500])
                conversations = session.scalars(
                    select(Conversation)
                    .where(Conversation.customer_id.in_(chunk), Conversation.started_at >= since)
                    .order_by(Conversation.id)
                )
                for c in conversations:
                    moods[c.id] = ConversationMood(
                        conversation_id=c.id,
                        customer_id=c.customer_id,
                        subject=c.subject,
                        labels=[],
                        end_valence=None,
                        negative_texts=[],
                    )
            ids = list(moods)
            for start in range(0, len(ids), 500):
                rows = session.execute(
                    select(
                        EmotionReadingRow.conversation_id,
                        EmotionReadingRow.label,
                        EmotionReadingRow.valence,
                        Message.text,
                    )
                    .join(Message, Message.id == EmotionReadingRow.message_id)
                    .where(EmotionReadingRow.conversation_id.in_(ids[start : start + 500]))
                    .order_by(
                        EmotionReadingRow.conversation_id, Message.sent_at, EmotionReadingRow.id
                    )
                )
                for conversation_id, label, valence, text in rows:
                    mood = moods[conversation_id]
                    mood.labels.append(label)
                    mood.end_valence = valence
                    if valence < 0:
                        mood.negative_texts.append(text)
        return list(moods.values())
