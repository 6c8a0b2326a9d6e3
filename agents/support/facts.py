"""The customer's record as the turn may state it: data at load, text in the turn's language.

`CRMContextSource` keeps the record as `CustomerFacts` (language-neutral values) in the
conversation's context; the graph writes it out with `facts_text(facts, lang)` once the
reply's language is known. The draft prompt, the draft check (which grounds figures on
this text) and the deep emotion reader all use that one rendering, so a figure the model
read in the record is a figure the check accepts. Labels and the formats of amounts and
dates are data: `prompts/templates/customer_facts.yaml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

import prompts
from agents.core.lang import Lang
from tools.crm.views import (
    ContractView,
    CustomerContext,
    CustomerProfile,
    DeliveryView,
    InvoiceView,
    OrderView,
    TicketView,
)


class CustomerFacts(BaseModel):
    """What the turn may state about the customer: profile, contracts, recent orders with
    their deliveries, unpaid invoices and open tickets."""

    model_config = ConfigDict(frozen=True)

    profile: CustomerProfile
    contracts: list[ContractView] = Field(default_factory=list)
    orders: list[OrderView] = Field(default_factory=list)
    unpaid_invoices: list[InvoiceView] = Field(default_factory=list)
    open_tickets: list[TicketView] = Field(default_factory=list)


def customer_facts(context: CustomerContext) -> CustomerFacts:
    """The facts part of the customer's context, as the store read it."""
    return CustomerFacts(
        profile=context.profile,
        contracts=context.contracts,
        orders=context.recent_orders,
        unpaid_invoices=context.unpaid_invoices,
        open_tickets=context.open_tickets,
    )


def _amount(cents: int, say: Mapping[str, str]) -> str:
    whole, part = divmod(abs(cents), 100)
    return say["amount"].format(sign="-" if cents < 0 else "", euros=whole, cents=f"{part:02d}")


def _date(value: date, say: Mapping[str, str]) -> str:
    return say["date"].format(date=value)


def _status(kind: str, value: str, say: Mapping[str, str]) -> str:
    """A status in words in the record's language; one the catalogue does not list, as stored."""
    return say.get(f"{kind}_{value}", value)


def _delivery(delivery: DeliveryView, say: Mapping[str, str]) -> str:
    promised = (
        say["promised"].format(date=_date(delivery.promised_on, say))
        if delivery.promised_on
        else ""
    )
    delivered = (
        say["delivered"].format(date=_date(delivery.delivered_on, say))
        if delivery.delivered_on
        else ""
    )
    status = _status("delivery", delivery.status, say)
    return say["delivery"].format(status=status, promised=promised, delivered=delivered)


def _order(order: OrderView, say: Mapping[str, str]) -> str:
    values = {
        "id": order.id,
        "placed_on": _date(order.placed_at, say),
        "status": _status("order", order.status, say),
        "total": _amount(order.total_cents, say),
    }
    if not order.deliveries:
        return say["order"].format(**values)
    deliveries = ", ".join(_delivery(d, say) for d in order.deliveries)
    return say["order_with_deliveries"].format(**values, deliveries=deliveries)


def order_text(order: OrderView, lang: Lang) -> str:
    """One order of the record as its line of `facts_text` (the handoff summary uses it)."""
    return _order(order, prompts.snippets("customer_facts")[lang])


def invoice_text(invoice: InvoiceView, lang: Lang) -> str:
    """One unpaid invoice of the record as its line of `facts_text`."""
    say = prompts.snippets("customer_facts")[lang]
    return say["invoice"].format(
        id=invoice.id,
        period=invoice.period,
        amount=_amount(invoice.amount_cents, say),
        status=_status("invoice", invoice.status, say),
        due_on=_date(invoice.due_on, say),
    )


def facts_text(facts: CustomerFacts, lang: Lang) -> str:
    """The record as short plain lines in `lang`, for the prompt and the draft check."""
    say = prompts.snippets("customer_facts")[lang]
    p = facts.profile
    lines = [
        say["customer"].format(
            id=p.id,
            first_name=p.first_name,
            last_name=p.last_name,
            segment=p.segment,
            language=p.language,
            since=_date(p.created_at, say),
        )
    ]
    lines += [
        say["contract"].format(
            id=c.id,
            offer=c.offer,
            kind=c.kind,
            price=_amount(c.monthly_price_cents, say),
            status=_status("contract", c.status, say),
        )
        for c in facts.contracts
    ]
    lines += [_order(order, say) for order in facts.orders]
    lines += [invoice_text(i, lang) for i in facts.unpaid_invoices]
    lines += [
        say["ticket"].format(
            id=t.id, category=t.category, status=_status("ticket", t.status, say), subject=t.subject
        )
        for t in facts.open_tickets
    ]
    return "\n".join(lines)
