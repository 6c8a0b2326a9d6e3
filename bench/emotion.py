"""Speed of the fast emotion reader on this machine: `python -m bench.emotion`.

Messages are the curated customer-service set (French and English), cycled. Reports the
median and 90th-percentile latency of one message read alone (what the support graph pays
per message), the throughput of batched reading (what `ressenti emotion` gets on a file),
and where the time goes (embedding vs. cue rules + lexicon + assembly). Goals from the
issue: median ≤ 20 ms per message, ≥ 100 messages/s batched.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from agents.emotion.fast import FastReader
from evals.emotion.customer_service import load_curated

LATENCY_GOAL_MS = 20.0
THROUGHPUT_GOAL = 100.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--single", type=int, default=300, help="messages timed one by one")
    parser.add_argument("--batched", type=int, default=2048, help="messages read in batches")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    texts = [m.text for m in load_curated()]
    reader = FastReader()
    reader.read_batch(texts[:8])  # load the model, the lexicons, compile the rules

    single: list[float] = []
    embed_only: list[float] = []
    for index in range(args.single):
        text = texts[index % len(texts)]
        started = time.perf_counter()
        reader.read(text)
        single.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        reader.embedder.embed([text])
        embed_only.append((time.perf_counter() - started) * 1000)

    stream = [texts[i % len(texts)] for i in range(args.batched)]
    started = time.perf_counter()
    for start in range(0, len(stream), args.batch_size):
        reader.read_batch(stream[start : start + args.batch_size])
    batched_s = time.perf_counter() - started
    throughput = len(stream) / batched_s

    median = statistics.median(single)
    embed_median = statistics.median(embed_only)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s)")
    print(f"embedder: {reader.embedder.name}; messages: {len(texts)} curated FR/EN, cycled")
    print(
        f"single message: median {median:.2f} ms, p90 {_percentile(single, 0.9):.2f} ms "
        f"(n={len(single)}); goal ≤ {LATENCY_GOAL_MS:g} ms: "
        f"{'met' if median <= LATENCY_GOAL_MS else 'missed'} "
        f"(median / goal = {median / LATENCY_GOAL_MS:.2f})"
    )
    print(
        f"  of which embedding: median {embed_median:.2f} ms; rules + lexicon + assembly: "
        f"~{max(median - embed_median, 0.0):.2f} ms"
    )
    print(
        f"batched ({args.batch_size} a batch): {throughput:.0f} messages/s over {len(stream)} "
        f"messages; goal ≥ {THROUGHPUT_GOAL:g}/s: "
        f"{'met' if throughput >= THROUGHPUT_GOAL else 'missed'} "
        f"(throughput / goal = {throughput / THROUGHPUT_GOAL:.2f})"
    )


if __name__ == "__main__":
    main()
