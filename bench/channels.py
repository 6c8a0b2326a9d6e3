"""The Chatwoot channel under load: how fast a webhook is acknowledged, and how long from a
customer's message to a draft waiting for approval.

    python -m bench.channels [--count 30] [--burst 20] [--real]

Over the real application served by uvicorn on loopback, its embedded turn and delivery
workers, SQLite, the packaged knowledge base in Chroma and the fast emotion reader, with the
Chatwoot simulator (`evals/simulators/chatwoot.py`) sending signed webhooks as Chatwoot
does. Medians and p95 of the same run:

1. webhook acknowledgement, one message at a time (nothing else running);
2. webhook acknowledgement of `--burst` messages sent at once, while the workers draft;
3. inbound → draft ready (the draft waits for approval), one at a time, with an instant
   scripted model (the pipeline's own cost), then with the real vLLM server when `--real`
   is given or when one answers at `RESSENTI_LLM_BASE_URL`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from bench.common import bench_settings, free_port
from bench.support import InstantChatModel
from evals.simulators.chatwoot import ChatwootSimulator, SimConversation
from tools.crm.seed import seed_demo
from web.app import create_app
from web.serve import start

TOKEN, SECRET = "bench-token", "bench-secret"
CUSTOMERS = 60
TEXT = "Bonjour, est-ce que je peux avoir une eSIM à la place de ma carte SIM ?"
"""A question the packaged knowledge base answers, so that the turn ends on a draft."""


def quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def real_server_up(settings: Settings) -> bool:
    try:
        return httpx.get(f"{settings.llm_base_url}/models", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


class Bench:
    """One app, one simulator, one model; `ack` and `draft_ready` measure."""

    def __init__(self, folder: Path, model: BaseChatModel | None, real: Settings | None) -> None:
        self.simulator = ChatwootSimulator(token=TOKEN, secret=SECRET).start()
        overrides: dict[str, Any] = {
            "chatwoot_base_url": self.simulator.url,
            "chatwoot_api_token": SecretStr(TOKEN),
            "chatwoot_webhook_secret": SecretStr(SECRET),
            "worker_poll_s": 0.05,
        }
        if real is not None:  # the real server: its URL and model name, and a profile
            # under which the model drafts (the embedded one's own asks it nothing)
            overrides |= {
                "llm_base_url": real.llm_base_url,
                "llm_model": real.llm_model,
                "llm_profile": "cautious",
            }
            self.settings = Settings(data_dir=folder, runtime_dir=real.runtime_path, **overrides)
        else:
            self.settings = bench_settings(folder, **overrides)
        llm = LLMClient(self.settings, model) if model is not None else None
        self.root = Root(self.settings, Overrides(llm=llm))
        seed_demo(self.root.store, customers=CUSTOMERS)
        self.root.knowledge.search("colis")  # index the packaged documents before timing
        # one customer a conversation: a customer's earlier contacts count as repeated
        # contacts, which the rules hand to a person from the third one
        self.customers = [
            self.root.store.find_customer(f"C{n:05d}") for n in range(1, CUSTOMERS + 1)
        ]
        self.outcomes: dict[str, int] = {}
        workspace = self.root.workspace
        self.running = start(create_app(workspace), "127.0.0.1", free_port())
        workspace.start()
        self.simulator.webhook_url = f"{self.running.url}/api/v1/channels/chatwoot/webhook"

    def close(self) -> None:
        self.running.stop()
        self.root.close()
        self.simulator.stop()

    def conversation(self) -> SimConversation:
        number = len(self.simulator.conversations) + 1
        customer = self.customers[(number - 1) % len(self.customers)]
        return self.simulator.conversation(
            name=customer.full_name, email=customer.email, number=number
        )

    def ack(self, conversation: SimConversation) -> tuple[float, str]:
        """Milliseconds until the webhook was answered, and Ressenti's conversation id."""
        started = time.perf_counter()
        answer = self.simulator.customer_says(conversation, TEXT)
        elapsed = (time.perf_counter() - started) * 1000
        assert answer.status_code == 202, answer.text
        return elapsed, str(answer.json()["conversation_id"])

    def settle(self, conversation_ids: list[str], timeout_s: float = 600.0) -> None:
        """Waits for every turn of these conversations to end (a draft, or a person)."""
        deadline = time.monotonic() + timeout_s
        for conversation_id in conversation_ids:
            while self.root.support.conversation_state(conversation_id)[0] not in (
                "awaiting_approval",
                "with_human",
            ):
                if time.monotonic() > deadline:
                    return
                time.sleep(0.05)

    def draft_ready(self, timeout_s: float = 600.0) -> tuple[float, float]:
        """One message: (acknowledgement ms, inbound → turn settled ms): the draft waits
        for approval, or the conversation went to a person (counted in `outcomes`)."""
        started = time.perf_counter()
        ack_ms, conversation_id = self.ack(self.conversation())
        deadline = time.monotonic() + timeout_s
        while True:
            state, _ = self.root.support.conversation_state(conversation_id)
            if state in ("awaiting_approval", "with_human"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"turn not settled after {timeout_s} s (state {state})")
            time.sleep(0.01)
        self.outcomes[state] = self.outcomes.get(state, 0) + 1
        return ack_ms, (time.perf_counter() - started) * 1000


def measure(label: str, bench: Bench, count: int, burst: int) -> None:
    bench.draft_ready()  # warm: the first turn pays for what is loaded once
    runs = [bench.draft_ready() for _ in range(count)]
    acks, ready = [a for a, _ in runs], [r for _, r in runs]
    a50, a95 = quantiles(acks)
    r50, r95 = quantiles(ready)
    print(f"[{label}] webhook acknowledged, one at a time: p50 {a50:.1f} ms, p95 {a95:.1f} ms")
    seen = ", ".join(f"{n} {state}" for state, n in sorted(bench.outcomes.items()))
    print(
        f"[{label}] inbound → draft ready or handed off: p50 {r50:.0f} ms, p95 {r95:.0f} ms "
        f"({count} turns and the warm-up: {seen})"
    )
    if burst:
        conversations = [bench.conversation() for _ in range(burst)]
        with ThreadPoolExecutor(8) as pool:
            acked = list(pool.map(bench.ack, conversations))
        busy = [ms for ms, _ in acked]
        bench.settle([conversation_id for _, conversation_id in acked])
        b50, b95 = quantiles(busy)
        print(
            f"[{label}] webhook acknowledged, {burst} sent at once while the workers draft: "
            f"p50 {b50:.1f} ms, p95 {b95:.1f} ms (ratio to one at a time {b50 / a50:.2f}; "
            "Chatwoot gives up after 5000 ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=30, help="turns timed one at a time")
    parser.add_argument("--burst", type=int, default=20, help="webhooks sent at once")
    parser.add_argument("--real", action="store_true", help="also with the real vLLM server")
    parser.add_argument("--real-count", type=int, default=3, help="turns with the real server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(Path(folder) / "instant", InstantChatModel(), None)
        try:
            measure("instant model", bench, args.count, args.burst)
        finally:
            bench.close()
        configured = Settings()
        if args.real or real_server_up(configured):
            if not real_server_up(configured):
                print(
                    f"[real server] not answering at {configured.llm_base_url}: "
                    "start it with `ressenti llm serve`"
                )
                return
            bench = Bench(Path(folder) / "real", None, configured)
            try:
                measure(f"real server {configured.llm_model}", bench, args.real_count, 0)
            finally:
                bench.close()
        else:
            print("[real server] not running: skipped (`ressenti llm serve`, or --real)")


if __name__ == "__main__":
    main()
