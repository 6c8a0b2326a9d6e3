"""The one process under load: sign-ins side by side, and the app's reads while drafts run.

    python -m bench.web [--agents 4] [--repeat 20]

Over the real application served by uvicorn on loopback (sign-in page, sessions, Gradio's
queue, the real stores, Chroma with the packaged documents), with a scripted model whose
drafts stream slowly (one word every `--word-s` seconds), as a CPU model does. Medians and
p95 of the same run:

1. sign-in (one scrypt check each): one at a time, then 8 at once; the throughput shows
   whether sign-ins run side by side (no global lock) or one after the other;
2. opening a conversation and reading the queue through the app's own queue endpoint,
   with nothing else running, then while `--agents` agents each have a draft streaming;
3. what a session or a token costs a request: `/auth/session` and `/api/v1/handoffs`
   against `/healthz`.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from agents.llm.client import LLMClient
from agents.services.accounts import DEMO_PASSWORD, seed_demo_accounts
from agents.services.root import Overrides, Root
from agents.support.schemas import InboundMessage
from bench.common import bench_settings, free_port
from bench.support import InstantChatModel
from tools.crm.seed import seed_demo
from web.app import create_app
from web.serve import start

CALM = "Bonjour, pouvez-vous me dire où en est ma commande ? Merci."
DRAFT_WORDS = 60


class SlowDraftModel(InstantChatModel):
    """Assesses at once; streams its drafts one word every `word_s` seconds."""

    word_s: float = 0.2

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if "response_format" in kwargs:  # the assessment: at once
            yield from super()._stream(messages, stop, run_manager, **kwargs)
            return
        for index in range(DRAFT_WORDS):
            time.sleep(self.word_s)
            piece = ("Bonjour" if index == 0 else " mot") + (
                "." if index == DRAFT_WORDS - 1 else ""
            )
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


def quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


class Page:
    """One signed-in browser tab: its cookie and its page session on the queue."""

    def __init__(self, url: str, email: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=120)
        form = {"email": email, "password": DEMO_PASSWORD, "lang": "fr"}
        assert self.client.post("/signin", data=form).status_code == 303
        self.session_hash = uuid.uuid4().hex[:12]
        self.config = self.client.get("/config").json()

    def event(self, fn_index: int, data: list[Any]) -> dict[str, Any]:
        body = {
            "data": data,
            "fn_index": fn_index,
            "session_hash": self.session_hash,
            "event_data": None,
            "trigger_id": None,
        }
        assert self.client.post("/gradio_api/queue/join", json=body).status_code == 200
        params = {"session_hash": self.session_hash}
        with self.client.stream("GET", "/gradio_api/queue/data", params=params) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:") and '"process_completed"' in line:
                    return {"done": line}
        raise RuntimeError("the event did not complete")


def handler(app: Any, name: str) -> int:
    [index] = [i for i, fn in app.state.page.fns.items() if fn.fn is not None and fn.name == name]
    return int(index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=4, help="drafts streaming at once")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--word-s", type=float, default=0.2, help="seconds per drafted word")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = bench_settings(Path(folder), demo_mode=True, _env_file=None)
        model = SlowDraftModel(word_s=args.word_s)
        root = Root(settings, Overrides(llm=LLMClient(settings, model)))
        seed_demo(root.store, customers=30)
        seed_demo_accounts(root.accounts)
        root.knowledge.search("colis")  # index the packaged documents before timing
        app = create_app(root.workspace)
        running = start(app, "127.0.0.1", free_port())
        try:
            run(args, root, model, app, running.url)
        finally:
            running.stop()
            root.close()


def run(args: argparse.Namespace, root: Root, model: SlowDraftModel, app: Any, url: str) -> None:
    # 1. Sign-ins, one at a time and eight at once.
    form = {"email": "agent@demo", "password": DEMO_PASSWORD, "lang": "fr"}

    def sign_in() -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            assert client.post("/signin", data=form).status_code == 303

    def bare_scrypt(_: object = None) -> None:
        hashlib.scrypt(b"x" * 13, salt=b"s" * 16, n=2**14, r=8, p=1, dklen=32)

    def rate(work: Callable[[object], object], count: int) -> float:
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(work, range(count)))
        return count / (time.perf_counter() - started)

    alone = [timed(sign_in) for _ in range(args.repeat)]
    count = 8 * max(1, args.repeat // 4)
    together: list[float] = []
    signed_rate = rate(lambda _: together.append(timed(sign_in)), count)
    hash_rate = rate(bare_scrypt, count)
    p50_alone, p95_alone = quantiles(alone)
    p50_together, p95_together = quantiles(together)
    print(f"sign-in alone: p50 {p50_alone:.0f} ms, p95 {p95_alone:.0f} ms")
    print(
        f"sign-in 8 at once: p50 {p50_together:.0f} ms, p95 {p95_together:.0f} ms; "
        f"{signed_rate:.1f} sign-ins/s against {hash_rate:.1f} bare scrypt checks/s on 8 "
        f"threads (ratio {signed_rate / hash_rate:.2f}; the hash releases the GIL, so the "
        "rate is the cores')"
    )

    # 2. Reads through the queue, idle and while drafts stream.
    ws = root.workspace
    pending = ws.store.open_conversation("C00002", channel="email", subject="Commande")
    model.word_s, word_s = 0.0, model.word_s  # the draft to open is written at once
    assert ws.support.submit(InboundMessage(conversation_id=pending, text=CALM)).outcome == (
        "awaiting_approval"
    )
    model.word_s = word_s
    reader = Page(url, "admin@demo")
    open_page, refresh = handler(app, "open_page"), handler(app, "refresh_queue")
    select, send = handler(app, "select"), handler(app, "submit_inbound")
    reader.event(open_page, [])
    reader.event(refresh, ["Français", None])

    def reads() -> tuple[list[float], list[float]]:
        opened = [
            timed(lambda: reader.event(select, ["Français", pending])) for _ in range(args.repeat)
        ]
        queued = [
            timed(lambda: reader.event(refresh, ["Français", pending])) for _ in range(args.repeat)
        ]
        return opened, queued

    reads()  # warm: the first calls of each event pay for what is loaded once
    idle_open, idle_queue = reads()
    writers = [Page(url, "agent@demo") for _ in range(args.agents)]
    for writer in writers:
        writer.event(open_page, [])
    customers = [f"C{n:05d}" for n in range(3, 3 + args.agents)]
    drafting = [
        threading.Thread(
            target=writer.event, args=(send, ["Français", customer, "email", "Commande", CALM])
        )
        for writer, customer in zip(writers, customers, strict=True)
    ]
    for thread in drafting:
        thread.start()
    time.sleep(2 * args.word_s + 1.0)  # the drafts are streaming now
    busy_open, busy_queue = reads()
    still = sum(thread.is_alive() for thread in drafting)
    for thread in drafting:
        thread.join()
    for name, idle, busy in (
        ("open a conversation", idle_open, busy_open),
        ("read the queue", idle_queue, busy_queue),
    ):
        (i50, i95), (b50, b95) = quantiles(idle), quantiles(busy)
        print(
            f"{name}: idle p50 {i50:.0f} ms / p95 {i95:.0f} ms; with {args.agents} drafts "
            f"streaming p50 {b50:.0f} ms / p95 {b95:.0f} ms (ratio {b50 / i50:.2f})"
        )
    print(f"drafts still streaming when the reads ended: {still} of {args.agents}")

    # 3. What a session and a token cost a request.
    token, _ = ws.tokens.create(f"bench-{uuid.uuid4().hex[:6]}", "agent")
    with httpx.Client(base_url=url) as client:
        health = [timed(lambda: client.get("/healthz")) for _ in range(args.repeat)]
    session = [timed(lambda: reader.client.get("/auth/session")) for _ in range(args.repeat)]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as bot:
        api = [timed(lambda: bot.get("/api/v1/handoffs")) for _ in range(args.repeat)]
    h50, s50, a50 = (statistics.median(v) for v in (health, session, api))
    print(
        f"/healthz p50 {h50:.1f} ms; /auth/session (a session looked up) {s50:.1f} ms; "
        f"/api/v1/handoffs with a token {a50:.1f} ms"
    )


if __name__ == "__main__":
    main()
