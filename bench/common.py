"""What the benchmarks share: a free loopback port and settings for a throwaway run."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.core.config import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings on a temporary data folder, the shared runtime, and a fresh server port."""
    return Settings(
        data_dir=data_dir,
        runtime_dir=Settings().runtime_path,
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",
        **overrides,
    )


def median_ms(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` calls, in milliseconds."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def quantiles(values: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank); NaN for no values."""
    if not values:
        return float("nan"), float("nan")
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def rss_mib() -> float:
    """This process's resident memory (Linux `/proc`), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
