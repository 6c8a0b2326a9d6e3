"""`ressenti support run`: play a conversation through Intake and the support graph."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import BaseModel, Field, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from agents.cli.root import command_root
from agents.core.config import Settings
from agents.core.lang import Lang
from agents.llm.client import LLMError
from agents.support.schemas import ApprovalDecision, InboundMessage, TurnChannel
from agents.support.service import DraftToken, SupportService, TurnResult

support_app = typer.Typer(help="The support agent: messages in, approved replies or handoffs out.")
console = Console()


class ConversationScript(BaseModel):
    """A conversation file: who writes, on which channel, and the messages in order."""

    customer: str = Field(description="CRM customer id or e-mail.")
    channel: TurnChannel = "email"
    lang: Lang | None = None
    subject: str = "Conversation"
    messages: list[str] = Field(min_length=1)


def _load_script(path: Path) -> ConversationScript:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ConversationScript.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        console.print(f"[red]error:[/] {path} is not a usable conversation file:\n{exc}")
        raise typer.Exit(2) from exc


def _show(result: TurnResult) -> None:
    request = result.approval_request
    reading = request.reading if request else None
    if result.handoff and result.handoff.emotion_trajectory:
        reading = result.handoff.emotion_trajectory[-1]
    if reading:
        flags = ", ".join(reading.flags.raised()) or "—"
        console.print(
            f"  reading: [bold]{reading.label}[/] valence {reading.valence:+.2f} "
            f"intensity {reading.intensity:.2f} effort {reading.effort:.2f} "
            f"urgency {reading.urgency:.2f} flags {flags}"
        )
    if result.decision:
        for hit in result.decision.hits:
            console.print(f"  rule fired: [yellow]{hit.rule}[/] {escape(str(hit.seen))}")
        if not result.decision.hits:
            console.print("  routing: no escalation rule fired")
    if request and request.draft_mode in ("extractive", "closing"):
        # composed by code (the model's profile does not trust it to draft, or a closing
        # message needs no answer from the passages): nothing was streamed, so it is shown whole
        title = {
            "extractive": "draft (extractive, from the passages)",
            "closing": "draft (closing reply)",
        }
        console.print(Panel(escape(request.draft), title=title[request.draft_mode]))
    for finding in result.findings:
        console.print(f"  check: {finding.kind} — {escape(finding.detail)}")
    if result.handoff:
        h = result.handoff
        body = (
            f"priority: {h.priority}\nsummary: {h.summary}\n"
            f"tried: {'; '.join(h.tried)}\nsuggested opening: {h.suggested_opening}"
        )
        console.print(Panel(escape(body), title=f"handed to a person ({result.outcome})"))
    console.print(f"  outcome: [bold]{result.outcome or result.status}[/]")


def _ask_decision() -> ApprovalDecision:
    choice = typer.prompt("  [a]ccept, [e]dit, [r]edraft, re[j]ect, [t]ake over", default="a")
    match choice.strip().lower()[:1]:
        case "e":
            return ApprovalDecision(action="edit", text=typer.prompt("  edited reply"))
        case "r":
            return ApprovalDecision(action="respond", instruction=typer.prompt("  instruction"))
        case "j":
            return ApprovalDecision(action="reject")
        case "t":
            return ApprovalDecision(action="take_over")
        case _:
            return ApprovalDecision(action="accept")


def _play(service: SupportService, stream: Any) -> TurnResult:
    result: TurnResult | None = None
    for event in stream:
        if isinstance(event, DraftToken):
            sys.stdout.write(event.text)
            sys.stdout.flush()
        else:
            result = event
    sys.stdout.write("\n")
    assert result is not None
    return result


def auto_approver(settings: Settings) -> str | None:
    """The reviewer auto-approved drafts are recorded under, where auto-approval is
    allowed: in demo mode, or over a throwaway data folder (under the system's temporary
    directory). None elsewhere: a real outbox gets no decision nobody made."""
    if settings.demo_active:
        return "auto-approve (demo mode)"
    temporary = Path(tempfile.gettempdir()).resolve()
    if settings.data_dir.resolve().is_relative_to(temporary):
        return "auto-approve (throwaway data folder)"
    return None


@support_app.command("run")
def run(
    ctx: typer.Context,
    conversation: Annotated[Path, typer.Option(help="Conversation file (YAML or JSON).")],
    auto_approve: Annotated[
        bool,
        typer.Option(
            help="Accept every draft (scripted runs): only in demo mode (RESSENTI_DEMO_MODE)"
            " or over a throwaway data folder under the temporary directory, recorded so."
        ),
    ] = False,
) -> None:
    """Play a conversation through the graph, printing readings, routing and drafts. Each
    message goes through Intake (stored first) and its turn runs here."""
    from tools.crm.errors import CustomerNotFoundError

    script = _load_script(conversation)
    root = command_root(ctx, report=lambda line: console.print(line))
    reviewer = auto_approver(root.settings) if auto_approve else None
    if auto_approve and reviewer is None:
        console.print(
            "[red]error:[/] --auto-approve writes to the outbox with no person deciding: it is"
            " allowed only in demo mode (RESSENTI_DEMO_MODE=true) or over a throwaway data"
            f" folder under {tempfile.gettempdir()} (RESSENTI_DATA_DIR)."
        )
        raise typer.Exit(2)
    store = root.store
    try:
        customer = store.find_customer(script.customer)
    except CustomerNotFoundError as exc:
        console.print(f"[red]error:[/] {exc}. Load the demo data with `ressenti crm seed`.")
        raise typer.Exit(2) from exc
    conversation_id = store.open_conversation(
        customer.id, channel=script.channel, subject=script.subject, language=script.lang
    )
    service = root.support
    console.print(f"Conversation {conversation_id} with {customer.first_name} {customer.last_name}")
    try:
        for number, text in enumerate(script.messages, start=1):
            console.rule(f"message {number}")
            console.print(f"[cyan]customer:[/] {escape(text)}")
            message = InboundMessage(
                conversation_id=conversation_id, text=text, channel=script.channel, lang=script.lang
            )
            result = _play(service, service.stream(message))
            _show(result)
            while result.outcome == "awaiting_approval":
                if reviewer is not None:
                    decision = ApprovalDecision(action="accept", reviewer=reviewer)
                elif sys.stdin.isatty():
                    decision = _ask_decision()
                else:
                    console.print("  (left awaiting approval: no terminal and no --auto-approve)")
                    return
                result = _play(service, service.resume_stream(conversation_id, decision))
                _show(result)
            if result.outcome in ("handed_off", "taken_over", "failed", "rejected"):
                console.print("The conversation is with a person now; the rest is not played.")
                return
    except LLMError as exc:
        console.print(f"[red]error:[/] {exc.user_message}")
        raise typer.Exit(1) from exc
