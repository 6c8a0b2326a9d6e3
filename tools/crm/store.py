"""The CRM store: the database (`tools.crm.database`) and the entry points to scoped
reads (`CustomerScope`) and scoped writes (`CRMWriter`).

The store itself only offers what is not tied to one customer's private records: finding a
customer by id or email (to know whose conversation this is), opening a conversation,
counting rows, and dashboard aggregates. Everything that reads a customer's orders,
invoices, tickets or messages goes through a scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, delete, func, select

from agents.core.config import Settings
from tools.crm.analysis import AnalysisStore
from tools.crm.database import Clock, Database, make_engine, new_id, utc_now
from tools.crm.errors import (
    ConversationNotFoundError,
    CustomerNotFoundError,
    RecordNotFoundError,
)
from tools.crm.mail import MailThreads
from tools.crm.models import (
    Approval,
    Base,
    Campaign,
    CampaignApproval,
    CampaignRecipient,
    CampaignVariant,
    Contract,
    Conversation,
    Customer,
    Delivery,
    EmotionReadingRow,
    Invoice,
    Message,
    Order,
    OutboxMessage,
    Ticket,
    Turn,
    WebhookDelivery,
)
from tools.crm.outbox import Deliveries
from tools.crm.scope import CustomerScope
from tools.crm.turns import Turns
from tools.crm.views import CustomerProfile, InboundView, ReadingAggregate
from tools.crm.webhooks import WebhookDeliveries
from tools.crm.writer import CRMWriter

# Child tables first: the order rows are deleted in by `reset`.
TABLES_CHILD_FIRST: tuple[type[Base], ...] = (
    WebhookDelivery,
    CampaignRecipient,
    CampaignApproval,
    CampaignVariant,
    Campaign,
    OutboxMessage,
    Approval,
    Turn,
    EmotionReadingRow,
    Ticket,
    Message,
    Conversation,
    Invoice,
    Delivery,
    Order,
    Contract,
    Customer,
)


class CRMStore(Database):
    """The CRM database. Build it with `from_settings` or `from_url`; inject the clock."""

    @classmethod
    def from_url(cls, url: str, *, clock: Clock = utc_now, upgrade: bool = True) -> CRMStore:
        """Open the database at `url`, upgrading its schema to the newest revision first."""
        store = cls(make_engine(url), clock=clock)
        if upgrade:
            store.migrate()
        return store

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock = utc_now, upgrade: bool = True
    ) -> CRMStore:
        """Open the database that `settings` names (a SQLite file in `data_dir` by default)."""
        return cls.from_url(settings.resolved_database_url(), clock=clock, upgrade=upgrade)

    # --- The turn lifecycle and the delivery queue ------------------------------------
    @property
    def turns(self) -> Turns:
        """The turn lifecycle's transactions (inbound, claims, decisions, queues)."""
        return Turns(self)

    @property
    def deliveries(self) -> Deliveries:
        """The outbox's delivery transactions."""
        return Deliveries(self)

    @property
    def webhooks(self) -> WebhookDeliveries:
        """Helpdesk webhook deliveries already received (redeliveries are ignored)."""
        return WebhookDeliveries(self)

    @property
    def mail(self) -> MailThreads:
        """The e-mail channel's mailbox cursors and thread lookups."""
        return MailThreads(self)

    @property
    def analysis(self) -> AnalysisStore:
        """The batch analysis tables (`ressenti analyze`): imports, their readings, KPIs."""
        return AnalysisStore(self)

    # --- Scoped access -------------------------------------------------------------------
    def scope(self, customer_id: str) -> CustomerScope:
        """Read access to ONE customer's records (raises if the customer does not exist)."""
        return CustomerScope(self, customer_id)

    def writer(self, conversation_id: str) -> CRMWriter:
        """Write access to ONE conversation (and so to one customer's file)."""
        return CRMWriter(self, conversation_id)

    def conversation_of_channel(self, channel: str, external_id: str) -> str | None:
        """The id of the conversation a channel knows as `external_id`, if any."""
        with self.reading() as session:
            return session.scalar(
                select(Conversation.id).where(
                    Conversation.channel == channel, Conversation.external_id == external_id
                )
            )

    def conversation_customer(self, conversation_id: str) -> str:
        """The id of the customer a conversation belongs to (read-only)."""
        with self.reading() as session:
            customer_id = session.scalar(
                select(Conversation.customer_id).where(Conversation.id == conversation_id)
            )
        if customer_id is None:
            raise ConversationNotFoundError(f"no conversation with id {conversation_id!r}")
        return str(customer_id)

    def inbound_message(self, message_id: int) -> InboundView:
        """A stored message, for the turn that answers it (the turn names it by id; the
        conversation, and so the customer, come with it)."""
        with self.reading() as session:
            row = session.get(Message, message_id)
            if row is None:
                raise RecordNotFoundError("message", str(message_id))
            return InboundView.model_validate(row)

    # --- Unscoped, non-private operations ------------------------------------------------
    def find_customer(self, id_or_email: str) -> CustomerProfile:
        """The customer with this id or e-mail address (case-insensitive for e-mails)."""
        key = id_or_email.strip()
        with self.reading() as session:
            row = session.get(Customer, key)
            if row is None:
                row = session.scalars(
                    select(Customer).where(func.lower(Customer.email) == key.lower())
                ).first()
            if row is None:
                raise CustomerNotFoundError(f"no customer with id or e-mail {key!r}")
            return CustomerProfile.model_validate(row)

    def list_customers(
        self, *, segment: str | None = None, limit: int = 20
    ) -> list[CustomerProfile]:
        query = select(Customer).order_by(Customer.id).limit(limit)
        if segment:
            query = query.where(Customer.segment == segment)
        with self.reading() as session:
            return [CustomerProfile.model_validate(row) for row in session.scalars(query)]

    def open_conversation(
        self,
        customer_id: str,
        *,
        channel: str,
        subject: str,
        language: str | None = None,
        conversation_id: str | None = None,
    ) -> str:
        """Create a conversation for a known customer and return its id."""
        with self.transaction() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                raise CustomerNotFoundError(f"no customer with id {customer_id!r}")
            conversation = Conversation(
                id=conversation_id or new_id("CV"),
                customer_id=customer_id,
                channel=channel,
                language=language or customer.language,
                subject=subject,
                started_at=self.clock(),
                status="open",
            )
            session.add(conversation)
            return conversation.id

    def insert_all(self, rows: Sequence[Base]) -> None:
        """Insert new rows table by table in foreign-key order, in ONE transaction.

        (The unit of work orders inserts by relationships, and most links here are plain
        foreign keys, so the order is given explicitly.) Either every row is written or,
        on any error, none is.
        """
        order = {table.name: index for index, table in enumerate(Base.metadata.sorted_tables)}
        by_table: dict[int, list[Base]] = {}
        for row in rows:
            by_table.setdefault(order[row.__tablename__], []).append(row)
        with self.transaction() as session:
            for index in sorted(by_table):
                session.add_all(by_table[index])
                session.flush()

    def counts(self) -> dict[str, int]:
        """Number of rows in each table."""
        with self.reading() as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in reversed(TABLES_CHILD_FIRST)
            }

    def reset(self) -> None:
        """Delete every row of every CRM table (the schema stays)."""
        with self.transaction() as session:
            for model in TABLES_CHILD_FIRST:
                session.execute(delete(model))

    # --- Dashboard aggregates ------------------------------------------------------------
    def readings_by_segment(self) -> list[ReadingAggregate]:
        """Emotion readings per customer segment."""
        return self._aggregate(Customer.segment, join_customer=True)

    def readings_by_channel(self) -> list[ReadingAggregate]:
        """Emotion readings per conversation channel."""
        return self._aggregate(Conversation.channel, join_customer=False)

    def _aggregate(self, group: Any, *, join_customer: bool) -> list[ReadingAggregate]:
        negative = func.sum(case((EmotionReadingRow.valence < 0, 1), else_=0))
        query = select(
            group,
            func.count(EmotionReadingRow.id),
            func.avg(EmotionReadingRow.valence),
            func.avg(EmotionReadingRow.intensity),
            func.avg(EmotionReadingRow.effort),
            negative,
        )
        if join_customer:
            query = query.join(Customer, Customer.id == EmotionReadingRow.customer_id)
        else:
            query = query.join(Conversation, Conversation.id == EmotionReadingRow.conversation_id)
        query = query.group_by(group).order_by(group)
        with self.reading() as session:
            return [
                ReadingAggregate(
                    group=str(name),
                    readings=int(count),
                    mean_valence=round(float(valence), 3),
                    mean_intensity=round(float(intensity), 3),
                    mean_effort=round(float(effort), 3),
                    negative_share=round(float(negatives or 0) / count, 3),
                )
                for name, count, valence, intensity, effort, negatives in session.execute(query)
            ]
