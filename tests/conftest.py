"""Test ordering for the whole session: the unit tier first, then integration; tests that
stop the shared vLLM server run last of all."""

from __future__ import annotations

import pytest


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
