"""`ressenti analyze`: batch analysis of a file of verbatims or transcripts, and its report.

ressenti analyze INPUT [--format csv|jsonl|chatwoot] [--map text=COL,id=COL,...]
                       [--source NAME] [--restart] [--no-report]
ressenti analyze --report [--source NAME] [--lang fr|en]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from agents.analytics.alerts import AlertRules
from agents.analytics.demo import write_demo
from agents.analytics.drivers import DriverTaxonomy
from agents.analytics.pipeline import AnalysisParts, Analyzer
from agents.analytics.report import Filters, build_report
from agents.analytics.sources import InputError, InputFile, guess_format, parse_mapping
from agents.analytics.stages import StageRules
from agents.cli.root import command_root
from agents.core.lang import Lang
from agents.emotion.classifier import EmotionClassifier
from agents.emotion.fast import FastReader
from tools.crm.analysis import AnalysisInputChangedError, AnalysisStore
from tools.webhooks import WebhookSender

console = Console(stderr=True, soft_wrap=True)  # a message is one line, whatever the width
out = Console()


def analyze(
    ctx: typer.Context,
    input_path: Annotated[
        Path | None, typer.Argument(help="CSV, JSONL or Chatwoot export (JSON) to analyse.")
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option("--format", help="csv, jsonl or chatwoot (default: from the extension)."),
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option("--map", help="Fields to columns or keys: text=Verbatim,id=Ref,..."),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Name of this import (default: the file's name).")
    ] = None,
    channel: Annotated[str, typer.Option(help="Channel of messages that name none.")] = "import",
    chunk_size: Annotated[
        int | None, typer.Option(min=1, help="Messages committed together (a checkpoint each).")
    ] = None,
    restart: Annotated[
        bool, typer.Option(help="Forget this source's earlier import and start over.")
    ] = False,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Print the report (drivers, stages).")
    ] = True,
    lang: Annotated[str, typer.Option(help="Language of the report's labels: fr or en.")] = "en",
    drivers_file: Annotated[
        Path | None, typer.Option("--drivers", help="Driver taxonomy YAML (default: shipped).")
    ] = None,
    stages_file: Annotated[
        Path | None, typer.Option("--stages", help="Journey stage rules YAML.")
    ] = None,
    alerts_file: Annotated[
        Path | None, typer.Option("--alerts", help="Alert thresholds YAML.")
    ] = None,
    engine: Annotated[str, typer.Option(help="local (the only engine built).")] = "local",
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Analyse the demo company's conversations with a planted outage spike "
            "(written to DATA_DIR/analysis/demo.jsonl, source 'demo').",
        ),
    ] = False,
) -> None:
    """Analyse a file of verbatims into the store (resumable), then print the report."""
    if engine != "local":
        console.print("[red]Only the local engine is built (the Ray engine is not).[/red]")
        raise typer.Exit(code=2)
    if lang not in ("fr", "en"):
        console.print("[red]--lang is fr or en.[/red]")
        raise typer.Exit(code=2)
    try:
        taxonomy = DriverTaxonomy.load(drivers_file)
        stages = StageRules.load(stages_file)
        alert_rules = AlertRules.load(alerts_file)
    except (OSError, ValueError, KeyError) as error:
        console.print(f"[red]Cannot read a data file: {error}[/red]")
        raise typer.Exit(code=2) from None
    root = command_root(ctx)
    store = root.store.analysis
    if demo:
        input_path = root.settings.data_dir / "analysis" / "demo.jsonl"
        write_demo(input_path)
        source = source or "demo"
    if input_path is None:
        if not report:
            console.print(ctx.get_help())
            raise typer.Exit(code=2)
        print_report(store, taxonomy, stages, source, lang)  # type: ignore[arg-type]
        return
    if not input_path.is_file():
        console.print(f"[red]No input file at {input_path}.[/red]")
        raise typer.Exit(code=2)
    fmt = input_format or guess_format(input_path)
    if fmt not in ("csv", "jsonl", "chatwoot"):
        console.print(f"[red]Unknown format {fmt!r} (csv, jsonl or chatwoot).[/red]")
        raise typer.Exit(code=2)
    settings = root.settings
    webhook = None
    if settings.analytics_webhook_url:
        if not settings.analytics_webhook_secret:
            console.print("[red]RESSENTI_ANALYTICS_WEBHOOK_URL needs _SECRET too.[/red]")
            raise typer.Exit(code=2)
        webhook = WebhookSender(settings.analytics_webhook_url, settings.analytics_webhook_secret)
    name = (source or input_path.stem)[:100]
    try:
        input_file = InputFile(input_path, fmt, parse_mapping(mapping), channel)  # type: ignore[arg-type]
        parts = AnalysisParts(
            reader=FastReader(EmotionClassifier.load(settings.emotion_model_path)),
            taxonomy=taxonomy,
            stages=stages,
            alert_rules=alert_rules,
            webhook=webhook,
        )
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("validating", total=None)
            summary = Analyzer(store, parts).run(
                input_file,
                source=name,
                chunk_size=chunk_size or settings.analytics_chunk_size,
                restart=restart,
                on_total=lambda total: progress.update(task, total=total),
                on_progress=lambda count: progress.advance(task, count),
                on_phase=lambda phase: progress.update(task, description=phase),
            )
    except InputError as error:
        console.print(f"[red]{input_path} cannot be analysed; nothing was stored:[/red]")
        for problem in error.problems:
            console.print(f"  {problem}")
        if error.more:
            console.print(f"  … and {error.more} more")
        raise typer.Exit(code=1) from None
    except AnalysisInputChangedError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        if webhook is not None:
            webhook.close()
    if summary.already_done:
        console.print(
            f"Source {name!r} was already analysed from this file "
            f"({summary.messages} messages); nothing to do (--restart to redo it)."
        )
    else:
        resumed = f", resumed after {summary.resumed_from}" if summary.resumed_from else ""
        console.print(
            f"Analysed {summary.messages} messages of {input_path.name} as {name!r}{resumed}: "
            f"{summary.read} customer messages read in this run, "
            f"{summary.conversations} conversations, {summary.topics} topics, "
            f"{summary.alerts} alerts ({summary.new_alerts} new)"
            + (
                f", {summary.without_consent} without consent to emotion analysis"
                if summary.without_consent
                else ""
            )
            + f" in {summary.seconds.get('total', 0):.1f} s."
        )
        for outcome in summary.webhooks:
            console.print(f"  webhook: {outcome}")
    if report:
        print_report(store, taxonomy, stages, name, lang)  # type: ignore[arg-type]


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def print_report(
    store: AnalysisStore,
    taxonomy: DriverTaxonomy,
    stages: StageRules,
    source: str | None,
    lang: Lang,
) -> None:
    """The drivers with their impact, KPIs by stage, topics and alerts."""
    data = build_report(store, Filters(sources=(source,) if source else ()), taxonomy)
    if data.empty:
        out.print("No analysed conversation" + (f" for source {source!r}." if source else "."))
        return
    out.print(
        f"{len(data.conversations)} conversations"
        + (f" of {source!r}" if source else " (every source)")
    )
    drivers = Table(title="Drivers and irritants (impact: with − without, 95% interval)")
    for column in (
        "driver",
        "conversations",
        "% of negative",
        "% of positive",
        "end valence",
        "Δ end valence",
        "Δ effort",
        "Δ escalation",
    ):
        drivers.add_column(column, justify="left" if column == "driver" else "right")
    for impact in data.drivers:
        drivers.add_row(
            taxonomy.title(impact.driver, lang),
            str(impact.conversations),
            f"{impact.negative_share:.0%}",
            f"{impact.positive_share:.0%}",
            f"{impact.end_valence:+.2f}",
            impact.end_valence_diff.text(),
            impact.effort_diff.text(),
            impact.escalation_diff.text(digits=0, scale=100, unit=" pts"),
        )
    out.print(drivers)
    by_stage = Table(title="By journey stage")
    for column in (
        "stage",
        "conversations",
        "end valence",
        "% negative",
        "effort",
        "% escalated",
        "recovery (min)",
    ):
        by_stage.add_column(column, justify="left" if column == "stage" else "right")
    for kpi in data.by_stage:
        by_stage.add_row(
            stages.title(kpi.group, lang),
            str(kpi.conversations),
            f"{kpi.end_valence:+.2f}",
            f"{kpi.negative_share:.0%}",
            _num(kpi.effort),
            f"{kpi.escalation_rate:.0%}",
            _num(kpi.recovery_minutes, 0),
        )
    out.print(by_stage)
    if data.topics:
        topics = Table(title="Topics discovered in the negative messages")
        for column in ("topic", "messages", "example"):
            topics.add_column(column)
        for topic in data.topics:
            topics.add_row(topic.name, str(topic.size), (topic.examples or [""])[0][:90])
        out.print(topics)
    if data.alerts:
        alerts = Table(title="Alerts")
        for column in ("window", "kind", "key", "metric", "baseline", "value", "messages"):
            alerts.add_column(column)
        for alert in data.alerts[:20]:
            key = taxonomy.title(alert.key, lang) if alert.kind == "driver" else alert.key
            alerts.add_row(
                alert.window_start.strftime("%Y-%m-%d %H:%M"),
                alert.kind,
                key,
                alert.metric,
                _num(alert.baseline),
                _num(alert.value),
                str(alert.messages),
            )
        out.print(alerts)
