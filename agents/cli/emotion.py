"""`ressenti emotion`: read a JSONL file of messages, and evaluate the readers.

ressenti emotion --input IN.jsonl --output OUT.jsonl [--deep]
ressenti emotion eval [--set PATH]
ressenti emotion goemotions-eval --data PATH [--image-dir DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from agents.cli.root import command_root
from agents.core.config import Settings
from agents.emotion.batch import DEFAULT_BATCH_SIZE, BadLine, read_file
from agents.emotion.classifier import EmotionClassifier
from agents.emotion.fast import FastReader

emotion_app = typer.Typer(
    name="emotion",
    help="Read customer emotion (fast trained reader, optional LLM reader) and evaluate it.",
    invoke_without_command=True,
    no_args_is_help=False,
)
console = Console(stderr=True)


def _fast_reader(settings: Settings) -> FastReader:
    return FastReader(EmotionClassifier.load(settings.emotion_model_path))


def _lines_with_progress(handle: TextIO, progress: Progress, task: object) -> Iterator[str]:
    pending = 0
    for line in handle:
        pending += len(line.encode("utf-8"))
        if pending >= 65536:
            progress.advance(task, pending)  # type: ignore[arg-type]
            pending = 0
        yield line
    progress.advance(task, pending)  # type: ignore[arg-type]


@emotion_app.callback()
def read_messages(
    ctx: typer.Context,
    input_path: Annotated[
        Path | None,
        typer.Option("--input", "-i", help="JSONL file: one {id, text, lang?} object a line."),
    ] = None,
    output_path: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSONL file of readings to write.")
    ] = None,
    deep: Annotated[
        bool | None,
        typer.Option(
            "--deep/--fast-only",
            help="Also ask the LLM and fuse its reading (default: RESSENTI_EMOTION_DEEP_ENABLED).",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Messages embedded together.")
    ] = DEFAULT_BATCH_SIZE,
) -> None:
    """Read every message of --input and write its emotion reading to --output."""
    if ctx.invoked_subcommand is not None:
        return
    if input_path is None or output_path is None:
        console.print(ctx.get_help())
        raise typer.Exit(code=0 if input_path is None and output_path is None else 2)
    if not input_path.is_file():
        console.print(f"[red]No input file at {input_path}.[/red]")
        raise typer.Exit(code=2)
    root = command_root(ctx)
    settings = root.settings
    fast_reader = _fast_reader(settings)
    deep_reader = None
    if deep is None:
        deep = settings.emotion_deep_enabled
    if deep:
        from agents.emotion.deep import DeepReader

        deep_reader = DeepReader(root.llm, timeout_s=settings.emotion_deep_timeout_s)

    def report(bad: BadLine) -> None:
        console.print(f"[yellow]line {bad.number}: skipped, {bad.reason}[/yellow]")

    output_path.parent.mkdir(parents=True, exist_ok=True)
    columns = (
        TextColumn("reading emotions"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with (
        input_path.open(encoding="utf-8") as source,
        output_path.open("w", encoding="utf-8") as target,
        Progress(*columns, console=console, transient=True) as progress,
    ):
        task = progress.add_task("read", total=input_path.stat().st_size)
        summary = read_file(
            _lines_with_progress(source, progress, task),
            target,
            fast_reader,
            deep_reader=deep_reader,
            deep_weight=settings.emotion_deep_weight,
            strong_score=settings.emotion_strong_score,
            batch_size=batch_size,
            on_bad=report,
        )
    if deep_reader is not None:
        deep_reader.close()
    note = (
        f", {summary.deep_fallbacks} deep reading(s) fell back on the fast reader" if deep else ""
    )
    console.print(
        f"{summary.written} reading(s) written to {output_path}, "
        f"{summary.bad} bad line(s) skipped{note}."
    )


@emotion_app.command("eval")
def evaluate_curated(
    ctx: typer.Context,
    set_path: Annotated[
        Path | None,
        typer.Option(
            "--set", help="Curated JSONL set (default: evals/emotion/customer_service.jsonl)."
        ),
    ] = None,
    details: Annotated[bool, typer.Option(help="List every message read wrongly.")] = False,
) -> None:
    """Score the fast reader on the curated customer-service set, overall and per language."""
    from evals.emotion.customer_service import classifier_labels, load_curated, score_curated

    settings = command_root(ctx).settings
    reader = _fast_reader(settings)
    messages = load_curated(set_path)
    readings = reader.read_batch([m.text for m in messages], [m.lang for m in messages])
    plain = classifier_labels(reader, [m.text for m in messages])
    results = score_curated(messages, readings, plain)
    out = Console()
    table = Table(title=f"Fast reader on {set_path or 'the curated customer-service set'}")
    for column in (
        "subset",
        "n",
        "label acc",
        "label macro-F1",
        "classifier-only acc",
        "classifier-only macro-F1",
        "intensity band acc",
        "effort band acc",
    ):
        table.add_column(column)
    for r in results:
        table.add_row(
            r.subset,
            str(r.messages),
            f"{r.label_accuracy:.3f}",
            f"{r.label_macro_f1:.3f}",
            f"{r.classifier_only_accuracy:.3f}",
            f"{r.classifier_only_macro_f1:.3f}",
            f"{r.intensity_band_accuracy:.3f}",
            f"{r.effort_band_accuracy:.3f}",
        )
    out.print(table)
    flags = Table(title="Flags (precision / recall / F1, support)")
    flags.add_column("subset")
    for name in results[0].flags:
        flags.add_column(name)
    for r in results:
        flags.add_row(
            r.subset,
            *(
                f"{c.precision:.2f} / {c.recall:.2f} / {c.f1:.2f} ({c.support})"
                for c in r.flags.values()
            ),
        )
    out.print(flags)
    labels = Table(title="Per-label F1 (full fast reader)")
    labels.add_column("subset")
    for c in results[0].per_label:
        labels.add_column(c.label)
    for r in results:
        labels.add_row(r.subset, *(f"{c.f1:.2f}" for c in r.per_label))
    out.print(labels)
    if details:
        for message, reading in zip(messages, readings, strict=True):
            wrong = []
            if reading.label != message.label:
                wrong.append(f"label {message.label}→{reading.label}")
            if reading.intensity_band != message.intensity:
                wrong.append(f"intensity {message.intensity}→{reading.intensity_band}")
            if reading.effort_band != message.effort:
                wrong.append(f"effort {message.effort}→{reading.effort_band}")
            if set(reading.flags.raised()) != set(message.flags):
                wrong.append(f"flags {sorted(message.flags)}→{reading.flags.raised()}")
            if wrong:
                out.print(f"{message.id}: {'; '.join(wrong)} | {message.text}", markup=False)


@emotion_app.command("goemotions-eval")
def evaluate_goemotions(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(help="GoEmotions folder (original/, ekman/, group/).")],
    image_dir: Annotated[
        Path, typer.Option(help="Where the confusion-matrix images are written.")
    ] = Path("var/emotion"),
    cache_dir: Annotated[
        Path | None, typer.Option(help="Embedding cache (default ~/.cache/ressenti-dev/emotion).")
    ] = None,
) -> None:
    """Macro-F1, per-class F1 and confusion matrices of the shipped classifier (GoEmotions test)."""
    from evals.emotion.goemotions_eval import evaluate_goemotions as run
    from evals.emotion.goemotions_eval import save_confusion_image

    if not data.is_dir():
        console.print(f"[red]No GoEmotions folder at {data}.[/red]")
        raise typer.Exit(code=2)
    settings = command_root(ctx).settings
    classifier = EmotionClassifier.load(settings.emotion_model_path)
    out = Console()
    out.print(
        f"Classifier on '{classifier.embedder}' embeddings, trained on "
        f"{classifier.metadata.get('train_rows')} GoEmotions train rows; test split, "
        "thresholds tuned on dev. Published anchor (BERT-base fine-tuned, Ekman level): "
        "macro-F1 0.64 (paper) / 0.62 (re-run)."
    )
    for evaluation in run(data, classifier, cache_dir):
        table = Table(title=f"{evaluation.head} head: macro-F1 {evaluation.report.macro_f1:.3f}")
        for column in ("label", "precision", "recall", "F1", "support"):
            table.add_column(column)
        for c in evaluation.report.classes:
            table.add_row(
                c.label, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", str(c.support)
            )
        out.print(table)
        matrix = Table(
            title=f"{evaluation.head} confusion ({evaluation.single_label_rows} single-label rows; "
            "rows gold, columns predicted)"
        )
        matrix.add_column("gold \\ predicted")
        for label in evaluation.labels:
            matrix.add_column(label[:8])
        for label, row in zip(evaluation.labels, evaluation.confusion, strict=True):
            matrix.add_row(label, *(str(int(v)) for v in row))
        out.print(matrix)
        image = image_dir / f"goemotions-confusion-{evaluation.head}.png"
        save_confusion_image(evaluation, image)
        out.print(f"confusion matrix image: {image}")
    sys.stdout.flush()


@emotion_app.command("trajectory")
def show_trajectory(
    ctx: typer.Context,
    conversation: Annotated[str, typer.Argument(help="Conversation id in the CRM store.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the KPIs as JSON.")] = False,
) -> None:
    """A stored conversation's readings in order and its KPIs (end valence, recovery…)."""
    import json
    from dataclasses import asdict

    from agents.emotion.stored import conversation_trajectory
    from agents.emotion.trajectory import conversation_kpis
    from tools.crm.errors import CRMError

    root = command_root(ctx)
    settings, store = root.settings, root.store
    try:
        customer_id = store.conversation_customer(conversation)
        points = conversation_trajectory(store.scope(customer_id), conversation)
    except CRMError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    if not points:
        console.print(f"[yellow]conversation {conversation} has no stored reading[/]")
        raise typer.Exit(1)
    kpis = conversation_kpis(points, recovery_valence=settings.emotion_recovery_valence)
    if as_json:
        sys.stdout.write(json.dumps(asdict(kpis), indent=2, default=str) + "\n")
        return
    table = Table(title=f"Conversation {conversation}")
    for column in ("#", "at", "label", "valence", "intensity", "effort", "flags"):
        table.add_column(column)
    for index, (at, reading) in enumerate(points, start=1):
        table.add_row(
            str(index),
            f"{at:%Y-%m-%d %H:%M}",
            reading.label,
            f"{reading.valence:+.2f}",
            f"{reading.intensity:.2f}",
            f"{reading.effort:.2f}",
            ", ".join(reading.flags.raised()) or "—",
        )
    Console().print(table)
    recovery = kpis.recovery
    recovered = (
        f"recovered after {recovery.messages} message(s), {recovery.minutes:.0f} min"
        if recovery.recovered and recovery.minutes is not None
        else ("did not recover" if recovery.dipped else "never dipped below the threshold")
    )
    Console().print(
        f"end valence {kpis.end_valence:+.2f} · lowest {kpis.lowest_valence:+.2f} · "
        f"peak intensity {kpis.peak_intensity:.2f} · trend {kpis.trend} · {recovered} · "
        f"max effort {kpis.max_effort:.2f} · flags {', '.join(kpis.flags) or '—'}"
    )
