"""`python -m bench.load` keeps running: one conversation for three seconds on the instant
model (the real stores, the real service and worker pool), so the harness never rots."""

from __future__ import annotations

import re

import pytest

from bench.load import main

LINE = re.compile(r"instant model N= 1:\s+(\d+) turns .* handed off (\d+); errors (\d+)")


def test_bench_load_runs_one_conversation_on_the_instant_model(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["--n", "1", "--seconds", "3", "--backend", "instant"])

    printed = capsys.readouterr().out
    found = LINE.search(printed)
    assert found, printed
    turns, handed_off, errors = (int(g) for g in found.groups())
    assert turns >= 1 and errors == 0, printed
    assert handed_off <= turns
    assert "machine load" in printed
