"""CRM store costs on a SQLite file: seeding the demo company, and the latency of the
agent's read tools (what `load_context` pays per turn).

    python -m bench.crm [--customers 200] [--repeat 50]

Prints medians of the same run; the scoped tool call is compared with an unscoped lookup
of the same row, to show what the scope check costs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path

from sqlalchemy import select

from agents.core.config import Settings
from agents.services.root import Root
from bench.common import median_ms
from tools.crm.models import Order
from tools.crm.seed import seed_demo
from tools.crm.tools import build_read_tools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Root(Settings(data_dir=Path(folder), _env_file=None))
        store = root.store
        start = time.perf_counter()
        report = seed_demo(store, customers=args.customers)
        seed_s = time.perf_counter() - start
        print(f"seed {args.customers} customers: {seed_s:.2f} s ({report.counts})")

        customer = "C00006"
        tools = {tool.name: tool for tool in build_read_tools(store, customer)}
        order_id = store.scope(customer).orders()[0].id

        def unscoped() -> object:
            with store.reading() as session:
                return session.scalars(select(Order).where(Order.id == order_id)).first()

        baseline = median_ms(unscoped, args.repeat)
        print(f"{'unscoped lookup of one order (baseline)':45s} {baseline:7.2f} ms")
        calls: dict[str, dict[str, object]] = {
            "get_order": {"order_id": order_id},
            "get_order (foreign id, refused)": {"order_id": "CMD-100001"},
            "get_customer_profile": {},
            "list_orders": {},
            "list_invoices": {},
            "list_open_tickets": {},
            "get_conversation_history": {},
            "get_emotion_history": {},
        }
        for label, arguments in calls.items():
            tool = tools[label.split(" ")[0]]
            median = median_ms(partial(tool.invoke, arguments), args.repeat)
            print(f"{label:45s} {median:7.2f} ms  ({median / baseline:4.1f}x baseline)")
        root.close()


if __name__ == "__main__":
    main()
