"""Shared fixtures of the batch-analysis unit tests."""

from __future__ import annotations

import pytest

from agents.emotion.fast import FastReader


@pytest.fixture(scope="session")
def fast_reader() -> FastReader:
    """The shipped fast reader (loaded once per session)."""
    return FastReader()
