"""`ressenti eval`: run suites, list stored runs, compare two runs. Exit 1 when a gate fails."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agents.cli.root import command_root

if TYPE_CHECKING:
    from evals.store import RunStore

eval_app = typer.Typer(help="Evaluation suites: run them, store the runs, compare two runs.")
console = Console()


GRAPH_ONLY_KINDS = ("escalation", "redteam")
"""Suites whose only model calls are the support graph's own (no judge)."""


def _store(ctx: typer.Context) -> RunStore:
    """The stored runs, as the command's root keeps them."""
    return command_root(ctx).evaluations.store


@eval_app.command("suites")
def suites_command() -> None:
    """List the suites with their kind, case count and gates (validating every file)."""
    from evals.runner import load_cases
    from evals.schema import SuiteError, available_suites, load_suite

    table = Table(title="evaluation suites")
    for column in ("suite", "version", "kind", "cases", "LLM", "gates"):
        table.add_column(column)
    failed = False
    for name in available_suites():
        try:
            suite = load_suite(name)
        except SuiteError as exc:
            console.print(f"[red]invalid:[/] {escape(str(exc))}")
            failed = True
            continue
        gates = ", ".join(f"{g.metric} {g.op} {g.value:g}" for g in suite.gates)
        count = len(load_cases(suite))
        sourced = " (+GoEmotions with --goemotions)" if suite.kind == "emotion" else ""
        table.add_row(
            suite.name,
            suite.version,
            suite.kind,
            f"{count}{sourced}",
            "yes" if suite.uses_llm else "no",
            gates,
        )
    console.print(table)
    if failed:
        raise typer.Exit(2)


@eval_app.command("run")
def run_command(
    ctx: typer.Context,
    suite_name: Annotated[str, typer.Argument(metavar="SUITE", help="Suite name or YAML path.")],
    limit: Annotated[
        int | None, typer.Option(help="Run at most N cases, spread over the suite.")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Cases run at the same time.")] = 2,
    run_id: Annotated[
        str | None, typer.Option(help="Name the run; an existing one is resumed.")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Resume this suite's latest unfinished run.")
    ] = False,
    goemotions: Annotated[
        Path | None, typer.Option(help="GoEmotions folder (emotion suite).")
    ] = None,
    marketing_llm: Annotated[
        bool, typer.Option(help="Let the compliance check ask the LLM too.")
    ] = False,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Skip the images.")] = False,
    split: Annotated[
        str,
        typer.Option(help="test (reported), dev (for tuning) or all; suites with splits only."),
    ] = "test",
) -> None:
    """Run a suite (or resume one) and report; exit 1 when a gate fails, 2 on bad input."""
    from agents.services.root import open_support_world
    from evals.report import print_run
    from evals.runner import run_suite
    from evals.schema import SuiteError, load_suite
    from evals.tasks import EvalContext

    root = command_root(ctx)
    settings = root.settings
    try:
        suite = load_suite(suite_name)
    except SuiteError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if goemotions is not None and not goemotions.is_dir():
        console.print(f"[red]error:[/] {goemotions} is not a folder")
        raise typer.Exit(2)
    # the support suites play turns through the graph, which asks the model nothing on a
    # profile that trusts it with nothing (the embedded one): no server is needed then
    graph_only = suite.kind in GRAPH_ONLY_KINDS and not root.llm.profile.trusted
    if (suite.uses_llm and not graph_only) or marketing_llm:
        health = root.llm.health()
        if not health.serves_configured_model:
            console.print(
                f"[red]error:[/] the model server is not ready ({escape(health.detail)}); "
                "start it with `ressenti llm serve`"
            )
            raise typer.Exit(2)
    evaluation = EvalContext(
        settings,
        llm_factory=lambda _: root.llm,
        marketing_llm=marketing_llm,
        open_world=open_support_world,
    )
    store = root.evaluations.store
    try:
        outcome = run_suite(
            suite,
            evaluation,
            store,
            limit=limit,
            workers=workers,
            run_id=run_id,
            resume=resume,
            goemotions_dir=goemotions,
            figures=not no_figures,
            split=split,
        )
    except SuiteError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        console.print("[yellow]interrupted:[/] finished cases are stored; rerun with --resume")
        raise typer.Exit(130) from None
    finally:
        evaluation.close()
    if suite.kind == "emotion" and goemotions is None:
        console.print("note: GoEmotions left out (give --goemotions /path/to/goemotions)")
    if outcome.skipped:
        console.print(f"resumed: {outcome.skipped} case(s) already done, {outcome.ran} run now")
    figures = sorted(outcome.run.folder.glob("*.png"))
    print_run(console, outcome.run.manifest | {"folder": str(outcome.run.folder)}, figures)
    if not outcome.gates_passed:
        console.print("[red]gate failed[/]")
        raise typer.Exit(1)


@eval_app.command("list")
def list_command(
    ctx: typer.Context,
    suite: Annotated[str | None, typer.Option(help="Only this suite's runs.")] = None,
) -> None:
    """The stored runs, oldest first."""
    runs = _store(ctx).runs()
    table = Table(title="stored evaluation runs")
    table.add_column("run", no_wrap=True)
    for column in (
        "suite",
        "version",
        "status",
        "cases",
        "pass rate",
        "gates",
        "commit",
        "model",
        "started",
    ):
        table.add_column(column)
    for run in runs:
        m = run.manifest
        if suite and m.get("suite") != suite:
            continue
        metrics = m.get("metrics", {})
        gates = "—" if "gates_passed" not in m else ("pass" if m["gates_passed"] else "FAIL")
        table.add_row(
            run.id,
            m.get("suite", ""),
            str(m.get("suite_version", "")),
            m.get("status", ""),
            f"{len(run.records())}/{m.get('total_cases', '?')}",
            f"{metrics['pass_rate']:.3f}" if "pass_rate" in metrics else "—",
            gates,
            str(m.get("git_commit", ""))[:12],
            str(m.get("model") or "—"),
            str(m.get("started_at", "")),
        )
    console.print(table)


@eval_app.command("show")
def show_command(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="Run id, prefix or latest[:SUITE].")],
) -> None:
    """A stored run's metrics and gates."""
    from evals.report import print_run
    from evals.store import RunNotFoundError

    try:
        stored = _store(ctx).get(run)
    except RunNotFoundError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if "metrics" not in stored.manifest:
        console.print(
            f"run {stored.id} is {stored.manifest.get('status')}: "
            f"{len(stored.records())} case(s) stored"
        )
        return
    print_run(
        console,
        stored.manifest | {"folder": str(stored.folder)},
        sorted(stored.folder.glob("*.png")),
    )


@eval_app.command("compare")
def compare_command(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="The earlier run (id, prefix or latest:SUITE).")],
    b: Annotated[str, typer.Argument(help="The later run.")],
    show: Annotated[int, typer.Option(help="Case ids listed per direction.")] = 30,
) -> None:
    """Per-case regressions and improvements and metric deltas from run A to run B."""
    from evals.report import compare_runs, print_comparison, save_delta_figure
    from evals.store import RunNotFoundError

    store = _store(ctx)
    try:
        run_a, run_b = store.get(a), store.get(b)
    except RunNotFoundError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    comparison = compare_runs(run_a, run_b)
    print_comparison(console, comparison, show=show)
    figure = save_delta_figure(comparison, run_b.folder / f"compare-{run_a.id}.png")
    if figure:
        console.print(f"figure: {figure}")
