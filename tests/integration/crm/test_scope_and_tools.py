"""Cross-customer access is refused by the store layer, for every read and every tool.

Runs on SQLite and PostgreSQL over a seeded demo company. The "foreign" ids are every
record of the database that is not the scoped customer's: real ids of other customers,
including the neighbours of the customer's own ids (what a model would guess).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from tools.crm.errors import AccessDeniedError, CustomerNotFoundError, RecordNotFoundError
from tools.crm.models import (
    Conversation,
    Customer,
    EmotionReading,
    Invoice,
    Message,
    Order,
    Ticket,
)
from tools.crm.scope import CustomerScope
from tools.crm.store import CRMStore
from tools.crm.tools import build_read_tools

ID_TOOLS: dict[str, tuple[str, Any]] = {
    # tool name -> (argument name, model whose ids it takes)
    "get_order": ("order_id", Order),
    "get_invoice": ("invoice_id", Invoice),
    "get_ticket": ("ticket_id", Ticket),
    "get_conversation_emotions": ("conversation_id", Conversation),
}
LIST_TOOLS = {
    "get_customer_profile": {},
    "list_orders": {"limit": 20},
    "list_invoices": {"limit": 24},
    "list_open_tickets": {},
    "get_conversation_history": {"limit": 10},
    "get_emotion_history": {"limit": 20},
}

LIST_MODELS: dict[str, Any] = {
    "get_customer_profile": Customer,
    "list_orders": Order,
    "list_invoices": Invoice,
    "list_open_tickets": Ticket,
    "get_conversation_history": Conversation,
    "get_emotion_history": EmotionReading,
}


def _ids(
    store: CRMStore, model: Any, *, owner: str | None = None, others: bool = False
) -> list[Any]:
    query = select(model.id)
    if owner is not None:
        column = model.customer_id
        query = query.where(column != owner if others else column == owner)
    with store.reading() as session:
        return sorted(session.scalars(query))


def _busiest_customer(store: CRMStore) -> str:
    """The customer with the most records of every kind (so every tool has data)."""
    with store.reading() as session:
        best, best_score = None, -1
        for customer_id in session.scalars(select(Customer.id)):
            kinds = [Order, Invoice, Ticket, Conversation, EmotionReading]
            counts = [
                len(session.scalars(select(m.id).where(m.customer_id == customer_id)).all())
                for m in kinds
            ]
            score = min(counts) * 100 + sum(counts)
            if score > best_score:
                best, best_score = customer_id, score
    assert best is not None
    return best


@pytest.fixture(scope="module")
def owner(seeded_store: CRMStore) -> str:
    return _busiest_customer(seeded_store)


def test_scope_reads_only_the_customers_own_records(seeded_store: CRMStore, owner: str) -> None:
    scope = seeded_store.scope(owner)
    assert scope.profile().id == owner
    assert {o.id for o in scope.orders(limit=100)} == set(_ids(seeded_store, Order, owner=owner))
    assert {i.id for i in scope.invoices(limit=100)} == set(
        _ids(seeded_store, Invoice, owner=owner)
    )
    assert {t.id for t in scope.tickets(open_only=False)} == set(
        _ids(seeded_store, Ticket, owner=owner)
    )
    assert {c.id for c in scope.conversations(limit=100)} == set(
        _ids(seeded_store, Conversation, owner=owner)
    )
    readings = scope.emotion_readings(limit=1000)
    assert {r.id for r in readings} == set(_ids(seeded_store, EmotionReading, owner=owner))
    assert readings, "the chosen customer should have readings"


@pytest.mark.parametrize(
    ("read", "model"),
    [
        (lambda scope, record_id: scope.order(record_id), Order),
        (lambda scope, record_id: scope.invoice(record_id), Invoice),
        (lambda scope, record_id: scope.ticket(record_id), Ticket),
        (lambda scope, record_id: scope.conversation(record_id), Conversation),
        (lambda scope, record_id: scope.conversation_readings(record_id), Conversation),
        (lambda scope, record_id: scope.message(record_id), Message),
    ],
    ids=["order", "invoice", "ticket", "conversation", "conversation_readings", "message"],
)
def test_every_foreign_id_is_refused_by_the_scope(
    seeded_store: CRMStore,
    owner: str,
    read: Callable[[CustomerScope, Any], object],
    model: Any,
) -> None:
    scope = seeded_store.scope(owner)
    foreign = _ids(seeded_store, model, owner=owner, others=True)
    assert len(foreign) > 10
    for record_id in foreign:
        with pytest.raises(AccessDeniedError):
            read(scope, record_id)
    # Its own records are readable through the very same call.
    for record_id in _ids(seeded_store, model, owner=owner):
        read(scope, record_id)
    missing: Any = 10**9 if model is Message else "NOPE-000000"
    with pytest.raises(RecordNotFoundError):
        read(scope, missing)


def test_unknown_customer_cannot_be_scoped(seeded_store: CRMStore) -> None:
    with pytest.raises(CustomerNotFoundError):
        seeded_store.scope("C99999")


def test_tool_schemas_take_no_customer_argument(seeded_store: CRMStore, owner: str) -> None:
    tools = build_read_tools(seeded_store, owner)
    assert {t.name for t in tools} == set(ID_TOOLS) | set(LIST_TOOLS) | {
        "list_orders",
        "get_emotion_history",
    }
    for tool in tools:
        assert isinstance(tool.args_schema, type)
        schema = tool.args_schema.model_json_schema()
        properties = schema.get("properties", {})
        assert not [name for name in properties if "customer" in name.lower()], tool.name
        assert schema.get("additionalProperties") is False, tool.name
        assert len(tool.description) > 40, tool.name


@pytest.mark.parametrize("tool_name", sorted(ID_TOOLS))
def test_id_tools_refuse_every_foreign_id(
    seeded_store: CRMStore, owner: str, tool_name: str
) -> None:
    tool = next(t for t in build_read_tools(seeded_store, owner) if t.name == tool_name)
    argument, model = ID_TOOLS[tool_name]
    own = _ids(seeded_store, model, owner=owner)
    foreign = _ids(seeded_store, model, owner=owner, others=True)
    with seeded_store.reading() as session:
        foreign_names = {
            c.last_name for c in session.scalars(select(Customer).where(Customer.id != owner))
        }
    for record_id in foreign:
        answer = tool.invoke({argument: record_id})
        assert answer.startswith("REFUSED:"), (record_id, answer)
        assert not any(name in answer for name in foreign_names)
    # A made-up id gets the very same refusal: the model cannot probe what exists.
    made_up = tool.invoke({argument: "CMD-999999"})
    assert made_up.replace("CMD-999999", "X") == tool.invoke({argument: foreign[0]}).replace(
        foreign[0], "X"
    )
    for record_id in own:
        assert not tool.invoke({argument: record_id}).startswith("REFUSED")


@pytest.mark.parametrize("tool_name", sorted(ID_TOOLS) + sorted(LIST_TOOLS))
def test_tools_refuse_a_customer_id_argument(
    seeded_store: CRMStore, owner: str, tool_name: str
) -> None:
    tool = next(t for t in build_read_tools(seeded_store, owner) if t.name == tool_name)
    other = next(c for c in _ids(seeded_store, Customer) if c != owner)
    arguments: dict[str, Any] = dict(LIST_TOOLS.get(tool_name, {}))
    if tool_name in ID_TOOLS:
        argument, model = ID_TOOLS[tool_name]
        arguments[argument] = (
            _ids(seeded_store, model, owner=other)[0]
            if _ids(seeded_store, model, owner=other)
            else "X"
        )
    answer = tool.invoke({**arguments, "customer_id": other})
    other_email = seeded_store.find_customer(other).email
    assert other not in answer.replace("customer_id", "")
    assert other_email not in answer
    assert isinstance(tool.args_schema, type)
    if tool.args_schema.model_fields:
        assert answer.startswith("REFUSED: invalid arguments"), answer
    else:
        # LangChain skips validation for tools without arguments: the extra argument is
        # dropped, and the answer is still about the scoped customer only.
        payload = json.loads(answer)
        items = payload if isinstance(payload, list) else [payload]
        model = LIST_MODELS[tool_name]
        own = {owner} if model is Customer else set(_ids(seeded_store, model, owner=owner))
        assert all(item["id"] in own for item in items)


@pytest.mark.parametrize("tool_name", sorted(LIST_TOOLS))
def test_list_tools_return_only_the_customers_records(
    seeded_store: CRMStore, owner: str, tool_name: str
) -> None:
    tool = next(t for t in build_read_tools(seeded_store, owner) if t.name == tool_name)
    payload = json.loads(tool.invoke(LIST_TOOLS[tool_name]))
    items = payload if isinstance(payload, list) else [payload]
    assert items, f"{tool_name} returned nothing for the busiest customer"
    model = LIST_MODELS[tool_name]
    own = set(_ids(seeded_store, model, owner=owner)) if model is not Customer else {owner}
    for item in items:
        assert item["id"] in own
    if tool_name == "get_conversation_history":
        own_messages = set(_ids(seeded_store, Message, owner=owner))
        for conversation in items:
            assert {m["id"] for m in conversation["messages"]} <= own_messages


def test_conversation_readings_come_in_order(seeded_store: CRMStore, owner: str) -> None:
    scope = seeded_store.scope(owner)
    for conversation in scope.conversations(limit=20):
        readings = scope.conversation_readings(conversation.id)
        times = [r.created_at for r in readings]
        assert times == sorted(times)
        customer_messages = {m.id for m in conversation.messages if m.author == "customer"}
        assert {r.message_id for r in readings} <= customer_messages
