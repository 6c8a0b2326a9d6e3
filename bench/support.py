"""Benchmark of the support agent's overhead around its model calls.

    python -m bench.support [--turns 8]

Two measurements, in the same run, over the real stores (seeded demo CRM, Chroma with the
packaged documents, SQLite checkpoints) and the real fast emotion reader:

1. with an instant scripted model: the time per turn spent outside model calls (the
   graph, the emotion reading, the retrieval, the CRM reads and the checkpoints);
2. against the real vLLM server (started here): a full turn's time divided by the sum of
   its bare model-call times, measured by callbacks around each call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult, LLMResult

from agents.core.config import Settings
from agents.llm import server
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from agents.support.schemas import InboundMessage
from bench.common import bench_settings
from tools.crm.seed import seed_demo

MESSAGES = [
    "Bonjour, ma commande n'est pas arrivée, pouvez-vous me dire où elle en est ?",
    "Hello, I would like to know how to return an item I bought online.",
    "Bonjour, quel est le délai de rétractation pour un achat en ligne ?",
    "Hi, can you explain the notice period to cancel my fibre contract?",
]
ASSESSMENT = json.dumps(
    {
        "summary": "A simple question.",
        "intents": ["question"],
        "complexity": "low",
        "sensitive_topics": ["none"],
        "policy_exception_requested": False,
    }
)


class InstantChatModel(BaseChatModel):
    """Answers at once: a valid assessment when JSON is asked for, a short draft otherwise."""

    @property
    def _llm_type(self) -> str:
        return "instant"

    def _answer(self, kwargs: dict[str, Any]) -> str:
        return ASSESSMENT if "response_format" in kwargs else "Bonjour, voici la réponse."

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self._answer(kwargs)))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield ChatGenerationChunk(message=AIMessageChunk(content=self._answer(kwargs)))


class CallTimer(BaseCallbackHandler):
    """Wall time of every model call, from its start to its end."""

    def __init__(self) -> None:
        self.started: dict[UUID, float] = {}
        self.durations: list[float] = []

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **_: Any,
    ) -> None:
        self.started[run_id] = time.perf_counter()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **_: Any) -> None:
        self.durations.append(time.perf_counter() - self.started.pop(run_id))

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **_: Any) -> None:
        self.durations.append(time.perf_counter() - self.started.pop(run_id))


def _turns(
    settings: Settings, llm: LLMClient, turns: int, timer: CallTimer | None
) -> list[tuple[float, float]]:
    """(turn time, model time) per turn, each on a fresh conversation (one composition
    root per series: each series has its own LLM client)."""
    results = []
    with Root(settings, Overrides(llm=llm)) as root:
        store, service = root.store, root.support
        for index in range(turns):
            conversation = store.open_conversation(
                f"C{index % 20 + 1:05d}", channel="email", subject="bench"
            )
            message = InboundMessage(
                conversation_id=conversation, text=MESSAGES[index % len(MESSAGES)]
            )
            before = len(timer.durations) if timer else 0
            start = time.perf_counter()
            service.submit(message)
            elapsed = time.perf_counter() - start
            model_time = sum(timer.durations[before:]) if timer else 0.0
            results.append((elapsed, model_time))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = bench_settings(
            Path(data_dir),
            llm_max_tokens=96,
        )
        with Root(settings) as root:
            seed_demo(root.store, customers=20)

        instant = _turns(settings, LLMClient(settings, InstantChatModel()), 1, None)  # warm-up
        instant = _turns(settings, LLMClient(settings, InstantChatModel()), args.turns, None)
        overhead = statistics.median(t for t, _ in instant)

        server.serve(settings, report=lambda _: None)
        try:
            timer = CallTimer()
            client = LLMClient(settings, callbacks=[timer])
            real = _turns(settings, client, args.turns, timer)
        finally:
            server.stop(settings, report=lambda _: None)

    ratios = [turn / model for turn, model in real if model > 0]
    print(f"turns: {args.turns} per series (fresh conversation each), model: {settings.llm_model}")
    print(f"instant model — turn time, median:      {overhead * 1000:8.1f} ms (all of it overhead)")
    print(
        f"real server — turn time, median:         {statistics.median(t for t, _ in real):8.2f} s"
    )
    print(
        f"real server — model-call time, median:   {statistics.median(m for _, m in real):8.2f} s"
    )
    print(f"real server — turn / model-call ratio:   {statistics.median(ratios):8.2f} (median)")


if __name__ == "__main__":
    main()
