"""CRM store costs on a SQLite file: seeding the demo company, and the latency of the
customer-scoped reads (`CustomerScope`; `context` is what `load_context` pays per turn).

    python -m bench.crm [--customers 200] [--repeat 50]

Prints medians of the same run; each scoped read is compared with an unscoped lookup of
one order, to show what the scope check costs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from agents.core.config import Settings
from agents.services.root import Root
from bench.common import median_ms
from tools.crm.errors import ScopeError
from tools.crm.models import Order
from tools.crm.seed import seed_demo


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
        scope = store.scope(customer)
        order_id = scope.orders()[0].id

        def unscoped() -> object:
            with store.reading() as session:
                return session.scalars(select(Order).where(Order.id == order_id)).first()

        def refused() -> object:
            try:
                return scope.order("CMD-100001")
            except ScopeError as refusal:
                return refusal

        baseline = median_ms(unscoped, args.repeat)
        print(f"{'unscoped lookup of one order (baseline)':45s} {baseline:7.2f} ms")
        reads: dict[str, Callable[[], object]] = {
            "order": lambda: scope.order(order_id),
            "order (foreign id, refused)": refused,
            "profile": scope.profile,
            "orders": scope.orders,
            "invoices": scope.invoices,
            "open tickets": lambda: scope.tickets(open_only=True),
            "conversations": scope.conversations,
            "emotion readings": scope.emotion_readings,
            "context (what load_context reads)": scope.context,
        }
        for label, read in reads.items():
            median = median_ms(read, args.repeat)
            print(f"{label:45s} {median:7.2f} ms  ({median / baseline:4.1f}x baseline)")
        root.close()


if __name__ == "__main__":
    main()
