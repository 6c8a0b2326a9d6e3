"""The read tools as a model meets them: tool calls through LangGraph's ToolNode.

A scripted AI message asks for another customer's order and passes a customer id; the
tool messages that come back are refusals, and the customer's own data still flows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore
from tools.crm.tools import build_read_tools


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


def test_tool_calls_for_another_customer_come_back_refused(store: CRMStore) -> None:
    me = _customer_with_orders(store)
    other = _customer_with_orders(store, not_=me)
    my_order = store.scope(me).orders()[0].id
    their_order = store.scope(other).orders()[0].id
    builder = StateGraph(MessagesState)
    builder.add_node("tools", ToolNode(build_read_tools(store, me)))
    builder.add_edge(START, "tools")
    builder.add_edge("tools", END)
    graph = builder.compile()
    request = AIMessage(
        content="",
        tool_calls=[
            {"name": "get_order", "args": {"order_id": their_order}, "id": "call-1"},
            {"name": "get_order", "args": {"order_id": my_order}, "id": "call-2"},
            {
                "name": "list_orders",
                "args": {"limit": 5, "customer_id": other},
                "id": "call-3",
            },
        ],
    )
    result = graph.invoke({"messages": [request]})
    answers = {m.tool_call_id: m for m in result["messages"] if isinstance(m, ToolMessage)}
    assert answers["call-1"].content.startswith("REFUSED:")
    assert their_order in answers["call-1"].content  # it names what it refused, nothing more
    assert json.loads(answers["call-2"].content)["id"] == my_order
    assert answers["call-3"].content.startswith("REFUSED: invalid arguments")


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
