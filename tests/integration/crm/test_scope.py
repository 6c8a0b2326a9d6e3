"""Cross-customer access is refused by the store layer, for every read.

Runs on SQLite and PostgreSQL over a seeded demo company. The "foreign" ids are every
record of the database that is not the scoped customer's: real ids of other customers,
including the neighbours of the customer's own ids (what a model would guess).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from tools.crm.errors import AccessDeniedError, CustomerNotFoundError, RecordNotFoundError
from tools.crm.models import (
    Conversation,
    Customer,
    EmotionReadingRow,
    Invoice,
    Message,
    Order,
    Ticket,
)
from tools.crm.scope import CustomerScope
from tools.crm.store import CRMStore

ID_READS: dict[str, tuple[Callable[[CustomerScope, Any], object], Any]] = {
    # read -> (the call, the model whose ids it takes)
    "order": (lambda scope, record_id: scope.order(record_id), Order),
    "invoice": (lambda scope, record_id: scope.invoice(record_id), Invoice),
    "ticket": (lambda scope, record_id: scope.ticket(record_id), Ticket),
    "conversation_readings": (
        lambda scope, record_id: scope.conversation_readings(record_id),
        Conversation,
    ),
}
LIST_READS: dict[str, tuple[Callable[[CustomerScope], list[Any]], Any]] = {
    # read -> (the call, the model of what it returns)
    "profile": (lambda scope: [scope.profile()], Customer),
    "orders": (lambda scope: scope.orders(limit=20), Order),
    "invoices": (lambda scope: scope.invoices(limit=24), Invoice),
    "open tickets": (lambda scope: scope.tickets(open_only=True), Ticket),
    "conversations": (lambda scope: scope.conversations(limit=10), Conversation),
    "emotion readings": (lambda scope: scope.emotion_readings(limit=20), EmotionReadingRow),
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
    """The customer with the most records of every kind (so every read has data)."""
    with store.reading() as session:
        best, best_score = None, -1
        for customer_id in session.scalars(select(Customer.id)):
            kinds = [Order, Invoice, Ticket, Conversation, EmotionReadingRow]
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
    assert {r.id for r in readings} == set(_ids(seeded_store, EmotionReadingRow, owner=owner))
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


def test_scope_reads_take_no_customer_argument(seeded_store: CRMStore, owner: str) -> None:
    scope = seeded_store.scope(owner)
    reads = [
        (name, member)
        for name, member in inspect.getmembers(scope, inspect.ismethod)
        if not name.startswith("_")
    ]
    assert {"order", "orders", "emotion_readings", "context"} <= {name for name, _ in reads}
    for name, read in reads:
        assert not [p for p in inspect.signature(read).parameters if "customer" in p], name
    other = next(c for c in _ids(seeded_store, Customer) if c != owner)
    with pytest.raises(TypeError):
        scope.orders(customer_id=other)  # type: ignore[call-arg]


@pytest.mark.parametrize("read_name", sorted(ID_READS))
def test_a_refusal_names_no_one_and_reads_like_a_missing_record(
    seeded_store: CRMStore, owner: str, read_name: str
) -> None:
    read, model = ID_READS[read_name]
    scope = seeded_store.scope(owner)
    foreign = _ids(seeded_store, model, owner=owner, others=True)
    with seeded_store.reading() as session:
        foreign_names = {
            c.last_name for c in session.scalars(select(Customer).where(Customer.id != owner))
        }
    refusals = []
    for record_id in foreign:
        with pytest.raises(AccessDeniedError) as refused:
            read(scope, record_id)
        refusals.append(str(refused.value))
        assert not any(name in refusals[-1] for name in foreign_names), refusals[-1]
    # A made-up id gets the very same message: what it says cannot tell what exists.
    with pytest.raises(RecordNotFoundError) as missing:
        read(scope, "CMD-999999")
    assert str(missing.value).replace("CMD-999999", "X") == refusals[0].replace(
        str(foreign[0]), "X"
    )


@pytest.mark.parametrize("read_name", sorted(LIST_READS))
def test_list_reads_return_only_the_customers_records(
    seeded_store: CRMStore, owner: str, read_name: str
) -> None:
    read, model = LIST_READS[read_name]
    items = read(seeded_store.scope(owner))
    assert items, f"{read_name} returned nothing for the busiest customer"
    own = set(_ids(seeded_store, model, owner=owner)) if model is not Customer else {owner}
    for item in items:
        assert item.id in own
    if read_name == "conversations":
        own_messages = set(_ids(seeded_store, Message, owner=owner))
        for conversation in items:
            assert {m.id for m in conversation.messages} <= own_messages


def test_conversation_readings_come_in_order(seeded_store: CRMStore, owner: str) -> None:
    scope = seeded_store.scope(owner)
    for conversation in scope.conversations(limit=20):
        readings = scope.conversation_readings(conversation.id)
        times = [r.created_at for r in readings]
        assert times == sorted(times)
        customer_messages = {m.id for m in conversation.messages if m.author == "customer"}
        assert {r.message_id for r in readings} <= customer_messages
