"""Read access to ONE customer's file.

Every query here is built by `_owned`, which adds `customer_id = <this customer>` to it:
there is no code path that reads another customer's record, whatever id a caller passes.
A record id that is not on this customer's file raises `AccessDeniedError` (it belongs to
someone else) or `RecordNotFoundError` (it does not exist); neither names its owner.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from tools.crm.database import Database
from tools.crm.errors import AccessDeniedError, CustomerNotFoundError, RecordNotFoundError
from tools.crm.models import (
    Base,
    Contract,
    Conversation,
    Customer,
    EmotionReadingRow,
    Invoice,
    Message,
    Order,
    Ticket,
)
from tools.crm.readings import stored_reading
from tools.crm.views import (
    ContractView,
    ConversationView,
    CustomerContext,
    CustomerProfile,
    InvoiceView,
    MessageView,
    OrderView,
    StoredReading,
    TicketView,
)

Row = TypeVar("Row", bound=Base)

OPEN_TICKET_STATUSES = ("open", "pending")
UNPAID_INVOICE_STATUSES = ("due", "overdue", "disputed")


class CustomerScope:
    """The records of one customer, and nothing else."""

    def __init__(self, store: Database, customer_id: str) -> None:
        self._store = store
        with store.reading() as session:
            if session.get(Customer, customer_id) is None:
                raise CustomerNotFoundError(f"no customer with id {customer_id!r}")
        self.customer_id = customer_id

    # --- The one place where the customer filter is added --------------------------------
    def _owned(self, model: type[Row]) -> Select[Row]:
        columns = model.__table__.c
        owner = columns.id if model is Customer else columns.customer_id
        return select(model).where(owner == self.customer_id)

    def _one(self, session: Session, model: type[Row], record_id: Any, kind: str) -> Row:
        row = session.scalars(self._owned(model).where(model.__table__.c.id == record_id)).first()
        if row is not None:
            return row
        # Only to tell the two refusals apart for logs and tests; no data is returned.
        exists = session.scalar(
            select(func.count()).select_from(model).where(model.__table__.c.id == record_id)
        )
        error = AccessDeniedError if exists else RecordNotFoundError
        raise error(kind, str(record_id))

    # --- Reads ---------------------------------------------------------------------------
    def profile(self) -> CustomerProfile:
        with self._store.reading() as session:
            return CustomerProfile.model_validate(
                self._one(session, Customer, self.customer_id, "customer")
            )

    def contracts(self) -> list[ContractView]:
        query = self._owned(Contract).order_by(Contract.started_on.desc(), Contract.id)
        with self._store.reading() as session:
            return [ContractView.model_validate(row) for row in session.scalars(query)]

    def orders(self, limit: int = 10) -> list[OrderView]:
        """Most recent orders first, each with its deliveries."""
        query = (
            self._owned(Order)
            .options(selectinload(Order.deliveries))
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(limit)
        )
        with self._store.reading() as session:
            return [OrderView.model_validate(row) for row in session.scalars(query)]

    def order(self, order_id: str) -> OrderView:
        with self._store.reading() as session:
            row = self._one(session, Order, order_id.strip(), "order")
            return OrderView.model_validate(row)

    def invoices(self, *, status: str | None = None, limit: int = 12) -> list[InvoiceView]:
        """Most recent invoices first, optionally only those with one status."""
        query = self._owned(Invoice).order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        if status:
            query = query.where(Invoice.status == status)
        with self._store.reading() as session:
            return [InvoiceView.model_validate(row) for row in session.scalars(query.limit(limit))]

    def unpaid_invoices(self) -> list[InvoiceView]:
        query = (
            self._owned(Invoice)
            .where(Invoice.status.in_(UNPAID_INVOICE_STATUSES))
            .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        )
        with self._store.reading() as session:
            return [InvoiceView.model_validate(row) for row in session.scalars(query)]

    def invoice(self, invoice_id: str) -> InvoiceView:
        with self._store.reading() as session:
            return InvoiceView.model_validate(
                self._one(session, Invoice, invoice_id.strip(), "invoice")
            )

    def tickets(self, *, open_only: bool = True, limit: int = 20) -> list[TicketView]:
        query = self._owned(Ticket).order_by(Ticket.opened_at.desc(), Ticket.id.desc())
        if open_only:
            query = query.where(Ticket.status.in_(OPEN_TICKET_STATUSES))
        with self._store.reading() as session:
            return [TicketView.model_validate(row) for row in session.scalars(query.limit(limit))]

    def ticket(self, ticket_id: str) -> TicketView:
        with self._store.reading() as session:
            return TicketView.model_validate(
                self._one(session, Ticket, ticket_id.strip(), "ticket")
            )

    def conversations(
        self, *, limit: int = 5, exclude: str | None = None
    ) -> list[ConversationView]:
        """Most recent conversations first, each with its messages in order."""
        query = (
            self._owned(Conversation)
            .options(selectinload(Conversation.messages))
            .order_by(Conversation.started_at.desc(), Conversation.id.desc())
            .limit(limit)
        )
        if exclude:
            query = query.where(Conversation.id != exclude)
        with self._store.reading() as session:
            return [ConversationView.model_validate(row) for row in session.scalars(query)]

    def conversation(self, conversation_id: str) -> ConversationView:
        with self._store.reading() as session:
            row = self._one(session, Conversation, conversation_id.strip(), "conversation")
            return ConversationView.model_validate(row)

    def message(self, message_id: int) -> MessageView:
        with self._store.reading() as session:
            return MessageView.model_validate(self._one(session, Message, message_id, "message"))

    def emotion_readings(self, *, limit: int = 20) -> list[StoredReading]:
        """The customer's latest readings across conversations, oldest first."""
        query = (
            self._owned(EmotionReadingRow)
            .order_by(EmotionReadingRow.created_at.desc(), EmotionReadingRow.id.desc())
            .limit(limit)
        )
        with self._store.reading() as session:
            latest = [stored_reading(row) for row in session.scalars(query)]
        return latest[::-1]

    def conversation_readings(self, conversation_id: str) -> list[StoredReading]:
        """The readings of one conversation in the order they were taken (its trajectory)."""
        with self._store.reading() as session:
            self._one(session, Conversation, conversation_id.strip(), "conversation")
            query = (
                self._owned(EmotionReadingRow)
                .where(EmotionReadingRow.conversation_id == conversation_id.strip())
                .order_by(EmotionReadingRow.created_at, EmotionReadingRow.id)
            )
            return [stored_reading(row) for row in session.scalars(query)]

    def context(
        self,
        *,
        current_conversation: str | None = None,
        orders: int = 3,
        conversations: int = 3,
        readings: int = 10,
    ) -> CustomerContext:
        """Everything `load_context` needs, the current conversation left out of history."""
        return CustomerContext(
            profile=self.profile(),
            contracts=self.contracts(),
            recent_orders=self.orders(limit=orders),
            unpaid_invoices=self.unpaid_invoices(),
            open_tickets=self.tickets(open_only=True),
            past_conversations=self.conversations(
                limit=conversations, exclude=current_conversation
            ),
            recent_readings=self.emotion_readings(limit=readings),
        )
