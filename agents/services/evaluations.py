"""What the evaluations tab calls: the suites, a run with a progress callback, the stored
runs and the comparison of two. The same runner, store and report as `ressenti eval`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.core.config import Settings
from agents.llm.client import LLMClient
from evals.report import NEUTRAL, compare_runs, save_delta_figure
from evals.runner import run_suite
from evals.schema import SuiteError, available_suites, load_suite
from evals.store import RunStore, StoredRun
from evals.tasks import EvalContext
from evals.world import OpenSupportWorld


class EvaluationError(Exception):
    """A run or comparison that cannot start; the message says why, `kind` names the case
    for the app to word it (`bad_suite`, `not_a_folder`, `model_not_ready`, `unknown_run`)
    and `detail` is the fact behind it."""

    def __init__(self, message: str, *, kind: str = "bad_suite", detail: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.detail = detail or message


@dataclass(frozen=True)
class RunView:
    """A stored run as the app shows it."""

    run_id: str
    suite: str
    status: str
    metrics: dict[str, Any]
    gates: list[dict[str, Any]]
    figures: list[Path]
    cases: list[dict[str, Any]]

    @property
    def gates_passed(self) -> bool:
        return all(g["passed"] for g in self.gates)


@dataclass(frozen=True)
class ComparisonView:
    """Run A (before) against run B (after)."""

    a: str
    b: str
    same_suite: bool
    deltas: list[dict[str, Any]]
    """metric, a, b, delta, verdict ("worse", "better" or "")."""
    regressions: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    figure: Path | None = None


def view_of(run: StoredRun) -> RunView:
    manifest = run.manifest
    return RunView(
        run_id=run.id,
        suite=str(manifest.get("suite", "")),
        status=str(manifest.get("status", "")),
        metrics=dict(manifest.get("metrics", {})),
        gates=list(manifest.get("gates", [])),
        figures=sorted(p for p in run.folder.glob("*.png") if not p.name.startswith("compare-")),
        cases=[
            {
                "id": r["id"],
                "passed": bool(r["passed"]),
                "latency_s": r.get("latency_s"),
                "error": r.get("error") or "",
            }
            for r in run.records()
        ],
    )


class Evaluations:
    def __init__(
        self,
        settings: Settings,
        *,
        llm_factory: Callable[[Settings], LLMClient] | None = None,
        open_world: OpenSupportWorld | None = None,
    ) -> None:
        """`open_world` opens the support side a graph suite's sandbox runs in (the
        composition root hands in its own); without it only the other suites run."""
        self.settings = settings
        self.store = RunStore.from_settings(settings)
        self._llm_factory = llm_factory
        self._open_world = open_world

    @staticmethod
    def suites() -> list[str]:
        return available_suites()

    def run(
        self,
        suite_name: str,
        *,
        limit: int | None = None,
        workers: int = 2,
        goemotions: Path | None = None,
        on_case: Callable[[int, int], None] | None = None,
    ) -> RunView:
        """Run a suite in full or on `limit` cases; refuses (EvaluationError) when the suite
        needs the model and its server is not ready, or the input is wrong."""
        try:
            suite = load_suite(suite_name)
        except SuiteError as exc:
            raise EvaluationError(str(exc), kind="bad_suite") from exc
        if goemotions is not None and not goemotions.is_dir():
            raise EvaluationError(
                f"{goemotions} is not a folder", kind="not_a_folder", detail=str(goemotions)
            )
        if suite.uses_llm:
            llm = (self._llm_factory or LLMClient)(self.settings)
            health = llm.health()
            if not health.serves_configured_model:
                raise EvaluationError(
                    f"the model server is not ready ({health.detail})",
                    kind="model_not_ready",
                    detail=str(health.detail),
                )
        ctx = EvalContext(self.settings, llm_factory=self._llm_factory, open_world=self._open_world)
        try:
            outcome = run_suite(
                suite,
                ctx,
                self.store,
                limit=limit,
                workers=workers,
                goemotions_dir=goemotions,
                show_progress=False,
                on_case=on_case,
            )
        except SuiteError as exc:
            raise EvaluationError(str(exc), kind="bad_suite") from exc
        finally:
            ctx.close()
        return view_of(outcome.run)

    def runs(self) -> list[RunView]:
        """Stored runs, newest first."""
        return [view_of(run) for run in reversed(self.store.runs())]

    def compare(self, a: str, b: str) -> ComparisonView:
        try:
            run_a, run_b = self.store.get(a), self.store.get(b)
        except LookupError as exc:
            raise EvaluationError(str(exc), kind="unknown_run") from exc
        c = compare_runs(run_a, run_b)
        deltas = []
        for name, (before, after) in c.deltas.items():
            delta = after - before if before is not None and after is not None else None
            verdict = (
                "worse"
                if c.worse(name)
                else ("better" if delta not in (None, 0) and name not in NEUTRAL else "")
            )
            deltas.append(
                {"metric": name, "a": before, "b": after, "delta": delta, "verdict": verdict}
            )
        return ComparisonView(
            a=run_a.id,
            b=run_b.id,
            same_suite=run_a.manifest.get("suite") == run_b.manifest.get("suite"),
            deltas=deltas,
            regressions=c.regressions,
            improvements=c.improvements,
            figure=save_delta_figure(c, run_b.folder / f"compare-{run_a.id}.png"),
        )
