"""`ressenti tokens …`: bearer tokens of the HTTP API (created, listed, revoked).

A token is printed once, when it is created: only its hash is kept. `list` shows each
token's name, role, first characters and dates, never the token.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agents.cli.root import command_root
from agents.services.tokens import TOKEN_ROLES, TokenError, TokenRole

tokens_app = typer.Typer(help="Bearer tokens of the HTTP API.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

Name = Annotated[str, typer.Option("--name", help="What the token is for (unique while live).")]


@tokens_app.command("create")
def create(
    ctx: typer.Context,
    name: Name,
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(TOKEN_ROLES)}.")],
) -> None:
    """Create a token and print it (this once: only its hash is kept)."""
    if role not in TOKEN_ROLES:
        errors.print(f"[red]Unknown role {role!r}: one of {', '.join(TOKEN_ROLES)}.[/red]")
        raise typer.Exit(2)
    chosen: TokenRole = role
    try:
        token, info = command_root(ctx).tokens.create(name, chosen)
    except TokenError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    errors.print(f"Created the {info.role} token {info.name!r}; it is shown once, keep it now:")
    typer.echo(token)  # alone on standard output, for scripts


@tokens_app.command("list")
def list_tokens(ctx: typer.Context) -> None:
    """List the tokens (never the tokens themselves)."""
    table = Table("name", "role", "starts with", "created", "last used", "revoked", title="Tokens")
    for info in command_root(ctx).tokens.list():
        table.add_row(
            info.name,
            info.role,
            info.prefix + "…",
            f"{info.created_at:%Y-%m-%d %H:%M}",
            f"{info.last_used_at:%Y-%m-%d %H:%M}" if info.last_used_at else "—",
            f"{info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "—",
        )
    console.print(table)


@tokens_app.command("revoke")
def revoke(ctx: typer.Context, name: Name) -> None:
    """Revoke the live token of this name: refused from the next request on."""
    try:
        info = command_root(ctx).tokens.revoke(name)
    except TokenError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Revoked the token {info.name!r}.")
