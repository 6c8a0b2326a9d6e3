"""Benchmark of the local vLLM server and of the LLM boundary around it.

    python -m bench.llm [--requests 5] [--max-tokens 64]

Starts its own server on a free loopback port (cold start, timed), then measures over the
same prompts, in the same run: first-token latency and decode speed through a bare OpenAI
client, and the same requests through `LLMClient` (the boundary), so the ratio between the
two is the boundary's overhead. Prints medians; stops the server at the end.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import openai

from agents.core.config import Settings
from agents.llm import server
from agents.llm.client import LLMClient
from agents.services.root import Root
from bench.common import bench_settings

PROMPTS = [
    "Écris une phrase d'excuse pour un colis en retard.",
    "Write one sentence apologising for a late parcel.",
    "Résume en une phrase : le client veut un remboursement.",
    "Summarise in one sentence: the customer wants a refund.",
]


@dataclass
class Sample:
    first_token_s: float
    total_s: float
    tokens: int

    @property
    def decode_tokens_per_s(self) -> float:
        decode_time = self.total_s - self.first_token_s
        return (self.tokens - 1) / decode_time if decode_time > 0 and self.tokens > 1 else 0.0


def bare_stream(settings: Settings, prompt: str, max_tokens: int) -> Sample:
    client = openai.OpenAI(base_url=settings.llm_base_url, api_key=settings.llm_api_key)
    start = time.perf_counter()
    first = 0.0
    tokens = 0
    stream = client.chat.completions.create(
        model=settings.llm_model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_tokens,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content and not first:
            first = time.perf_counter() - start
        if chunk.usage:
            tokens = chunk.usage.completion_tokens
    return Sample(first, time.perf_counter() - start, tokens)


def boundary_stream(client: LLMClient, prompt: str) -> float:
    start = time.perf_counter()
    for _ in client.stream(prompt):
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        settings = bench_settings(
            Path(data_dir),
            llm_temperature=0,
            llm_max_tokens=args.max_tokens,
        )
        root = Root(settings)
        start = time.perf_counter()
        server.serve(settings, report=lambda _: None)
        startup_s = time.perf_counter() - start
        try:
            bare_stream(settings, "warm-up", 8)
            boundary = root.llm
            bare: list[Sample] = []
            via_boundary: list[float] = []
            for index in range(args.requests):
                prompt = PROMPTS[index % len(PROMPTS)]
                bare.append(bare_stream(settings, prompt, args.max_tokens))
                via_boundary.append(boundary_stream(boundary, prompt))
        finally:
            root.close()
            server.stop(settings, report=lambda _: None)

    bare_total = statistics.median(s.total_s for s in bare)
    first_token = statistics.median(s.first_token_s for s in bare)
    decode = statistics.median(s.decode_tokens_per_s for s in bare)
    tokens = statistics.median(s.tokens for s in bare)
    boundary_total = statistics.median(via_boundary)
    print(f"requests: {args.requests}, max tokens: {args.max_tokens}, model: {settings.llm_model}")
    print(f"cold start-up (serve → healthy):   {startup_s:7.1f} s")
    print(f"first token, median:               {first_token:7.2f} s")
    print(f"decode speed, median:              {decode:7.1f} tokens/s")
    print(f"tokens per answer, median:         {tokens:7.0f}")
    print(f"request time bare client, median:  {bare_total:7.2f} s")
    print(f"request time via boundary, median: {boundary_total:7.2f} s")
    print(f"boundary / bare ratio:             {boundary_total / bare_total:7.2f}")


if __name__ == "__main__":
    main()
