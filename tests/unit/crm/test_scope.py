"""The customer scope as the support graph meets it: one customer's file, nothing else.

Another customer's order is refused with a message that names only the order, the
customer's own data still flows, and no read takes a customer id.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.crm.errors import AccessDeniedError
from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> CRMStore:
    folder: Path = tmp_path_factory.mktemp("crm")
    crm = CRMStore.from_url(f"sqlite:///{folder / 'crm.db'}")
    seed_demo(crm, customers=20, seed=9)
    return crm


def _customer_with_orders(store: CRMStore, *, not_: str | None = None) -> str:
    for profile in store.list_customers(limit=20):
        if profile.id != not_ and store.scope(profile.id).orders():
            return profile.id
    raise AssertionError("the seeded company should have customers with orders")


def test_another_customers_order_is_refused_and_the_customers_own_is_read(
    store: CRMStore,
) -> None:
    me = _customer_with_orders(store)
    other = _customer_with_orders(store, not_=me)
    my_order = store.scope(me).orders()[0].id
    their_order = store.scope(other).orders()[0].id
    scope = store.scope(me)
    with pytest.raises(AccessDeniedError) as refused:
        scope.order(their_order)
    assert their_order in str(refused.value)  # it names what it refused, nothing more
    assert other not in str(refused.value)
    assert store.find_customer(other).last_name not in str(refused.value)
    assert scope.order(my_order).id == my_order
    with pytest.raises(TypeError):
        scope.orders(limit=5, customer_id=other)  # type: ignore[call-arg]


def test_context_gathers_the_customers_file_without_the_current_conversation(
    store: CRMStore,
) -> None:
    me = _customer_with_orders(store)
    scope = store.scope(me)
    current = store.open_conversation(me, channel="chat", subject="Nouvelle demande")
    context = scope.context(current_conversation=current)
    assert context.profile.id == me
    assert current not in {c.id for c in context.past_conversations}
    assert all(i.status in ("due", "overdue", "disputed") for i in context.unpaid_invoices)
    assert [o.id for o in context.recent_orders] == [o.id for o in scope.orders(limit=3)]
    assert all(r.reading.label for r in context.recent_readings)
