"""`ressenti channels check`: tests the connection of each configured channel and says
clearly what is wrong (exit 1 when a configured channel fails; a channel not configured
only says what it needs)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from agents.channels.registry import check_all
from agents.cli.texts import say
from agents.core.config import Settings
from agents.core.lang import is_lang

channels_app = typer.Typer(help="Helpdesk and mail channels.", no_args_is_help=True)
console = Console()
STYLES = {"ok": "green", "failed": "red", "not_configured": "yellow"}


@channels_app.command("check")
def check(
    lang: str = typer.Option("fr", "--lang", help="Language of the report: fr or en."),
) -> None:
    """Test each channel's connections (Chatwoot: its profile endpoint with the token;
    e-mail: the IMAP login and folder, the SMTP connection and login). Nothing is sent."""
    chosen = lang if is_lang(lang) else "fr"
    failed = False
    for result in check_all(Settings()):
        status = say(f"channel_{result.status}", chosen)
        detail = result.detail
        if result.problem is not None:
            detail = f"{say(f'channel_problem_{result.problem}', chosen)} — {detail}"
        line = say(
            f"channel_line_{result.status}",
            chosen,
            channel=result.channel,
            target=result.target,
            detail=detail,
        )
        console.print(f"[{STYLES[result.status]}]{status}[/] {escape(line)}", soft_wrap=True)
        failed = failed or result.status == "failed"
    if failed:
        raise typer.Exit(1)
