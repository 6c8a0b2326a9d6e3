"""The runner: a suite's cases through their task, in parallel with a bound, resumable.

Each finished case is appended to the run's `cases.jsonl` at once; rerunning the same run
(`run_id`, or `resume=True` for the suite's latest unfinished run) skips the cases already
there. Threads, not processes: the work waits on the model server or on numpy, and the
machine this was built on has two cores. When every case is done the run is scored, the
gates are checked and the report (JSON and figures) is written next to the cases.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from agents.core.secrets import mask_url
from agents.emotion.goemotions import load_split
from agents.emotion.taxonomy import map_goemotions
from evals import report, scorers
from evals.emotion.customer_service import load_curated
from evals.outcome import RunOutcome
from evals.retrieval import load_questions
from evals.schema import (
    CuratedEmotionSource,
    EmotionCase,
    GoEmotionsSource,
    RetrievalCase,
    RetrievalQuestionsSource,
    Suite,
    SuiteError,
)
from evals.store import RunStore, StoredRun, git_commit, policy_hash, prompts_hashes, thresholds
from evals.tasks import TASKS, EvalContext

Task = Callable[[Any, EvalContext], dict[str, Any]]


def _evals_path(relative: str) -> Path:
    return Path(str(resources.files("evals").joinpath(relative)))


def load_cases(suite: Suite, goemotions_dir: Path | None = None) -> list[BaseModel]:
    """Inline cases plus the cases of each source (the GoEmotions folder is given at run
    time; without it that source is left out and the report says so)."""
    cases: list[BaseModel] = list(suite.inline_cases())
    for source in suite.sources:
        if isinstance(source, CuratedEmotionSource):
            stem = Path(source.file).stem
            for message in load_curated(_evals_path(source.file)):
                cases.append(
                    EmotionCase(
                        id=f"{stem}:{message.id}",
                        lang=message.lang,
                        text=message.text,
                        labels=[message.label],
                        source=stem,
                    )
                )
        elif isinstance(source, GoEmotionsSource):
            if goemotions_dir is None:
                continue
            rows = load_split(goemotions_dir, "original", source.split)
            for number, (text, labels) in enumerate(zip(rows.texts, rows.labels, strict=True)):
                cases.append(
                    EmotionCase(
                        id=f"goemotions-{source.split}:{number:05d}",
                        lang="en",
                        text=text,
                        labels=sorted(map_goemotions(labels)),
                        source="goemotions",
                    )
                )
        elif isinstance(source, RetrievalQuestionsSource):
            for q in load_questions(_evals_path(source.file)):
                cases.append(RetrievalCase.model_validate(q.model_dump()))
    return cases


def spread(cases: Sequence[BaseModel], limit: int | None) -> list[BaseModel]:
    """At most `limit` cases taken at even steps through the suite (so a small limit still
    covers both languages and every part of the file), in the suite's order."""
    if limit is None or limit >= len(cases):
        return list(cases)
    step = len(cases) / limit
    return [cases[math.floor(i * step)] for i in range(limit)]


SPLITS = ("test", "dev", "all")
"""What `--split` takes: a suite with split cases runs its `test` cases unless told."""


def of_split(cases: Sequence[BaseModel], split: str) -> list[BaseModel]:
    """The cases of one split (`all`: every case); cases without a split are always kept."""
    if split not in SPLITS:
        raise SuiteError(f"no split {split!r} (splits: {', '.join(SPLITS)})")
    if split == "all":
        return list(cases)
    return [c for c in cases if getattr(c, "split", split) == split]


def case_id(case: BaseModel) -> str:
    return str(case.id)  # type: ignore[attr-defined]


def manifest_for(suite: Suite, ctx: EvalContext, options: dict[str, Any]) -> dict[str, Any]:
    from evals.schema import suites_dir

    suite_file = suites_dir() / f"{suite.name}.yaml"
    import hashlib

    settings = ctx.settings
    return {
        "suite": suite.name,
        "suite_version": suite.version,
        "suite_hash": hashlib.sha256(suite_file.read_bytes()).hexdigest()[:16]
        if suite_file.is_file()
        else "",
        "kind": suite.kind,
        "git_commit": git_commit(),
        "model": settings.llm_model if suite.uses_llm else None,
        "llm_base_url": mask_url(settings.llm_base_url) if suite.uses_llm else None,
        "prompts": prompts_hashes(),
        "policy_hash": policy_hash(settings),
        "thresholds": thresholds(settings),
        "options": options,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "running",
    }


def run_suite(
    suite: Suite,
    ctx: EvalContext,
    store: RunStore,
    *,
    limit: int | None = None,
    workers: int = 2,
    run_id: str | None = None,
    resume: bool = False,
    goemotions_dir: Path | None = None,
    task: Task | None = None,
    show_progress: bool = True,
    figures: bool = True,
    on_case: Callable[[int, int], None] | None = None,
    split: str = "test",
) -> RunOutcome:
    """Run (or resume) a suite and return its scored outcome. `on_case(done, total)` is
    called after each finished case (the app drives its progress bar with it). `split`
    keeps the cases of one split (`dev`, `test`, or `all`) where the suite has splits."""
    cases = spread(of_split(load_cases(suite, goemotions_dir), split), limit)
    if not cases:
        raise SuiteError(f"suite {suite.name} has no case to run (a source may need --goemotions)")
    options = {
        "limit": limit,
        "workers": workers,
        "goemotions": str(goemotions_dir) if goemotions_dir else None,
        "split": split,
    }
    existing: StoredRun | None = None
    if run_id is not None:
        try:
            existing = store.get(run_id)
        except LookupError:
            existing = None
    elif resume:
        existing = store.latest_unfinished(suite.name)
    if existing is not None and existing.manifest.get("suite") != suite.name:
        raise SuiteError(f"run {existing.id} belongs to suite {existing.manifest.get('suite')}")
    run = existing or store.create(manifest_for(suite, ctx, options), run_id)
    done = run.done_ids()
    todo = [c for c in cases if case_id(c) not in done]
    run.manifest["total_cases"] = len(cases)
    run.manifest["status"] = "running"
    run.save_manifest()
    execute = task or TASKS[suite.kind]
    try:
        _execute(
            todo,
            execute,
            ctx,
            store,
            run,
            suite.kind,
            workers,
            show_progress,
            skipped=len(cases) - len(todo),
            on_case=on_case,
        )
    except BaseException:
        run.manifest["status"] = "interrupted"
        run.save_manifest()
        raise
    wanted = {case_id(c) for c in cases}
    records = [r for r in run.records() if r["id"] in wanted]
    outcome = finish(run, suite, records, figures=figures)
    outcome.skipped = len(cases) - len(todo)
    outcome.ran = len(todo)
    return outcome


def _execute(
    todo: list[BaseModel],
    execute: Task,
    ctx: EvalContext,
    store: RunStore,
    run: StoredRun,
    kind: str,
    workers: int,
    show_progress: bool,
    skipped: int,
    on_case: Callable[[int, int], None] | None = None,
) -> None:
    def one(case: BaseModel) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            output = execute(case, ctx)
        except Exception as exc:  # one failed case is a result, not the end of the run
            return {
                "id": case_id(case),
                "passed": False,
                "error": f"{type(exc).__name__}: {exc}",
                "latency_s": round(time.perf_counter() - started, 4),
                "tokens": None,
                "output": None,
            }
        return {
            "id": case_id(case),
            "passed": scorers.passed(kind, output),
            "error": None,
            "latency_s": round(time.perf_counter() - started, 4),
            "tokens": output.get("tokens"),
            "output": output,
        }

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not show_progress,
        transient=False,
    )
    with progress, ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        bar = progress.add_task(
            f"{run.manifest['suite']}", total=len(todo) + skipped, completed=skipped
        )
        pending: set[Future[dict[str, Any]]] = set()
        queue = iter(todo)
        total = len(todo) + skipped
        done = skipped

        def advance() -> None:
            nonlocal done
            done += 1
            progress.advance(bar)
            if on_case is not None:
                on_case(done, total)

        try:
            for case in queue:  # keep at most `workers` cases in flight: an interrupt loses little
                pending.add(pool.submit(one, case))
                if len(pending) >= max(1, workers):
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        store.append(run, future.result())
                        advance()
            for future in pending:
                store.append(run, future.result())
                advance()
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def finish(
    run: StoredRun, suite: Suite, records: list[dict[str, Any]], *, figures: bool = True
) -> RunOutcome:
    """Score the records, check the gates, write the report and the figures."""
    result = scorers.score(suite.kind, records)
    gates = [
        {
            "metric": g.metric,
            "op": g.op,
            "value": g.value,
            "why": g.why,
            "measured": result.metrics.get(g.metric),
            "passed": g.holds(result.metrics.get(g.metric)),
        }
        for g in suite.gates
    ]
    run.manifest |= {
        "status": "finished",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "metrics": result.metrics,
        "gates": gates,
        "gates_passed": all(g["passed"] for g in gates),
    }
    run.save_manifest()
    outcome = RunOutcome(run, result, gates)
    report.write_report(outcome, figures=figures)
    return outcome
