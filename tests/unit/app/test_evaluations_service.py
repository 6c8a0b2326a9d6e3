"""The evaluations service the app calls: suites listed, a run reports each finished case
to its callback, stored runs come back newest first, and two runs compare."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.core.config import Settings
from agents.services.evaluations import EvaluationError, Evaluations


@pytest.fixture
def evaluations(tmp_path: Path) -> Evaluations:
    return Evaluations(Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]


def test_a_run_reports_progress_and_is_stored(evaluations: Evaluations) -> None:
    assert {"retrieval", "marketing_compliance", "redteam"} <= set(evaluations.suites())
    seen: list[tuple[int, int]] = []
    view = evaluations.run(
        "marketing_compliance", limit=4, workers=2, on_case=lambda d, t: seen.append((d, t))
    )
    assert [d for d, _ in seen] == [1, 2, 3, 4]
    assert {t for _, t in seen} == {4}
    assert view.status == "finished"
    assert len(view.cases) == 4
    assert {g["metric"] for g in view.gates} == {"recall", "precision"}
    assert view.metrics["cases"] == 4
    assert any(p.name == "latency.png" for p in view.figures)

    again = evaluations.run("marketing_compliance", limit=2, workers=1)
    assert {v.run_id for v in evaluations.runs()} == {again.run_id, view.run_id}
    comparison = evaluations.compare(view.run_id, again.run_id)
    assert comparison.same_suite
    cases = next(d for d in comparison.deltas if d["metric"] == "cases")
    assert (cases["a"], cases["b"], cases["delta"]) == (4, 2, -2)
    assert comparison.figure is not None and comparison.figure.is_file()


def test_bad_input_is_refused_clearly(evaluations: Evaluations, tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="no-such-suite"):
        evaluations.run("no-such-suite")
    with pytest.raises(EvaluationError, match="not a folder"):
        evaluations.run("emotion", goemotions=tmp_path / "missing")
    with pytest.raises(EvaluationError):
        evaluations.compare("nope-a", "nope-b")
