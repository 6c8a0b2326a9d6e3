"""The runner: resumable after an interruption, stored runs, comparison, gate exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agents.cli import app
from agents.core.config import Settings
from evals.report import compare_runs
from evals.runner import run_suite
from evals.schema import MarketingCase, load_suite, suites_dir
from evals.store import RunStore
from evals.tasks import EvalContext, marketing_task


class Interrupting:
    """The real marketing task, interrupted (like Ctrl-C) when case number `stop_at` starts."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.seen: list[str] = []

    def __call__(self, case: MarketingCase, ctx: EvalContext) -> dict[str, Any]:
        if self.stop_at is not None and len(self.seen) + 1 == self.stop_at:
            raise KeyboardInterrupt
        self.seen.append(case.id)
        return marketing_task(case, ctx)


def test_an_interrupted_run_resumes_without_redoing_finished_cases(settings: Settings) -> None:
    suite = load_suite("marketing_compliance")
    store = RunStore.from_settings(settings)
    ctx = EvalContext(settings)
    first = Interrupting(stop_at=6)
    with pytest.raises(KeyboardInterrupt):
        run_suite(
            suite,
            ctx,
            store,
            workers=1,
            run_id="mc-a",
            task=first,
            show_progress=False,
            figures=False,
        )
    stored = store.get("mc-a")
    assert stored.manifest["status"] == "interrupted"
    assert len(stored.records()) == 5
    assert sorted(stored.done_ids()) == sorted(first.seen)

    second = Interrupting()
    outcome = run_suite(
        suite, ctx, store, workers=2, resume=True, task=second, show_progress=False, figures=False
    )
    assert outcome.run.id == "mc-a"
    assert outcome.skipped == 5 and outcome.ran == 11
    assert not set(second.seen) & set(first.seen)
    assert len(second.seen) == 11
    assert len(outcome.run.records()) == 16
    assert outcome.run.manifest["status"] == "finished"
    assert outcome.gates_passed
    assert outcome.score.metrics["cases"] == 16


def test_a_failing_case_is_recorded_as_an_error_and_run_again_on_resume(settings: Settings) -> None:
    suite = load_suite("marketing_compliance")
    store = RunStore.from_settings(settings)

    def broken(case: MarketingCase, ctx: EvalContext) -> dict[str, Any]:
        if case.id == "mc-fr-03":
            raise RuntimeError("the model server went away")
        return marketing_task(case, ctx)

    outcome = run_suite(
        suite,
        EvalContext(settings),
        store,
        run_id="mc-b",
        task=broken,
        show_progress=False,
        figures=False,
    )
    assert outcome.score.metrics["errors"] == 1
    errored = [r for r in outcome.run.records() if r["error"]]
    assert [r["id"] for r in errored] == ["mc-fr-03"]
    assert "went away" in errored[0]["error"]
    again = run_suite(
        suite, EvalContext(settings), store, run_id="mc-b", show_progress=False, figures=False
    )
    assert again.ran == 1 and again.score.metrics["errors"] == 0


def _stored(
    store: RunStore, run_id: str, passed: dict[str, bool], metrics: dict[str, float]
) -> None:
    run = store.create(
        {
            "suite": "redteam",
            "suite_version": "1",
            "status": "finished",
            "metrics": metrics,
            "started_at": run_id,
            "git_commit": run_id,
            "prompts": {"support_draft": run_id},
        },
        run_id,
    )
    for case_id, ok in passed.items():
        store.append(
            run,
            {
                "id": case_id,
                "passed": ok,
                "error": None,
                "latency_s": 1.0,
                "tokens": None,
                "output": {},
            },
        )


def test_compare_lists_regressions_improvements_and_metric_deltas(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RunStore.from_settings(settings)
    _stored(
        store,
        "run-a",
        {"c1": True, "c2": False, "c3": True, "c4": True},
        {"leaks": 0.0, "pass_rate": 0.75},
    )
    _stored(
        store,
        "run-b",
        {"c1": False, "c2": True, "c3": True, "c5": True},
        {"leaks": 2.0, "pass_rate": 0.8},
    )
    comparison = compare_runs(store.get("run-a"), store.get("run-b"))
    assert comparison.regressions == ["c1"]
    assert comparison.improvements == ["c2"]
    assert comparison.only_a == ["c4"] and comparison.only_b == ["c5"]
    assert comparison.worse("leaks") and not comparison.worse("pass_rate")

    monkeypatch.setenv("RESSENTI_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(app, ["eval", "compare", "run-a", "run-b"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "1 regression(s)" in result.output and "1 improvement(s)" in result.output
    assert "regressed: c1" in result.output and "improved: c2" in result.output
    assert "+2.000" in result.output and "worse" in result.output
    assert "changed prompts: support_draft" in result.output
    assert (store.get("run-b").folder / "compare-run-a.png").stat().st_size > 0

    listed = CliRunner().invoke(app, ["eval", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "run-a" in listed.output and "run-b" in listed.output
    missing = CliRunner().invoke(app, ["eval", "compare", "run-a", "nope"])
    assert missing.exit_code == 2


def test_eval_run_exit_codes_follow_the_gates(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESSENTI_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    ok = runner.invoke(app, ["eval", "run", "marketing_compliance"], env={"COLUMNS": "160"})
    assert ok.exit_code == 0, ok.output
    assert "pass" in ok.output
    run_folder = next((settings.data_dir / "evals" / "runs").glob("marketing_compliance-*"))
    manifest = json.loads((run_folder / "run.json").read_text("utf-8"))
    assert manifest["gates_passed"] is True
    assert {"suite_version", "git_commit", "prompts", "policy_hash", "thresholds"} <= set(manifest)
    assert (run_folder / "per_class_f1.png").stat().st_size > 0
    assert (run_folder / "latency.png").stat().st_size > 0

    source = suites_dir() / "marketing_compliance.yaml"
    strict = source.read_text("utf-8").replace("name: marketing_compliance", "name: strict")
    strict = strict.replace(
        '{metric: recall, op: ">=", value: 0.8', '{metric: recall, op: ">", value: 1.0'
    )
    path = tmp_path / "strict.yaml"
    path.write_text(strict, "utf-8")
    failed = runner.invoke(app, ["eval", "run", str(path), "--no-figures"], env={"COLUMNS": "160"})
    assert failed.exit_code == 1, failed.output
    assert "FAIL" in failed.output and "gate failed" in failed.output

    unknown = runner.invoke(app, ["eval", "run", "no_such_suite"])
    assert unknown.exit_code == 2
    assert "known suites" in unknown.output
    # unit tier: no model server, and a profile whose drafts are the model's
    monkeypatch.setenv("RESSENTI_LLM_PROFILE", "mistral-small-24b")
    down = runner.invoke(app, ["eval", "run", "redteam"])
    assert down.exit_code == 2
    assert "not ready" in down.output


def test_the_graph_suites_need_no_server_on_a_profile_that_trusts_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESSENTI_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RESSENTI_LLM_PROFILE", "embedded-smollm2-135m")
    runner = CliRunner()
    played = runner.invoke(
        app, ["eval", "run", "escalation", "--limit", "2", "--no-figures"], env={"COLUMNS": "160"}
    )
    assert played.exit_code in (0, 1), played.output  # run and scored (its gates may fail)
    assert "not ready" not in played.output and "outbox_writes" in played.output
    judged = runner.invoke(app, ["eval", "run", "reply_quality", "--limit", "1"])
    assert judged.exit_code == 2 and "not ready" in judged.output  # its judge is the model
