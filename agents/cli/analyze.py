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
from rich.markup import escape
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
from agents.cli.texts import say
from agents.core.lang import Lang
from agents.emotion.classifier import EmotionClassifier
from agents.emotion.fast import FastReader
from tools.crm.analysis import AnalysisInputChangedError, AnalysisStore
from tools.webhooks import WebhookSender

console = Console(stderr=True, soft_wrap=True)  # a message is one line, whatever the width
out = Console()


def _lang(value: str) -> Lang:
    """The messages' language: `--lang`, English when it is not one of ours."""
    return "fr" if value == "fr" else "en"


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
    lang: Annotated[
        str, typer.Option(help="Language of the messages and the report: fr or en.")
    ] = "en",
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
    if_demo: Annotated[
        bool,
        typer.Option(
            "--if-demo",
            help="With --demo: outside demo mode, say so and do nothing (make run).",
        ),
    ] = False,
) -> None:
    """Analyse a file of verbatims into the store (resumable), then print the report."""
    if engine != "local":
        console.print(f"[red]{escape(say('analyze_engine', _lang(lang)))}[/red]")
        raise typer.Exit(code=2)
    if lang not in ("fr", "en"):
        console.print("[red]--lang is fr or en (--lang vaut fr ou en).[/red]")
        raise typer.Exit(code=2)
    chosen: Lang = _lang(lang)
    try:
        taxonomy = DriverTaxonomy.load(drivers_file)
        stages = StageRules.load(stages_file)
        alert_rules = AlertRules.load(alerts_file)
    except (OSError, ValueError, KeyError) as error:
        console.print(f"[red]{escape(say('analyze_data_file', chosen, error=error))}[/red]")
        raise typer.Exit(code=2) from None
    root = command_root(ctx)
    if demo and if_demo and not root.settings.demo_active:
        console.print(say("analyze_not_demo", chosen))
        return
    store = root.store.analysis
    if demo:
        input_path = root.settings.data_dir / "analysis" / "demo.jsonl"
        write_demo(input_path)
        source = source or "demo"
    if input_path is None:
        if not report:
            console.print(ctx.get_help())
            raise typer.Exit(code=2)
        print_report(store, taxonomy, stages, source, chosen)
        return
    if not input_path.is_file():
        console.print(f"[red]{escape(say('analyze_no_input', chosen, path=input_path))}[/red]")
        raise typer.Exit(code=2)
    fmt = input_format or guess_format(input_path)
    if fmt not in ("csv", "jsonl", "chatwoot"):
        console.print(f"[red]{escape(say('analyze_format', chosen, fmt=repr(fmt)))}[/red]")
        raise typer.Exit(code=2)
    settings = root.settings
    webhook = None
    if settings.analytics_webhook_url:
        if not settings.analytics_webhook_secret:
            console.print(f"[red]{say('analyze_webhook_secret', chosen)}[/red]")
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
            task = progress.add_task(say("analyze_phase_validating", chosen), total=None)
            summary = Analyzer(store, parts).run(
                input_file,
                source=name,
                chunk_size=chunk_size or settings.analytics_chunk_size,
                restart=restart,
                on_total=lambda total: progress.update(task, total=total),
                on_progress=lambda count: progress.advance(task, count),
                on_phase=lambda phase: progress.update(
                    task, description=say(f"analyze_phase_{phase}", chosen)
                ),
            )
    except InputError as error:
        console.print(f"[red]{escape(say('analyze_refused', chosen, path=input_path))}[/red]")
        for problem in error.problems:
            console.print(f"  {escape(str(problem))}")
        if error.more:
            console.print(f"  {say('analyze_more', chosen, count=error.more)}")
        raise typer.Exit(code=1) from None
    except AnalysisInputChangedError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        if webhook is not None:
            webhook.close()
    if summary.already_done:
        console.print(
            escape(say("analyze_already", chosen, name=repr(name), messages=summary.messages))
        )
    else:
        resumed = (
            say("analyze_resumed", chosen, count=summary.resumed_from)
            if summary.resumed_from
            else ""
        )
        consent = (
            say("analyze_without_consent", chosen, count=summary.without_consent)
            if summary.without_consent
            else ""
        )
        done = say(
            "analyze_done",
            chosen,
            messages=summary.messages,
            file=input_path.name,
            name=repr(name),
            resumed=resumed,
            read=summary.read,
            conversations=summary.conversations,
            topics=summary.topics,
            alerts=summary.alerts,
            new=summary.new_alerts,
            consent=consent,
            seconds=f"{summary.seconds.get('total', 0):.1f}",
        )
        console.print(escape(done))
        for outcome in summary.webhooks:
            console.print(f"  webhook: {outcome}")
    if report:
        print_report(store, taxonomy, stages, name, chosen)


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
        where = say("analyze_for_source", lang, source=repr(source)) if source else ""
        out.print(escape(say("analyze_empty", lang, source=where)))
        return
    which = (
        say("analyze_of_source", lang, source=repr(source))
        if source
        else say("analyze_every_source", lang)
    )
    out.print(escape(say("analyze_count", lang, count=len(data.conversations), source=which)))
    drivers = Table(title=say("analyze_drivers_title", lang))
    for column in (
        "driver",
        "conversations",
        "negative_share",
        "positive_share",
        "end_valence",
        "end_valence_diff",
        "effort_diff",
        "escalation_diff",
    ):
        drivers.add_column(
            say(f"analyze_col_{column}", lang), justify="left" if column == "driver" else "right"
        )
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
    by_stage = Table(title=say("analyze_stages_title", lang))
    for column in (
        "stage",
        "conversations",
        "end_valence",
        "negative",
        "effort",
        "escalated",
        "recovery",
    ):
        by_stage.add_column(
            say(f"analyze_col_{column}", lang), justify="left" if column == "stage" else "right"
        )
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
        topics = Table(title=say("analyze_topics_title", lang))
        for column in ("topic", "messages", "example"):
            topics.add_column(say(f"analyze_col_{column}", lang))
        for topic in data.topics:
            topics.add_row(topic.name, str(topic.size), (topic.examples or [""])[0][:90])
        out.print(topics)
    if data.alerts:
        alerts = Table(title=say("analyze_alerts_title", lang))
        for column in ("window", "kind", "key", "metric", "baseline", "value", "messages"):
            alerts.add_column(say(f"analyze_col_{column}", lang))
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
