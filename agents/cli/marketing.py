"""`ressenti marketing`: draft a campaign from a brief, decide, export, list campaigns."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress
from rich.table import Table

from agents.cli.root import command_root
from agents.llm.client import LLMError
from agents.marketing.schemas import Brief, CampaignDecision
from agents.marketing.service import DraftResult, MarketingError, MarketingService
from ui.messages import notice_text

marketing_app = typer.Typer(
    help="The marketing studio: emotion-tuned e-mail drafts, compliance checks, approval."
)
console = Console()


def load_brief(path: Path) -> Brief:
    """A brief from a YAML or JSON file; a clear error (exit 2) when it is not usable."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Brief.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        console.print(
            f"[red]error:[/] {escape(str(path))} is not a usable brief:\n{escape(str(exc))}"
        )
        raise typer.Exit(2) from exc


def _show(result: DraftResult) -> None:
    insight = result.insight
    if insight is not None:
        emotions = ", ".join(f"{d.label} {d.share:.0%}" for d in insight.dominant_emotions) or "—"
        irritants = ", ".join(f"{i.label} ({i.conversations})" for i in insight.irritants) or "—"
        valence = f"{insight.end_valence:+.2f}" if insight.end_valence is not None else "—"
        console.print(
            Panel(
                escape(
                    f"matched {insight.matched}, recipients {insight.recipients}, "
                    f"excluded without marketing consent {insight.excluded_no_consent}, "
                    f"excluded as vulnerable {insight.excluded_vulnerable}\n"
                    f"{insight.conversations} recent conversation(s); dominant emotions: "
                    f"{emotions}\nirritants: {irritants}; end valence {valence}\n"
                    + "\n".join(insight.notes)
                ),
                title="segment insight",
            )
        )
    for variant in result.variants:
        flags = "\n".join(f"  ⚑ {f.rule} ({f.source}): {f.detail}" for f in variant.flags)
        body = (
            f"subject: {variant.subject}\npreheader: {variant.preheader}\n"
            f"aims at: {variant.emotion} — {variant.rationale}\n\n{variant.body_text}\n"
            + (f"\ncompliance flags:\n{flags}" if flags else "\ncompliance: no flag")
        )
        console.print(Panel(escape(body), title=f"{variant.variant_id} (round {variant.round})"))
    for failure in result.failures:
        console.print(
            f"[yellow]variant {failure.index} could not be drafted:[/] {escape(failure.problem)}"
        )
    if result.notice:
        console.print(f"[yellow]{escape(notice_text(result.notice, 'en'))}[/]")
    console.print(f"campaign [bold]{result.campaign_id}[/]: {result.status}")


def _ask(result: DraftResult) -> CampaignDecision:
    choice = (
        typer.prompt("  [a]pprove VARIANT, [r]eject, another r[o]und", default="a")
        .strip()
        .lower()[:1]
    )
    if choice == "r":
        return CampaignDecision(action="reject", reviewer="cli")
    if choice == "o":
        return CampaignDecision(
            action="another_round", instruction=typer.prompt("  instruction"), reviewer="cli"
        )
    variant_id = typer.prompt(
        "  variant id", default=result.variants[0].variant_id if result.variants else "V1"
    )
    reason = None
    chosen = next((v for v in result.variants if v.variant_id == variant_id), None)
    if chosen and chosen.flags:
        reason = typer.prompt("  this variant is flagged; override reason (recorded)")
    return CampaignDecision(
        action="approve", variant_id=variant_id, override_reason=reason, reviewer="cli"
    )


def _variant_id(spec: str, result: DraftResult) -> str:
    """`2` or `V2` → the id of that variant of the current round."""
    if spec.isdigit():
        index = int(spec) - 1
        if 0 <= index < len(result.variants):
            return result.variants[index].variant_id
    return spec.upper()


def _export(service: MarketingService, campaign_id: str, out: Path) -> None:
    campaign = service.campaign(campaign_id)
    total = len(campaign.variants)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("writing e-mails", total=None)
        report = service.export(campaign_id, out, on_email=lambda: progress.advance(task))
    console.print(
        f"exported {len(report.emails)} e-mail(s) of {report.variant_id} and "
        f"{len(report.previews)} preview(s) (of {total} variant(s)) to "
        f"{escape(str(report.folder))}; "
        f"excluded without consent {report.excluded_no_consent}, "
        f"vulnerable {report.excluded_vulnerable}"
    )


@marketing_app.command("draft")
def draft(
    ctx: typer.Context,
    brief: Annotated[Path, typer.Option(help="Brief file (YAML or JSON).")],
    auto_approve: Annotated[
        str | None,
        typer.Option(help="Approve this variant without asking (`1`, `V1`...), for scripted runs."),
    ] = None,
    override_reason: Annotated[
        str | None,
        typer.Option(help="With --auto-approve: reason recorded if the variant is flagged."),
    ] = None,
    reviewer: Annotated[str, typer.Option(help="Name recorded with the decision.")] = "cli",
    out: Annotated[
        Path | None, typer.Option(help="Export the approved campaign to this folder.")
    ] = None,
) -> None:
    """Draft a campaign from a brief: insight, variants, compliance flags, then approval."""
    parsed = load_brief(brief)
    service = command_root(ctx, report=lambda line: console.print(line)).marketing
    try:
        with console.status("drafting variants…"):
            result = service.draft(parsed)
        _show(result)
        while result.status == "awaiting_approval":
            if auto_approve and not result.variants:
                console.print(
                    "[red]no usable variant was drafted[/] (see above): the campaign stays "
                    f"awaiting approval; `ressenti marketing decide {result.campaign_id} "
                    "--action another_round --instruction …` or `--action reject`"
                )
                raise typer.Exit(3)
            if auto_approve:
                decision = CampaignDecision(
                    action="approve",
                    variant_id=_variant_id(auto_approve, result),
                    override_reason=override_reason,
                    reviewer=reviewer,
                )
                auto_approve = None  # once: a refused decision is reported, not retried
            elif sys.stdin.isatty():
                decision = _ask(result)
            else:
                console.print(
                    f"left awaiting approval (no terminal): `ressenti marketing decide "
                    f"{result.campaign_id} …`"
                )
                return
            try:
                result = service.decide(result.campaign_id, decision)
            except MarketingError as exc:
                console.print(f"[red]refused:[/] {escape(str(exc))}")
                if not sys.stdin.isatty():
                    raise typer.Exit(3) from exc
                continue
            _show(result)
        if out is not None and result.status == "approved":
            _export(service, result.campaign_id, out)
    except LLMError as exc:
        console.print(f"[red]error:[/] {exc.user_message}")
        raise typer.Exit(1) from exc


@marketing_app.command("decide")
def decide(
    ctx: typer.Context,
    campaign_id: str,
    action: Annotated[str, typer.Option(help="approve, reject or another_round.")] = "approve",
    variant: Annotated[str | None, typer.Option(help="Variant id, for approve.")] = None,
    instruction: Annotated[str | None, typer.Option(help="For another_round.")] = None,
    override_reason: Annotated[str | None, typer.Option(help="Recorded override reason.")] = None,
    reviewer: Annotated[str, typer.Option(help="Name recorded with the decision.")] = "cli",
) -> None:
    """Decide on a campaign waiting for approval."""
    try:
        decision = CampaignDecision.model_validate(
            {
                "action": action,
                "variant_id": variant.upper() if variant else None,
                "instruction": instruction,
                "override_reason": override_reason,
                "reviewer": reviewer,
            }
        )
    except ValidationError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    service = command_root(ctx).marketing
    try:
        _show(service.decide(campaign_id, decision))
    except MarketingError as exc:
        console.print(f"[red]refused:[/] {escape(str(exc))}")
        raise typer.Exit(3) from exc
    except LLMError as exc:
        console.print(f"[red]error:[/] {exc.user_message}")
        raise typer.Exit(1) from exc


@marketing_app.command("export")
def export(
    ctx: typer.Context, campaign_id: str, out: Annotated[Path, typer.Option(help="Folder.")]
) -> None:
    """Export an approved campaign: one .eml per recipient, one HTML preview per variant."""
    service = command_root(ctx).marketing
    try:
        _export(service, campaign_id, out)
    except MarketingError as exc:
        console.print(f"[red]refused:[/] {escape(str(exc))}")
        raise typer.Exit(3) from exc


@marketing_app.command("campaigns")
def campaigns(ctx: typer.Context) -> None:
    """List campaigns, newest first."""
    service = command_root(ctx).marketing
    table = Table("id", "name", "lang", "emotion", "status", "approved", "created")
    for c in service.campaigns():
        table.add_row(
            c.id,
            escape(c.name),
            c.language,
            c.target_emotion,
            c.status,
            c.approved_variant_id or "—",
            f"{c.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)
