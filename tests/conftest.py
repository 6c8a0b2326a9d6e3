"""Test ordering for the whole session: the unit tier first, then integration; tests that
stop the shared vLLM server run last of all. The hypothesis profile of every fuzz test."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

# Fuzz tests are deterministic (the same examples on every run and in CI), keep no database
# of examples, and are bounded: each test sets a small `max_examples` of its own.
settings.register_profile(
    "ressenti",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=50,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ressenti")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)
    items.sort(
        key=lambda item: (
            item.get_closest_marker("stops_server") is not None,
            "tests/integration" in str(item.path),
        )
    )
