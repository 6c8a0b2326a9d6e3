"""`ressenti kb …`: ingest the knowledge documents, search them, measure retrieval."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import chromadb
import typer
from rich.console import Console
from rich.table import Table

from agents.cli.root import command_root
from knowledge import KNOWLEDGE_DIR
from tools.embeddings import EmbedderError, get_embedder
from tools.kb.ingest import EmptySourceError, IngestReport, ingest_folder
from tools.kb.search import KnowledgeBase
from tools.kb.store import StoreError, chroma_settings, open_collection

kb_app = typer.Typer(
    help="The knowledge base (Chroma): ingest, search, evaluate.", no_args_is_help=True
)

_err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    _err.print(f"[red]error:[/red] {message}")
    return typer.Exit(1)


def _print_report(report: IngestReport) -> None:
    _err.print(
        f"Ingested {report.folder}: {report.documents} documents, {report.chunks} chunks "
        f"({report.added} embedded, {report.unchanged} unchanged, {report.removed} removed) "
        f"in {report.seconds:.1f} s"
    )
    if report.skipped:
        table = Table(title=f"Skipped files ({len(report.skipped)})", title_justify="left")
        table.add_column("file")
        table.add_column("reason")
        for skipped in report.skipped:
            table.add_row(skipped.path, skipped.reason)
        _err.print(table)


@kb_app.command()
def ingest(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="Folder (or file) of documents; default: the demo knowledge.")
    ] = KNOWLEDGE_DIR,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Index Markdown, HTML, PDF and text files so that the index mirrors PATH."""
    try:
        kb = command_root(ctx).knowledge_base
        report = kb.ingest(path, show_progress=not as_json)
    except (EmbedderError, StoreError, EmptySourceError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2, ensure_ascii=False))
    else:
        _print_report(report)


@kb_app.command()
def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="Question, in French or English."),
    lang: str | None = typer.Option(None, help="Only passages in this language (fr, en)."),
    k: int | None = typer.Option(None, "-k", help="How many passages (default: settings)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the passages closest to QUERY, with citation ids and scores (exit 2 if none is good)."""
    try:
        kb = command_root(ctx).knowledge_base
    except (EmbedderError, StoreError) as exc:
        raise _fail(str(exc)) from exc
    if kb.count() == 0:
        raise _fail("the knowledge base is empty: run `ressenti kb ingest` first")
    result = kb.search(query, lang=lang, k=k)
    if as_json:
        payload = {
            "query": result.query,
            "confident": result.confident,
            "min_score": result.min_score,
            "passages": [asdict(passage) for passage in result.passages],
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        verdict = "good match" if result.confident else "NO GOOD PASSAGE"
        typer.echo(f"{verdict} (best {result.top_score:.3f}, threshold {result.min_score:.2f})")
        for passage in result.passages:
            typer.echo(
                f"\n[{passage.citation}] {passage.score:.3f}  {passage.title} › {passage.section}"
            )
            typer.echo(passage.text)
    if not result.confident:
        raise typer.Exit(2)


@kb_app.command("eval")
def evaluate_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Option(help="Documents to index for the eval.")] = KNOWLEDGE_DIR,
    embedder: str | None = typer.Option(None, help="Embedder to measure (default: settings)."),
    k: int = typer.Option(5, "-k", help="Cut-off of recall@k."),
    min_score: float | None = typer.Option(None, help="Confidence threshold (default: settings)."),
    show_misses: bool = typer.Option(False, "--misses", help="List questions not found in top k."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Recall@k and MRR on the labelled questions, over a throwaway in-memory index of PATH."""
    from evals.retrieval import evaluate, load_questions

    settings = command_root(ctx).settings
    try:
        model = get_embedder(embedder or settings.embedder)
    except EmbedderError as exc:
        raise _fail(str(exc)) from exc
    client = chromadb.EphemeralClient(settings=chroma_settings())
    collection = open_collection(client, "eval", model)
    try:
        ingest_folder(path, collection, model, show_progress=not as_json)
        threshold = settings.retrieval_min_score if min_score is None else min_score
        kb = KnowledgeBase(collection, model, min_score=threshold, top_k=k)
        scores = evaluate(kb, load_questions(), k=k)
    finally:
        client.delete_collection(collection.name)
    answer_tops = [o.top_score for o in scores.answerable]
    off_tops = [o.top_score for o in scores.off_topic]
    summary = {
        "embedder": model.name,
        "k": k,
        "questions": len(scores.answerable),
        "off_topic_probes": len(scores.off_topic),
        "slices": {
            name: {"n": len(items), f"recall@{k}": scores.recall(items), "mrr": scores.mrr(items)}
            for name, items in scores.slices().items()
        },
        "threshold": threshold,
        "confident_answerable": scores.confident_answerable(),
        "confident_off_topic": scores.confident_off_topic("off-topic"),
        "confident_near_domain": scores.confident_off_topic("near-domain"),
        "top_score_answerable_median": statistics.median(answer_tops) if answer_tops else 0.0,
        "top_score_answerable_min": min(answer_tops, default=0.0),
        "top_score_off_topic_max": max(off_tops, default=0.0),
        "misses": [
            {"id": o.question.id, "question": o.question.question, "got": list(o.ranked_docs)}
            for o in scores.misses()
        ],
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"Retrieval eval — {model.name}, {len(scores.answerable)} questions")
    for column in ("slice", "n", f"recall@{k}", "MRR"):
        table.add_column(column)
    for name, items in scores.slices().items():
        table.add_row(
            name, str(len(items)), f"{scores.recall(items):.3f}", f"{scores.mrr(items):.3f}"
        )
    Console().print(table)
    typer.echo(
        f"threshold {threshold:.2f}: confident on {scores.confident_answerable():.0%} of "
        f"answerable questions, {summary['confident_off_topic']:.0%} of off-topic probes, "
        f"{summary['confident_near_domain']:.0%} of near-domain unanswerable ones; "
        f"best score median {summary['top_score_answerable_median']:.3f} "
        f"(min {summary['top_score_answerable_min']:.3f}), off-topic max "
        f"{summary['top_score_off_topic_max']:.3f}"
    )
    if show_misses:
        for miss in summary["misses"]:  # type: ignore[attr-defined]
            typer.echo(f"  miss {miss['id']}: {miss['question']} -> {miss['got']}")
