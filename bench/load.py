"""Many conversations at once: Ressenti's turns under load, against bare vLLM in the same run.

    python -m bench.load [--n 1,4,16,32] [--seconds 20] [--backend instant,server]
                         [--endpoint URL --model NAME] [--app sqlite,postgres --agents 1,4,16]

1. **Turns** (`--backend`): N conversations at once, each a loop of turns through the real
   service (Intake stores the message and queues the turn, the TurnWorker pool of N threads
   runs the graph over the real stores, the draft waits, `SupportService.decide` accepts
   it), for `--seconds` per N. Reports turns/min, p50/p95 time from the message to the first
   draft token and to the draft waiting for a decision, and p50 of the decision.
   - `instant`: a scripted model that answers at once: Ressenti's own ceiling.
   - `server`: the real vLLM server (`--endpoint`/`--model`; default the embedded server,
     started here). Every model call the turns made is recorded (a callback on the LLM
     client); the same prompts are then sent straight to the server with the `openai`
     client at the same concurrency (N streams, each one turn's calls in order): the bare
     throughput, and the ratio Ressenti/bare at each N.
   The HTTP API has no endpoint that receives a message on this base: turns enter through
   the service (the code path the channels use).
2. **Agents in the app** (`--app`): N agents signed in to the real app (uvicorn, sessions,
   Gradio's queue) each open a conversation whose draft waits and accept it, through the
   app's own queue endpoints, while a slow scripted model streams the next drafts; on
   SQLite and on PostgreSQL (a throwaway cluster started here). Reports p50/p95 of opening
   and of deciding, `database is locked` errors, and the process RSS at start and end.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import openai
from langchain_core.callbacks import BaseCallbackHandler, CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from openai.types.chat import ChatCompletionChunk

from agents.core.config import Settings
from agents.llm import server
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from agents.support.intake import InboundEnvelope
from agents.support.schemas import ApprovalDecision
from agents.support.worker import TurnResult
from bench.common import bench_settings, quantiles
from bench.support import MESSAGES, InstantChatModel
from tools.crm.seed import seed_demo

log = logging.getLogger("bench.load")


# --- the scripted models ---------------------------------------------------------------------
class PacedChatModel(InstantChatModel):
    """The instant model, paced: the assessment takes `assess_s`, the draft streams `words`
    words one every `word_s` seconds (0 and 0: instant). Reports each token to callbacks."""

    assess_s: float = 0.0
    word_s: float = 0.0
    words: int = 12

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if "response_format" in kwargs:
            if self.assess_s:
                time.sleep(self.assess_s)
            yield from super()._stream(messages, stop, run_manager, **kwargs)
            return
        for index in range(self.words):
            if self.word_s:
                time.sleep(self.word_s)
            piece = ("Bonjour" if index == 0 else " mot") + ("." if index == self.words - 1 else "")
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


# --- what the turns sent ---------------------------------------------------------------------
@dataclass
class Call:
    """One model call of a turn: when, and what was sent (to replay it)."""

    thread: str
    node: str
    started: float
    messages: list[dict[str, str]]
    params: dict[str, Any]
    first_token: float | None = None
    ended: float | None = None


ROLES = {"system": "system", "human": "user", "ai": "assistant"}
SENT_PARAMS = ("temperature", "max_tokens", "max_completion_tokens", "response_format")


class Recorder(BaseCallbackHandler):
    """Every chat-model call: its turn (the graph's thread), node, prompt and timings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: dict[UUID, Call] = {}

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        meta = metadata or {}
        sent = kwargs.get("invocation_params") or {}
        call = Call(
            thread=str(meta.get("thread_id", "")),
            node=str(meta.get("langgraph_node", "")),
            started=time.perf_counter(),
            messages=[
                {"role": ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages[0]
            ],
            params={k: sent[k] for k in SENT_PARAMS if sent.get(k) is not None},
        )
        with self._lock:
            self.calls[run_id] = call

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **_: Any) -> None:
        call = self.calls.get(run_id)
        if call is not None and call.first_token is None and token:
            call.first_token = time.perf_counter()

    def on_llm_end(self, response: Any, *, run_id: UUID, **_: Any) -> None:
        call = self.calls.get(run_id)
        if call is not None:
            call.ended = time.perf_counter()

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **_: Any) -> None:
        self.on_llm_end(None, run_id=run_id)

    def of_thread(self, thread: str) -> list[Call]:
        with self._lock:
            return sorted((c for c in self.calls.values() if c.thread == thread), key=_start)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()


def _start(call: Call) -> float:
    return call.started


# --- figures ---------------------------------------------------------------------------------
@dataclass
class Turn:
    received: float
    drafted: float
    decided: float
    outcome: str
    first_token: float | None
    thread: str


@dataclass
class Series:
    n: int
    seconds: float
    turns: list[Turn] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def per_min(self) -> float:
        return 60 * len(self.turns) / self.seconds if self.seconds else 0.0

    def ttft(self) -> tuple[float, float]:
        return quantiles([t.first_token - t.received for t in self.turns if t.first_token])

    def turn_time(self) -> tuple[float, float]:
        return quantiles([t.drafted - t.received for t in self.turns])

    def handed_off(self) -> int:
        return sum(1 for t in self.turns if t.outcome != "awaiting_approval")

    def decision(self) -> tuple[float, float]:
        return quantiles([t.decided - t.drafted for t in self.turns if t.decided > t.drafted])


# --- 1. turns through the service ------------------------------------------------------------
class _Finished:
    """Tells the waiting conversation when the worker stopped on its turn (a wrapper of the
    worker's `process`, so nothing polls the database)."""

    def __init__(self, worker: Any) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        inner: Callable[..., TurnResult] = worker.process

        def process(claim: Any, on_token: Any = None) -> TurnResult:
            result = inner(claim, on_token)
            self.event(claim.turn_id).set()
            return result

        worker.process = process

    def event(self, turn_id: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault(turn_id, threading.Event())


def service_series(
    root: Root, finished: _Finished, recorder: Recorder, n: int, seconds: float, first: int = 0
) -> Series:
    """N conversations at once for `seconds`, each receiving a message, waiting for its
    draft and accepting it, again and again, with a pool of N turn workers."""
    service = root.support
    settings = root.settings
    service.worker.settings = settings.model_copy(update={"worker_concurrency": n})
    recorder.reset()
    series = Series(n, seconds)
    lock = threading.Lock()
    conversations = [
        root.store.open_conversation(f"C{first + i + 1:05d}", channel="email", subject="bench")
        for i in range(n)
    ]
    service.worker.start()
    try:
        started = time.perf_counter()
        deadline = started + seconds

        def conversation(index: int, conversation_id: str) -> None:
            count = 0
            while time.perf_counter() < deadline:
                text = MESSAGES[(index + count) % len(MESSAGES)]
                count += 1
                received_at = time.perf_counter()
                try:
                    received = service.receive(
                        InboundEnvelope(
                            channel="email",
                            text=text,
                            conversation_id=conversation_id,
                            external_message_id=uuid.uuid4().hex,
                        )
                    )
                    if received.turn_id is None:
                        state = service.conversation_state(conversation_id)[0]
                        raise RuntimeError(f"no turn: the conversation is {state}")
                    turn_id = received.turn_id
                    if not finished.event(turn_id).wait(settings.llm_timeout_s * 4):
                        raise TimeoutError(f"turn {turn_id} did not stop in time")
                    drafted = time.perf_counter()
                    result = service.result(turn_id)
                    outcome = str(result.outcome)
                    decided = drafted
                    if result.outcome == "awaiting_approval" and result.interrupt_id:
                        service.decide(
                            conversation_id,
                            result.interrupt_id,
                            ApprovalDecision(action="accept", reviewer="bench@load"),
                            "bench@load",
                        )
                        decided = time.perf_counter()
                    elif service.conversation_state(conversation_id)[0] == "with_human":
                        service.give_back(conversation_id, "bench@load")  # handed off
                except Exception as exc:  # counted and shown: the run goes on
                    with lock:
                        series.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                draft_calls = [c for c in recorder.of_thread(turn_id) if c.node == "draft"]
                first = draft_calls[0].first_token if draft_calls else None
                with lock:
                    series.turns.append(
                        Turn(received_at, drafted, decided, outcome, first, turn_id)
                    )

        threads = [
            threading.Thread(target=conversation, args=(i, c), daemon=True)
            for i, c in enumerate(conversations)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        series.seconds = time.perf_counter() - started
    finally:
        service.worker.stop()
    return series


@contextlib.contextmanager
def turn_root(
    settings: Settings, llm: LLMClient, recorder: Recorder
) -> Iterator[tuple[Root, _Finished]]:
    """One composition root for every N of a backend, warmed by one turn (the emotion
    reader, the embedder and the stores load once, before anything is timed)."""
    with Root(settings, Overrides(llm=llm)) as root:
        finished = _Finished(root.support.worker)
        service_series(root, finished, recorder, 1, 0.1, first=customers.take(1))
        yield root, finished


# --- bare vLLM, the same prompts ------------------------------------------------------------
@dataclass
class Bare:
    n: int
    seconds: float
    turns: int
    ttft: list[float]
    errors: int

    @property
    def per_min(self) -> float:
        return 60 * self.turns / self.seconds if self.seconds else 0.0


def replay(settings: Settings, turns: list[list[Call]], n: int) -> Bare:
    """The recorded turns' calls sent straight to the server: N streams at once, each
    taking the next turn and sending its calls in their order."""
    client = openai.OpenAI(
        base_url=settings.llm_base_url, api_key=settings.llm_api_key, max_retries=0
    )
    queue = list(reversed(turns))
    lock = threading.Lock()
    ttft: list[float] = []
    errors = [0]

    def one(call: Call) -> None:
        started = time.perf_counter()
        first: float | None = None
        stream = client.chat.completions.create(
            model=settings.llm_model,
            messages=call.messages,  # type: ignore[arg-type]
            stream=True,
            **call.params,
        )
        for chunk in stream:
            if not isinstance(chunk, ChatCompletionChunk):
                continue
            if first is None and chunk.choices and chunk.choices[0].delta.content:
                first = time.perf_counter() - started
        if call.node == "draft" and first is not None:
            with lock:
                ttft.append(first)

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                calls = queue.pop()
            for call in calls:
                try:
                    one(call)
                except openai.OpenAIError:
                    with lock:
                        errors[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Bare(n, time.perf_counter() - started, len(turns), ttft, errors[0])


# --- printing --------------------------------------------------------------------------------
def print_series(label: str, series: Series, bare: Bare | None = None) -> None:
    t50, t95 = series.ttft()
    d50, d95 = series.turn_time()
    c50, _ = series.decision()
    line = (
        f"{label} N={series.n:>2}: {len(series.turns):>4} turns in {series.seconds:5.1f} s = "
        f"{series.per_min:7.1f} turns/min; first draft token p50 {t50:6.2f} s p95 {t95:6.2f} s; "
        f"turn (message → draft waiting) p50 {d50:6.2f} s p95 {d95:6.2f} s; "
        f"decision p50 {c50 * 1000:5.0f} ms; handed off {series.handed_off()}; "
        f"errors {len(series.errors)}"
    )
    if bare is not None:
        b50, b95 = quantiles(bare.ttft)
        ratio = series.per_min / bare.per_min if bare.per_min else float("nan")
        line += (
            f"\n      bare vLLM, same prompts, N={bare.n}: {bare.per_min:7.1f} turns/min "
            f"(first draft token p50 {b50:6.2f} s p95 {b95:6.2f} s, errors {bare.errors}); "
            f"Ressenti/bare {ratio:4.2f}"
        )
    print(line, flush=True)
    for error in sorted(set(series.errors))[:3]:
        print(f"      error: {error}", flush=True)


def print_ttft_growth(label: str, results: dict[int, Series]) -> None:
    if 1 in results and 16 in results:
        one, sixteen = results[1].ttft()[1], results[16].ttft()[1]
        print(
            f"{label}: p95 first draft token at N=16 / at N=1 = {sixteen / one:4.2f} (goal ≤ 2)",
            flush=True,
        )


def run_turns(args: argparse.Namespace, base: Settings) -> None:
    counts = [int(n) for n in args.n.split(",")]
    backends = args.backend.split(",")
    if "instant" in backends:
        recorder = Recorder()
        model = PacedChatModel(callbacks=[recorder])
        results: dict[int, Series] = {}
        with turn_root(base, LLMClient(base, model), recorder) as (root, finished):
            for n in counts:
                results[n] = service_series(
                    root, finished, recorder, n, args.seconds, first=customers.take(n)
                )
                print_series("instant model", results[n])
        print_ttft_growth("instant model", results)
    if "server" in backends:
        with _model_server(args, base) as served:
            # the embedded model's own profile asks it nothing (drafts are composed by code):
            # the load is measured under a profile that drafts with the model
            settings = served.model_copy(update={"llm_profile": args.profile})
            recorder = Recorder()
            client = LLMClient(settings, callbacks=[recorder])
            results = {}
            with turn_root(settings, client, recorder) as (root, finished):
                for n in counts:
                    series = service_series(
                        root, finished, recorder, n, args.seconds, first=customers.take(n)
                    )
                    recorded = [recorder.of_thread(t.thread) for t in series.turns]
                    bare = replay(settings, [calls for calls in recorded if calls], n)
                    results[n] = series
                    print_series(f"vLLM {settings.llm_model} ({args.profile})", series, bare)
            print_ttft_growth(f"vLLM {settings.llm_model} ({args.profile})", results)


@contextlib.contextmanager
def _model_server(args: argparse.Namespace, base: Settings) -> Iterator[Settings]:
    """The given endpoint, or the embedded server started here (and stopped after)."""
    if args.endpoint:
        update: dict[str, Any] = {"llm_base_url": args.endpoint}
        if args.model:
            update["llm_model"] = args.model
        yield base.model_copy(update=update)
        return
    server.serve(base, report=lambda _: None)
    try:
        yield base
    finally:
        server.stop(base, report=lambda _: None)


class Customers:
    """Hands each series customers of its own (a customer's past conversations count as
    repeated contacts, which the rules escalate)."""

    def __init__(self) -> None:
        self.used = 0

    def take(self, count: int) -> int:
        first, self.used = self.used, self.used + count
        return first


customers = Customers()


# --- main ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", default="1,4,16,32", help="conversations at once, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="per configuration")
    parser.add_argument("--backend", default="instant,server", help="instant and/or server")
    parser.add_argument("--endpoint", help="an OpenAI-compatible /v1 URL (else the embedded one)")
    parser.add_argument("--model", help="the served model's name at --endpoint")
    parser.add_argument("--max-tokens", type=int, default=96, help="the drafts' token limit")
    parser.add_argument(
        "--profile",
        default="cautious",
        help="the model profile of the server part (default cautious: the model drafts)",
    )
    parser.add_argument("--app", default="", help="sqlite and/or postgres: the agents' part")
    parser.add_argument("--agents", default="1,4,16", help="agents at once in the app part")
    parser.add_argument("--word-s", type=float, default=0.05, help="slow model: s per word")
    args = parser.parse_args(argv)
    print(f"machine load (uptime): {_uptime()}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        base = bench_settings(Path(folder), llm_max_tokens=args.max_tokens, _env_file=None)
        with Root(base) as root:
            wanted = 2 * (1 + sum(int(n) for n in args.n.split(",")))
            seed_demo(root.store, customers=max(40, wanted))
            root.knowledge.search("colis")  # index the packaged documents before timing
        if args.backend:
            run_turns(args, base)
    if args.app:
        from bench.load_app import run_app  # the app's part: the web server and its clients

        run_app(args)
    print(f"machine load (uptime): {_uptime()}", flush=True)


def _uptime() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
