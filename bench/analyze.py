"""Speed and memory of `ressenti analyze`: `python -m bench.analyze`.

Build the 100,000-message file once (GoEmotions text plus the demo company's conversations;
the data is never copied into the repository):

    python -m bench.analyze --build var/analyze-100k.jsonl --goemotions /work/shared/data/goemotions

then measure on it (or, without `--file`, on a file of the demo company's conversations
alone, cycled to `--demo-messages`, 5,000 by default):

    python -m bench.analyze --file var/analyze-100k.jsonl

In ONE process: the whole analysis (validation, reading, storing in chunks with
checkpoints, conversations, topics, alerts) into a fresh SQLite store, the demo company
seeded in it so that journey stages are looked up for real, with the fast reader's own
`read_batch` calls timed inside it. The ratio of throughputs, analysis / bare reader on the
same messages, is the reader's time over the analysis's time (goal ≥ 0.8: the analysis adds
little to reading); measured within one run, it holds on a shared machine whose load moves
(a separate bare pass, before and after, is printed too, and shows how much it moves).
Prints messages/s, the time of each phase, and the peak resident memory
(`resource.getrusage`) after the bare pass and after the analysis.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agents.analytics.alerts import packaged_rules as alert_rules
from agents.analytics.demo import DEMO_CUSTOMERS, DEMO_SEED, demo_records
from agents.analytics.drivers import packaged_taxonomy
from agents.analytics.pipeline import AnalysisParts, Analyzer
from agents.analytics.sources import InputFile, messages
from agents.analytics.stages import packaged_rules as stage_rules
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.emotion.fast import FastReader
from tools.crm.seed import DEMO_NOW, seed_demo
from tools.crm.store import CRMStore

RATIO_GOAL = 0.8


def goemotions_texts(folder: Path) -> Iterator[str]:
    for split in ("train", "dev", "test"):
        with (folder / "original" / f"{split}.tsv").open(encoding="utf-8") as handle:
            for line in handle:
                text = line.split("\t", 1)[0].strip()
                if text:
                    yield text


def build(path: Path, goemotions: Path | None, total: int) -> int:
    """Write `total` messages: the demo company's conversations, then GoEmotions comments
    (three to a conversation, a few minutes apart, over 60 days before the demo's now),
    cycled with fresh ids until `total`. Returns the count written."""
    demo = demo_records()
    extra = list(goemotions_texts(goemotions)) if goemotions else []
    rng = random.Random(7)
    start = DEMO_NOW - timedelta(days=60)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        cycle = 0
        while written < total:
            for index, record in enumerate(demo):
                if written >= total:
                    break
                line = {**record, "id": f"d{cycle}-{index}"}
                line["conversation"] = f"{record['conversation']}-{cycle}"
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                written += 1
            for index, text in enumerate(extra):
                if written >= total:
                    break
                at = start + timedelta(seconds=rng.randrange(60 * 86400))
                line = {
                    "id": f"g{cycle}-{index}",
                    "conversation": f"g{cycle}-{index // 3}",
                    "time": (at + timedelta(minutes=index % 3)).isoformat(),
                    "channel": "social",
                    "lang": "en",
                    "text": text,
                }
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                written += 1
            cycle += 1
    return written


class TimedReader(FastReader):
    """The real reader, timing its own `read_batch` calls (what the bare reader would cost
    on exactly the analysed messages, under exactly the same load)."""

    def __init__(self, inner: FastReader) -> None:
        self.__dict__.update(inner.__dict__)
        self.inner = inner
        self.seconds = 0.0

    def read_batch(
        self, texts: Sequence[str], langs: Sequence[Lang | None] | None = None
    ) -> list[EmotionReading]:
        started = time.perf_counter()
        try:
            return self.inner.read_batch(texts, langs)
        finally:
            self.seconds += time.perf_counter() - started


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", type=Path, help="write the benchmark file here and stop")
    parser.add_argument("--goemotions", type=Path, help="the GoEmotions folder (for --build)")
    parser.add_argument("--messages", type=int, default=100_000, help="messages to build")
    parser.add_argument("--file", type=Path, help="JSONL file to measure on")
    parser.add_argument(
        "--demo-messages", type=int, default=5000, help="without --file: messages of demo data"
    )
    parser.add_argument("--chunk-size", type=int, default=512)
    parser.add_argument(
        "--bare-sample", type=int, default=5000, help="messages the bare reader reads alone"
    )
    args = parser.parse_args()

    if args.build:
        count = build(args.build, args.goemotions, args.messages)
        print(f"wrote {count} messages to {args.build}")
        return

    with tempfile.TemporaryDirectory(prefix="ressenti-bench-analyze-") as folder:
        path = args.file
        if path is None:
            path = Path(folder) / "demo.jsonl"
            build(path, None, args.demo_messages)
        source = InputFile(path, "jsonl", {})
        texts = [m.text for m in messages(source) if m.author == "customer"]
        langs = [m.lang for m in messages(source) if m.author == "customer"]
        total = sum(1 for _ in messages(source))

        reader = TimedReader(FastReader())
        reader.read_batch(texts[:16])  # load the model, lexicons and rules once
        reader.seconds = 0.0

        def bare(sample: int) -> float:
            """The bare reader's messages/s over the first `sample` customer messages."""
            started = time.perf_counter()
            for i in range(0, min(sample, len(texts)), args.chunk_size):
                end = min(i + args.chunk_size, sample)
                reader.inner.read_batch(texts[i:end], langs[i:end])
            return min(sample, len(texts)) / (time.perf_counter() - started)

        bare_before = bare(args.bare_sample)
        bare_rss = peak_rss_mib()

        store = CRMStore.from_url(f"sqlite:///{Path(folder) / 'crm.db'}")
        seed_demo(store, customers=DEMO_CUSTOMERS, seed=DEMO_SEED)
        parts = AnalysisParts(reader, packaged_taxonomy(), stage_rules(), alert_rules())
        started = time.perf_counter()
        summary = Analyzer(store.analysis, parts).run(
            source, source="bench", chunk_size=args.chunk_size
        )
        analysis_s = time.perf_counter() - started
        analysis_rss = peak_rss_mib()
        store.close()
        bare_after = bare(args.bare_sample)

    inside = reader.seconds
    reading_ratio = inside / summary.seconds["read"]
    whole_ratio = inside / analysis_s
    print(
        f"# bench.analyze — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"file: {path.name if args.file else 'demo company, cycled'}: {total} messages, "
        f"{len(texts)} from customers, chunks of {args.chunk_size}"
    )
    print(
        f"analysis: {total / analysis_s:.0f} messages/s of the file, "
        f"{summary.read / analysis_s:.0f} customer messages/s, {analysis_s:.1f} s in all"
    )
    print(
        f"fast reader inside the analysis: {summary.read / inside:.0f} customer messages/s "
        f"({inside:.1f} s)"
    )
    print(
        f"ratio analysis / bare reader, same messages, same run: reading phase "
        f"{reading_ratio:.2f}, whole run {whole_ratio:.2f} (goal ≥ {RATIO_GOAL})"
    )
    print(
        f"bare reader alone on the first {min(args.bare_sample, len(texts))} customer "
        f"messages: {bare_before:.0f}/s before the analysis, {bare_after:.0f}/s after "
        f"(the machine's load moves these)"
    )
    phases = ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in summary.seconds.items() if name != "total"
    )
    print(f"phases: {phases}")
    print(
        f"stored: {summary.conversations} conversations, {summary.topics} topics, "
        f"{summary.alerts} alerts"
    )
    print(
        f"peak resident memory: {bare_rss:.0f} MiB after the bare reader, "
        f"{analysis_rss:.0f} MiB after the analysis"
    )


if __name__ == "__main__":
    main()
