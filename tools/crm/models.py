"""The CRM schema as SQLAlchemy 2 models.

Money is stored in integer cents (exact on every backend). Timestamps are stored as UTC
and always come back timezone-aware (see `UTCDateTime`), so SQLite and PostgreSQL behave
the same. Every customer-owned row carries `customer_id` directly, even where a join would
find it, so that each scoped query can filter on it in one place (`tools/crm/scope.py`).

The tables here must match the Alembic revisions under `tools/crm/migrations/versions/`;
a test compares them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and returned timezone-aware (UTC).

    Naive datetimes are refused on the way in: a time without a zone is a bug waiting for
    daylight saving time.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone-aware time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    city: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2))
    """`fr` or `en`: the language the customer is answered in."""
    segment: Mapped[str] = mapped_column(String(20), index=True)
    """`standard`, `family`, `business` or `premium`."""
    value_cents: Mapped[int] = mapped_column(Integer, default=0)
    """Revenue from this customer over the last 12 months, in euro cents."""
    vulnerable: Mapped[bool] = mapped_column(Boolean, default=False)
    """Flagged for the vulnerable-customer procedure (bereavement, hardship, illness)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Added in revision 0002.
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """The customer agreed to receive marketing messages."""
    emotion_analysis_consent: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default="1"
    )
    """Emotion readings may be kept on this customer's file (they can object)."""
    # Added in revision 0005.
    verified: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    """False for a customer created by `Intake` from an unknown sender (not matched to a
    CRM record by its e-mail or phone): a person should check who this is."""

    contracts: Mapped[list[Contract]] = relationship(back_populates="customer")


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    offer: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    """`fibre`, `mobile` or `tv`."""
    monthly_price_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    """`active`, `suspended` or `terminated`."""
    started_on: Mapped[date] = mapped_column(Date)
    commitment_ends_on: Mapped[date | None] = mapped_column(Date)

    customer: Mapped[Customer] = relationship(back_populates="contracts")


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))
    """`placed`, `shipped`, `delivered`, `delayed`, `lost`, `cancelled` or `returned`."""
    total_cents: Mapped[int] = mapped_column(Integer)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Lines as `{"label": str, "quantity": int, "unit_price_cents": int}`."""

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="order", order_by="Delivery.id"
    )


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_number: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20))
    """`preparing`, `in_transit`, `delivered`, `delayed` or `lost`."""
    promised_on: Mapped[date | None] = mapped_column(Date)
    delivered_on: Mapped[date | None] = mapped_column(Date)

    order: Mapped[Order] = relationship(back_populates="deliveries")


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    """Billing month, `YYYY-MM`."""
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    """`paid`, `due`, `overdue`, `disputed` or `credited`."""
    note: Mapped[str | None] = mapped_column(Text)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))
    """`open`, `pending` or `closed`."""
    priority: Mapped[str] = mapped_column(String(10))
    """`low`, `normal`, `high` or `urgent`."""
    category: Mapped[str] = mapped_column(String(20))
    """`delivery`, `billing`, `technical`, `account`, `complaint` or `handoff`."""
    subject: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")


CONVERSATION_STATES = ("open", "awaiting_approval", "with_human", "resolved")
"""A conversation's states (docs/turn-lifecycle.md): the copilot handles it, a draft waits
for a decision, a person owns it, or it is finished."""
LEGACY_CONVERSATION_STATES = {"closed": "resolved", "handed_off": "with_human"}
"""The states before revision 0005 and what they became (imports may still use them)."""


def conversation_state(value: str) -> str:
    """`value` as a revision-0005 state (`closed` → `resolved`, `handed_off` → `with_human`)."""
    return LEGACY_CONVERSATION_STATES.get(value, value)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("uq_conversations_channel_external_id", "channel", "external_id", unique=True),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    """`email`, `chat`, `phone`, `social` or `form`."""
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))
    """One of `CONVERSATION_STATES`: `open`, `awaiting_approval`, `with_human` or `resolved`."""
    # Added in revision 0005.
    assignee: Mapped[str | None] = mapped_column(String(254))
    """Who took the conversation (an account's e-mail), while it is `with_human`."""
    external_id: Mapped[str | None] = mapped_column(String(200))
    """The channel's own id of the conversation (a Chatwoot conversation, a mail thread):
    unique per channel, how `Intake` finds the conversation of an inbound message."""
    human_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When a person last owned it (it went `with_human`): a message arriving less than
    `reopen_to_human_h` hours after it was resolved from there goes back to a person."""

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="(Message.sent_at, Message.id)"
    )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("uq_messages_channel_external_id", "channel", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    author: Mapped[str] = mapped_column(String(20))
    """`customer`, `agent` (a human adviser), `assistant` (an approved draft) or `system`."""
    author_name: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text)
    # Added in revision 0005.
    external_id: Mapped[str | None] = mapped_column(String(200))
    """The channel's id of an inbound message: unique per channel, so a message delivered
    twice (a webhook retried, a mail fetched again) is stored once."""

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


# --- Revision 0002: emotion readings, approvals and the outbox --------------------------


class EmotionReadingRow(Base):
    """The stored form of an `agents.core.emotion.EmotionReading` (mapped by `readings.py`)."""

    __tablename__ = "emotion_readings"
    __table_args__ = (Index("ix_emotion_readings_conversation_created", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True, unique=True)
    """One reading per message (unique since revision 0005: a replayed turn adds none)."""
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    valence: Mapped[float] = mapped_column(Float)
    intensity: Mapped[float] = mapped_column(Float)
    effort: Mapped[float] = mapped_column(Float)
    urgency: Mapped[float] = mapped_column(Float)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Names of the raised flags (imported rows may use aliases, e.g. `churn_threat`)."""
    evidence: Mapped[list[str] | dict[str, Any]] = mapped_column(JSON, default=list)
    """The evidence texts (seeded and imported rows), or an object with the spans, the
    language, the trigger and the rationale (readings the app writes: nothing is lost)."""
    source: Mapped[str] = mapped_column(String(8))
    """`fast`, `deep` or `fused`."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    message: Mapped[Message] = relationship()


class Turn(Base):
    """The processing of one inbound message (docs/turn-lifecycle.md), added in revision 0005.

    `queued → running → awaiting_approval → decided → done`, or `queued|running → to_human`.
    One turn per inbound message (the partial unique index), plus the turns an agent asks
    for on a conversation they own (`requested_by`).
    """

    __tablename__ = "turns"
    __table_args__ = (
        Index(
            "uq_turns_inbound_message",
            "message_id",
            unique=True,
            sqlite_where=text("requested_by IS NULL"),
            postgresql_where=text("requested_by IS NULL"),
        ),
        Index("ix_turns_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    """The inbound message this turn answers (stored before the turn was queued)."""
    requested_by: Mapped[str | None] = mapped_column(String(254))
    """The agent who asked for a draft on a conversation they own (None: an inbound turn)."""
    status: Mapped[str] = mapped_column(String(20))
    """`queued`, `running`, `awaiting_approval`, `decided`, `done` or `to_human`."""
    stage: Mapped[str | None] = mapped_column(String(20))
    """While running: `reading`, `searching`, `assessing`, `drafting` or `checking`."""
    draft_preview: Mapped[str] = mapped_column(Text, default="", server_default="")
    """The draft so far (updated a few times a second while it is written), then the draft."""
    interrupt_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    """The LangGraph interrupt the draft waits on (the key of its one decision)."""
    outcome: Mapped[str | None] = mapped_column(String(20))
    """`approved`, `sent`, `rejected`, `taken_over`, `handed_off`, `failed` or `superseded`."""
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it went to a person: the rules that fired, or the failure's class and message."""
    priority: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal")
    emotion: Mapped[str | None] = mapped_column(String(40))
    intensity: Mapped[float | None] = mapped_column(Float)
    valence: Mapped[float | None] = mapped_column(Float)
    handoff: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The handoff package (`agents.support.schemas.HandoffPackage`) of a turn `to_human`."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Runs started in the current phase (a dead worker's turn is retried once)."""
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Approval(Base):
    """One human decision on one draft: the audit record of what was sent and why."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    """The inbound customer message the draft answers."""
    decision: Mapped[str] = mapped_column(String(20))
    """`accept`, `edit`, `respond`, `reject`, `take_over`, `human_reply` (a person's own
    reply) or `superseded` (a newer message arrived while the draft waited)."""
    reviewer: Mapped[str] = mapped_column(String(100))
    draft_text: Mapped[str] = mapped_column(Text)
    final_text: Mapped[str | None] = mapped_column(Text)
    diff: Mapped[str] = mapped_column(Text, default="")
    """Unified diff from the draft to the final text (empty when unchanged)."""
    instruction: Mapped[str | None] = mapped_column(Text)
    """What the reviewer asked the assistant to change (decision `respond`)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Added in revision 0005.
    interrupt_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    """The interrupt this decision answers: unique, so a draft gets one decision."""
    turn_id: Mapped[str | None] = mapped_column(ForeignKey("turns.id"), index=True)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When its effects were written (None: claimed, effects not yet applied)."""
    override_reason: Mapped[str | None] = mapped_column(Text)
    """Why the reviewer sent a reply despite blocking findings of the draft check."""
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    """The draft check's findings on the text the reviewer sent (edits, own replies)."""


OUTBOX_KINDS = ("reply", "handoff_note")
OUTBOX_STATUSES = ("pending", "delivering", "delivered", "failed", "dead")


class OutboxMessage(Base):
    """Something to deliver on the conversation's channel: an approved reply, or a handoff
    note for the helpdesk (revision 0005 made it a delivery queue)."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("kind <> 'reply' OR approval_id IS NOT NULL", name="reply_has_approval"),
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approvals.id"))
    """The approval of a reply (every reply has one; a handoff note has none)."""
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """`pending`, `delivering`, `delivered`, `failed` (retried after `next_attempt_at`) or
    `dead` (given up, or interrupted mid-send: a person checks, then retries)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Added (or renamed from `sent_at`) in revision 0005.
    kind: Mapped[str] = mapped_column(String(20), default="reply", server_default="reply")
    """`reply` (to the customer) or `handoff_note` (a private note for the helpdesk)."""
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True, index=True)
    """`approval:<id>` for a reply, `handoff:<turn id>` for a note: one row per effect,
    passed to the channel where it has idempotent sends."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))
    """The channel's id of the delivered message."""
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """While `delivering`: when the delivery worker's claim lapses."""


# --- Revision 0003: marketing campaigns ---------------------------------------------------


class Campaign(Base):
    """A marketing campaign: its brief, the insight it was drafted from, and its status."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    target_emotion: Mapped[str] = mapped_column(String(20))
    brief: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The brief as submitted (goal, offer, segment filter, emotion, tone)."""
    insight: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The segment insight the variants were drafted from."""
    status: Mapped[str] = mapped_column(String(20), index=True)
    """`drafting`, `awaiting_approval`, `approved`, `rejected`, `failed` or `exported`."""
    approved_variant_id: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CampaignVariant(Base):
    """One drafted e-mail variant (or the edited one a reviewer approved)."""

    __tablename__ = "campaign_variants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    variant_id: Mapped[str] = mapped_column(String(20))
    """`V1`, `V2`... (`V1-edit` for a reviewer's edit of V1)."""
    round: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(300))
    preheader: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    call_to_action: Mapped[str] = mapped_column(String(200))
    emotion: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CampaignApproval(Base):
    """One reviewer decision on a campaign, with any compliance override (who, when, why)."""

    __tablename__ = "campaign_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    """`approve`, `edit`, `reject` or `another_round`."""
    variant_id: Mapped[str | None] = mapped_column(String(20))
    reviewer: Mapped[str] = mapped_column(String(100))
    instruction: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    """Why the reviewer approved despite compliance flags (required when there are any)."""
    overridden_rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    diff: Mapped[str] = mapped_column(Text, default="")
    """Unified diff from the drafted variant to the approved text (empty when unchanged)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CampaignRecipient(Base):
    """The segment at export time: who the approved e-mail was prepared for."""

    __tablename__ = "campaign_recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    variant_id: Mapped[str] = mapped_column(String(20))
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    """A person who signs in to the app (not a customer); the password is stored hashed."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    """agent | marketer | tester | admin"""
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UserSession(Base):
    """A signed-in browser: the cookie holds a random token, this row holds its sha256 (a
    copy of the table gives no live session). Over when revoked, idle too long or past its
    absolute end."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """sha256 (hex) of the cookie's token."""
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(2))
    """The language chosen on the page (kept across reloads)."""
    address: Mapped[str] = mapped_column(String(64))
    """Where the sign-in came from (client address as the server saw it)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """Last use by the person (timers and polls do not count); idle expiry runs from here."""
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """The absolute end, whatever the activity."""
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    """signed_out | disabled | role_changed | password_changed | replaced"""


class SignInAttempt(Base):
    """Every sign-in attempt that was checked (the audit of failures and the throttle's
    memory): who was tried, from where, and how it ended."""

    __tablename__ = "signin_attempts"
    __table_args__ = (
        Index("ix_signin_attempts_email_at", "email", "at"),
        Index("ix_signin_attempts_address_at", "address", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    email: Mapped[str] = mapped_column(String(254))
    """The address typed, normalised (it may name no account)."""
    address: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))
    """ok | bad_password | unknown_account | disabled | demo_account | too_long"""


class ApiToken(Base):
    """A bearer token of the HTTP API: only its sha256 is kept; the token is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        # One live token per name; a revoked name may be used again.
        Index(
            "uq_api_tokens_live_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    """integration | agent | admin"""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    """The token's first characters, to recognise it in a list."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# --- Revision 0007: webhook deliveries --------------------------------------------------


class WebhookDelivery(Base):
    """A helpdesk's webhook delivery already received (Chatwoot's `X-Chatwoot-Delivery`,
    stable across its retries): a second one with the same id is answered and ignored."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("channel", "delivery_id", name="uq_webhook_deliveries_channel_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    delivery_id: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(200))
    """What was done with it: `stored <message id>`, or why it was ignored."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# --- Revision 0008: the e-mail channel's mailbox cursors -----------------------------------


class MailCursor(Base):
    """How far the mail poller has read one mailbox folder: the highest IMAP UID it handled
    under the folder's UIDVALIDITY (a new UIDVALIDITY means the UIDs were renumbered: the
    folder is read again from the start, and the Message-IDs keep it from storing a mail
    twice)."""

    __tablename__ = "mail_cursors"

    mailbox: Mapped[str] = mapped_column(String(300), primary_key=True)
    """`user@host:port/folder`, the folder the poller reads."""
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- Revision 0009: batch analysis of verbatims (`ressenti analyze`) ---------------------
# Imported transcripts are kept apart from the live CRM conversations: they come from
# files (CSV, JSONL, a helpdesk export), their customers may not be CRM customers, and a
# rerun of the same file must replace nothing and add nothing. Each row is keyed by its
# `source` (the name of the import) and the id the file gave it.


class AnalysisRun(Base):
    """One import's checkpoint: how many of its messages are committed (a rerun resumes)."""

    __tablename__ = "analysis_runs"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    input_name: Mapped[str] = mapped_column(String(300))
    input_sha256: Mapped[str] = mapped_column(String(64))
    """The input file's digest: a rerun over a different file under the same source name
    is refused (its checkpoint would point into another file)."""
    status: Mapped[str] = mapped_column(String(20))
    """`reading` (messages being committed chunk by chunk), `aggregating` or `done`."""
    committed_messages: Mapped[int] = mapped_column(Integer, default=0)
    """Valid messages of the file, in file order, whose readings are committed."""
    total_messages: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AnalysisMessage(Base):
    """One imported message and, for a customer's message, its fast reading."""

    __tablename__ = "analysis_messages"
    __table_args__ = (
        Index("uq_analysis_messages_source_external_id", "source", "external_id", unique=True),
        Index("ix_analysis_messages_source_conversation", "source", "conversation_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    """The message's rank among the file's valid messages (ties of time keep file order)."""
    conversation_key: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(20))
    """`customer` or `agent`."""
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(2))
    customer_ref: Mapped[str | None] = mapped_column(String(254), nullable=True)
    """The file's customer id or e-mail address, as given."""
    customer_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    """The CRM customer it matched, if any."""
    segment: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(40))
    """The customer's journey stage when the message was sent (`stages.yaml`)."""
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(20), nullable=True)
    valence: Mapped[float | None] = mapped_column(Float, nullable=True)
    intensity: Mapped[float | None] = mapped_column(Float, nullable=True)
    effort: Mapped[float | None] = mapped_column(Float, nullable=True)
    urgency: Mapped[float | None] = mapped_column(Float, nullable=True)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """The reading's evidence spans (`start`, `end`, `text`, `signal`)."""
    drivers: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Taxonomy drivers the message mentions (`drivers.yaml`)."""
    topic: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Discovered topic of a negative message in the clustered sample."""


class AnalysisConversation(Base):
    """A conversation rebuilt from its imported messages, with its trajectory KPIs."""

    __tablename__ = "analysis_conversations"
    __table_args__ = (
        Index("uq_analysis_conversations_source_key", "source", "conversation_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    conversation_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(40))
    segment: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(2))
    customer_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    messages: Mapped[int] = mapped_column(Integer)
    """Customer messages read."""
    start_valence: Mapped[float] = mapped_column(Float)
    end_valence: Mapped[float] = mapped_column(Float)
    lowest_valence: Mapped[float] = mapped_column(Float)
    peak_intensity: Mapped[float] = mapped_column(Float)
    trend: Mapped[str] = mapped_column(String(12))
    recovered: Mapped[bool] = mapped_column(Boolean)
    recovery_minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
    recovery_messages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mean_effort: Mapped[float] = mapped_column(Float)
    max_effort: Mapped[float] = mapped_column(Float)
    effort_slope: Mapped[float] = mapped_column(Float)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    drivers: Mapped[list[str]] = mapped_column(JSON, default=list)
    escalated: Mapped[bool] = mapped_column(Boolean)
    """The file says so, or a customer message asked for a person or threatened to leave
    or to sue (what sends a live conversation to a human)."""


class AnalysisTopic(Base):
    """A topic discovered by clustering the negative messages of an import."""

    __tablename__ = "analysis_topics"
    __table_args__ = (Index("uq_analysis_topics_source_topic", "source", "topic", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    topic: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer)


class AnalysisAlert(Base):
    """A driver or segment whose negative share or effort jumped over a rolling window."""

    __tablename__ = "analysis_alerts"
    __table_args__ = (
        Index(
            "uq_analysis_alerts_window",
            "source",
            "kind",
            "key",
            "metric",
            "window_start",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    """`driver` or `segment`."""
    key: Mapped[str] = mapped_column(String(100))
    metric: Mapped[str] = mapped_column(String(20))
    """`negative_share` or `effort`."""
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    baseline: Mapped[float] = mapped_column(Float)
    value: Mapped[float] = mapped_column(Float)
    messages: Mapped[int] = mapped_column(Integer)
    examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    webhook_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    """`sent` (a 2xx answer), `failed: …` after the retries, or None when not configured."""
