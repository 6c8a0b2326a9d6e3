"""LangChain read tools over ONE customer's file, for the support agent.

`build_read_tools(store, customer_id)` returns tools bound to a `CustomerScope`. Their
argument schemas have no customer id (and forbid extra arguments), and every lookup goes
through the scope, which filters on the bound customer: an order, invoice, ticket or
conversation id of another customer gets the same refusal as an id that does not exist.

Tool descriptions are written for the model; notes for developers are comments.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.crm.errors import ScopeError
from tools.crm.scope import CustomerScope
from tools.crm.store import CRMStore
from tools.crm.views import View

REFUSAL = (
    "REFUSED: {kind} {record_id!r} is not on the file of the customer in this conversation. "
    "You can only see this customer's own records. Do not guess other references; ask the "
    "customer to check the reference they gave."
)
INVALID_ARGUMENTS = (
    "REFUSED: invalid arguments ({detail}). These tools only take the arguments in their "
    "schema; the customer is fixed by the conversation."
)


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArguments(_Arguments):
    pass


class LimitArguments(_Arguments):
    limit: int = Field(default=5, ge=1, le=20, description="How many to return, newest first.")


class OrderArguments(_Arguments):
    order_id: str = Field(description="The order reference, e.g. CMD-104233.")


class InvoiceListArguments(_Arguments):
    status: Literal["paid", "due", "overdue", "disputed", "credited"] | None = Field(
        default=None, description="Only invoices with this status; leave empty for all."
    )
    limit: int = Field(default=6, ge=1, le=24, description="How many to return, newest first.")


class InvoiceArguments(_Arguments):
    invoice_id: str = Field(description="The invoice reference, e.g. FA-2026-10-000123.")


class TicketArguments(_Arguments):
    ticket_id: str = Field(description="The ticket reference, e.g. TK-004512.")


class HistoryArguments(_Arguments):
    limit: int = Field(
        default=3, ge=1, le=10, description="How many past conversations, newest first."
    )


class ConversationArguments(_Arguments):
    conversation_id: str = Field(description="The conversation reference, e.g. CV-010233.")


def _json(value: View | list[Any]) -> str:
    if isinstance(value, list):
        return json.dumps([item.model_dump(mode="json") for item in value], ensure_ascii=False)
    return value.model_dump_json()


def _refusing(run: Callable[..., str]) -> Callable[..., str]:
    """Turn a scope refusal into text the model reads (never an exception in the graph)."""

    def guarded(**arguments: Any) -> str:
        try:
            return run(**arguments)
        except ScopeError as refusal:
            return REFUSAL.format(kind=refusal.kind, record_id=refusal.record_id)

    guarded.__doc__ = run.__doc__
    return guarded


def _invalid_arguments(error: ValidationError) -> str:
    detail = "; ".join(
        f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
    )
    return INVALID_ARGUMENTS.format(detail=detail)


def _tool(name: str, run: Callable[..., str], schema: type[_Arguments]) -> BaseTool:
    return StructuredTool.from_function(
        func=_refusing(run),
        name=name,
        description=" ".join((run.__doc__ or "").split()),
        args_schema=schema,
        handle_validation_error=_invalid_arguments,
    )


def build_read_tools(store: CRMStore, customer_id: str) -> list[BaseTool]:
    """Read-only tools over the file of `customer_id` (the customer of the conversation)."""
    scope = CustomerScope(store, customer_id)
    return read_tools_for(scope)


def read_tools_for(scope: CustomerScope) -> list[BaseTool]:
    """Read-only tools over an existing scope."""

    def get_customer_profile() -> str:
        """Get the profile of the customer you are talking to: name, language, segment,
        city, 12-month value, consent flags, vulnerable-customer flag, and their contracts
        (offers, monthly prices, status, end of commitment)."""
        profile = scope.profile().model_dump(mode="json")
        profile["contracts"] = [c.model_dump(mode="json") for c in scope.contracts()]
        return json.dumps(profile, ensure_ascii=False)

    def list_orders(limit: int = 5) -> str:
        """List this customer's most recent orders with their items, totals (in cents),
        status and deliveries (carrier, tracking number, promised and delivered dates).
        Use it when the customer talks about a parcel, a purchase or a delivery."""
        return _json(scope.orders(limit=limit))

    def get_order(order_id: str) -> str:
        """Get one order of this customer by its reference, with its deliveries. Use the
        reference the customer gave; if it is refused, ask them to check it."""
        return _json(scope.order(order_id))

    def list_invoices(status: str | None = None, limit: int = 6) -> str:
        """List this customer's invoices, newest first: period, amount (in cents), due date,
        status (paid, due, overdue, disputed, credited) and any note. Use it for billing
        questions (a wrong amount, a double charge, a late payment)."""
        return _json(scope.invoices(status=status, limit=limit))

    def get_invoice(invoice_id: str) -> str:
        """Get one invoice of this customer by its reference."""
        return _json(scope.invoice(invoice_id))

    def list_open_tickets() -> str:
        """List this customer's open or pending support tickets (subject, category,
        priority, summary). Check it before promising anything: the issue may already be
        in hand."""
        return _json(scope.tickets(open_only=True))

    def get_ticket(ticket_id: str) -> str:
        """Get one ticket of this customer by its reference, open or closed."""
        return _json(scope.ticket(ticket_id))

    def get_conversation_history(limit: int = 3) -> str:
        """Get this customer's most recent past conversations with every message (author,
        channel, time, text). Use it to see whether they already contacted us about the
        same problem and what they were told."""
        return _json(scope.conversations(limit=limit))

    def get_emotion_history(limit: int = 5) -> str:
        """Get the emotion readings of this customer's latest messages, oldest first
        (label, valence from -1 to 1, intensity, effort, urgency, flags). Use it to see how
        their mood has evolved across contacts; do not quote it to the customer."""
        return _json(scope.emotion_readings(limit=limit))

    def get_conversation_emotions(conversation_id: str) -> str:
        """Get the emotion readings of one of this customer's conversations, in order
        (the emotional trajectory of that conversation)."""
        return _json(scope.conversation_readings(conversation_id))

    return [
        _tool("get_customer_profile", get_customer_profile, NoArguments),
        _tool("list_orders", list_orders, LimitArguments),
        _tool("get_order", get_order, OrderArguments),
        _tool("list_invoices", list_invoices, InvoiceListArguments),
        _tool("get_invoice", get_invoice, InvoiceArguments),
        _tool("list_open_tickets", list_open_tickets, NoArguments),
        _tool("get_ticket", get_ticket, TicketArguments),
        _tool("get_conversation_history", get_conversation_history, HistoryArguments),
        _tool("get_emotion_history", get_emotion_history, LimitArguments),
        _tool("get_conversation_emotions", get_conversation_emotions, ConversationArguments),
    ]
