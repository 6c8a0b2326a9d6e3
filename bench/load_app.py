"""`bench.load --app`: N agents at once in the real app, on SQLite and on PostgreSQL.

Each agent is a signed-in page (session cookie, its own Gradio page session) on the app
served by uvicorn in this process, with its embedded worker pool (`worker_concurrency` =
N). In a loop, a message arrives on the agent's conversation (through the service's
intake, as a channel delivers it); a slow scripted model streams its draft (one word every
`--word-s` s); once the draft waits, the agent opens the conversation (the queue's
`select` event) and accepts it (the Approve button's event), both through the app's own
queue endpoints. With N agents, the other agents' drafts stream while one opens and
decides. Reported per database and N: p50/p95 of opening and of deciding, the decisions
made, failed events, `database is locked` errors (log records and failed events), and this
process's RSS after the warm-up and at the end.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from agents.llm.client import LLMClient
from agents.services.accounts import DEMO_PASSWORD, seed_demo_accounts
from agents.services.root import Overrides, Root
from agents.support.intake import InboundEnvelope
from bench.common import bench_settings, free_port, quantiles, rss_mib
from bench.web import CALM, SlowDraftModel, handler
from tools.crm.seed import seed_demo
from tools.crm.throwaway import scratch_database, throwaway_postgres
from web.app import create_app
from web.serve import start

LOCKED = "database is locked"


class LockedCounter(logging.Handler):
    """Counts log records (with their tracebacks) that say the database was locked."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += repr(record.exc_info[1])
        if LOCKED in text:
            self.count += 1


def event_of(config: dict[str, Any], elem_id: str, trigger: str) -> int:
    """The fn_index of the event `trigger` on the component `elem_id` (from `/config`)."""
    ids = {c["id"] for c in config["components"] if c["props"].get("elem_id") == elem_id}
    for dependency in config["dependencies"]:
        if any(t in ids and kind == trigger for t, kind in dependency["targets"]):
            return int(dependency["id"])
    raise KeyError(f"no {trigger} event on #{elem_id}")


class Agent:
    """One signed-in browser tab: its cookie, its page session on Gradio's queue."""

    def __init__(self, url: str, email: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=300)
        form = {"email": email, "password": DEMO_PASSWORD, "lang": "fr"}
        assert self.client.post("/signin", data=form).status_code == 303
        self.session_hash = uuid.uuid4().hex[:12]
        self.config = self.client.get("/config").json()

    def event(self, fn_index: int, data: list[Any]) -> tuple[bool, str]:
        """Runs one event to its end: (success, its error text)."""
        body = {
            "data": data,
            "fn_index": fn_index,
            "session_hash": self.session_hash,
            "event_data": None,
            "trigger_id": None,
        }
        joined = self.client.post("/gradio_api/queue/join", json=body)
        if joined.status_code != 200:
            return False, joined.text
        params = {"session_hash": self.session_hash}
        with self.client.stream("GET", "/gradio_api/queue/data", params=params) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    output = message.get("output") or {}
                    return bool(message.get("success")), str(output.get("error") or "")
        return False, "the event's stream closed before it completed"


@dataclass
class AppSeries:
    db: str
    n: int
    seconds: float = 0.0
    listed: list[float] = field(default_factory=list)
    opened: list[float] = field(default_factory=list)
    decided: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    locked_logged: int = 0
    rss_start: float = 0.0
    rss_end: float = 0.0

    def line(self) -> str:
        q50, q95 = quantiles(self.listed)
        o50, o95 = quantiles(self.opened)
        d50, d95 = quantiles(self.decided)
        locked = self.locked_logged + sum(LOCKED in f for f in self.failures)
        return (
            f"app on {self.db:<8} N={self.n:>2}: {len(self.decided):>3} decisions in "
            f"{self.seconds:5.1f} s; read the queue p50 {q50:5.0f} ms p95 {q95:5.0f} ms; "
            f"open a conversation p50 {o50:6.0f} ms p95 {o95:6.0f} ms; "
            f"decide p50 {d50:6.0f} ms p95 {d95:6.0f} ms; failed events {len(self.failures)}; "
            f"'{LOCKED}' {locked}; RSS {self.rss_start:.0f} → {self.rss_end:.0f} MiB"
        )


@contextmanager
def _database(db: str) -> Iterator[dict[str, Any]]:
    """Settings overrides for the database under test (PostgreSQL: a throwaway server)."""
    if db == "sqlite":
        yield {}
        return
    with (
        throwaway_postgres() as base,
        scratch_database(base) as crm,
        scratch_database(base) as checkpoints,
    ):
        yield {"database_url": crm, "checkpoint_url": checkpoints}


def app_series(db: str, n: int, seconds: float, word_s: float) -> AppSeries:
    series = AppSeries(db, n)
    counter = LockedCounter()
    logging.getLogger().addHandler(counter)
    with tempfile.TemporaryDirectory() as folder, _database(db) as urls:
        settings = bench_settings(
            Path(folder), demo_mode=True, worker_concurrency=n, _env_file=None, **urls
        )
        model = SlowDraftModel(word_s=word_s)
        root = Root(settings, Overrides(llm=LLMClient(settings, model)))
        try:
            seed_demo(root.store, customers=n + 5)
            seed_demo_accounts(root.accounts)
            root.knowledge.search("colis")  # index the packaged documents before timing
            app = create_app(root.workspace)
            running = start(app, "127.0.0.1", free_port())
            root.workspace.start()  # the embedded turn workers, as `make run` has them
            try:
                _agents(root, app, running.url, series, seconds)
            finally:
                running.stop()
        finally:
            root.close()
            logging.getLogger().removeHandler(counter)
    series.locked_logged = counter.count
    return series


def _agents(root: Root, app: Any, url: str, series: AppSeries, seconds: float) -> None:
    agents = [Agent(url, "agent@demo") for _ in range(series.n)]
    config = agents[0].config
    refresh, select = handler(app, "refresh_queue"), handler(app, "select")
    approve = event_of(config, "approve", "click")
    conversations = [
        root.store.open_conversation(f"C{i + 2:05d}", channel="email", subject="Commande")
        for i in range(series.n)
    ]
    lock = threading.Lock()

    def cycle(agent: Agent, conversation_id: str, timed: bool) -> None:
        received = root.support.receive(
            InboundEnvelope(
                channel="email",
                text=CALM,
                conversation_id=conversation_id,
                external_message_id=uuid.uuid4().hex,
            )
        )
        if received.turn_id is None:
            raise RuntimeError("no turn queued: the conversation is with a person")
        deadline = time.monotonic() + 300
        while True:  # the agent waits for the draft (the page's queue refresh does this)
            turn = root.store.turns.turn(received.turn_id)
            if turn.status not in ("queued", "running"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"turn {turn.id} still {turn.status} after 300 s")
            time.sleep(0.2)
        if turn.status != "awaiting_approval" or not turn.interrupt_id:
            root.support.give_back(conversation_id, "bench@load")  # handed off: next one
            return
        listed = time.perf_counter()
        ok, error = agent.event(refresh, ["Français", None])  # the page's queue, re-read
        started = time.perf_counter()
        if ok:
            ok, error = agent.event(select, ["Français", conversation_id])
        opened = time.perf_counter()
        if ok:
            ok, error = agent.event(
                approve, ["Français", conversation_id, "", "", "", turn.interrupt_id]
            )
        done = time.perf_counter()
        with lock:
            if not ok:
                series.failures.append(error[:200])
            elif timed:
                series.listed.append((started - listed) * 1000)
                series.opened.append((opened - started) * 1000)
                series.decided.append((done - opened) * 1000)

    def run(agent: Agent, conversation_id: str, deadline: float) -> None:
        while time.perf_counter() < deadline:
            try:
                cycle(agent, conversation_id, timed=True)
            except Exception as exc:  # counted and shown: the run goes on
                with lock:
                    series.failures.append(f"{type(exc).__name__}: {exc}"[:200])

    for agent, conversation_id in zip(agents, conversations, strict=True):
        cycle(agent, conversation_id, timed=False)  # warm: first events load what they use
    series.rss_start = rss_mib()
    started = time.perf_counter()
    threads = [
        threading.Thread(target=run, args=(a, c, started + seconds), daemon=True)
        for a, c in zip(agents, conversations, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    series.seconds = time.perf_counter() - started
    series.rss_end = rss_mib()
    for agent in agents:
        agent.client.close()


def run_app(args: argparse.Namespace) -> None:
    for db in args.app.split(","):
        for n in (int(n) for n in args.agents.split(",")):
            series = app_series(db, n, args.seconds, args.word_s)
            print(series.line(), flush=True)
            for failure in sorted(set(series.failures))[:3]:
                print(f"      failed: {failure}", flush=True)
