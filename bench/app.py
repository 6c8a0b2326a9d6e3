"""What the app's own work costs, outside model calls: a sign-in (one scrypt check), the
dashboard's figures over the demo company, and the figure drawing.

    python -m bench.app [--customers 200] [--repeat 10]

Prints medians of the same run; the sign-in is compared with a bare `hashlib.scrypt` call
of the same cost, to show that the store round trip adds little to the hash itself.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import tempfile
from pathlib import Path

from agents.core.config import Settings
from agents.services.accounts import DEMO_PASSWORD, seed_demo_accounts
from agents.services.root import Root
from bench.common import median_ms
from tools.crm.seed import seed_demo
from ui import plots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Root(Settings(data_dir=Path(folder), _env_file=None))
        seed_demo(root.store, customers=args.customers)
        accounts = root.accounts
        seed_demo_accounts(accounts)

        sign_in = median_ms(lambda: accounts.authenticate("agent@demo", DEMO_PASSWORD), args.repeat)
        bare = median_ms(
            lambda: hashlib.scrypt(b"x" * 13, salt=b"s" * 16, n=2**14, r=8, p=1, dklen=32),
            args.repeat,
        )
        print(f"sign-in: {sign_in:.1f} ms; bare scrypt: {bare:.1f} ms; ratio {sign_in / bare:.2f}")

        figures = median_ms(root.dashboard, args.repeat)
        data = root.dashboard()
        readings = sum(sum(week.values()) for week in data.emotions_by_week.values())
        print(
            f"dashboard figures, {args.customers} customers / {readings} readings: {figures:.1f} ms"
        )

        def draw() -> None:
            figures = [
                plots.emotions_by_week(data.emotions_by_week, "fr"),
                plots.reasons(data.escalation_reasons, "fr"),
                *(
                    plots.per_group(data, name, title, "fr")
                    for name, title in (
                        ("end_valence", "plot_end_valence"),
                        ("effort", "plot_effort"),
                    )
                ),
            ]
            for figure in figures:  # rendered to PNG, as the page receives them
                figure.savefig(io.BytesIO(), format="png")

        print(f"drawing 4 dashboard figures as PNG: {median_ms(draw, args.repeat):.1f} ms")
        root.close()


if __name__ == "__main__":
    main()
