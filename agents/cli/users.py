"""`ressenti users …`: the first admin, more accounts, the demo accounts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agents.cli.root import command_root
from agents.services.accounts import (
    DEMO_PASSWORD,
    ROLES,
    AccountError,
    Role,
    seed_demo_accounts,
)

users_app = typer.Typer(help="App accounts: sign-in and roles.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _create(ctx: typer.Context, email: str, role: Role, name: str | None, from_stdin: bool) -> None:
    accounts = command_root(ctx).accounts
    try:
        account = accounts.create(email, _password(from_stdin), role, name)
    except AccountError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Created {account.role} account {account.email}.")


@users_app.command("create-admin")
def create_admin(
    ctx: typer.Context,
    email: Annotated[str, typer.Option("--email", help="The admin's e-mail (their sign-in).")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an admin account (the first one, or another)."""
    _create(ctx, email, "admin", name, password_stdin)


@users_app.command("add")
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Option("--email", help="The person's e-mail (their sign-in).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account with a role."""
    if role not in ROLES:
        errors.print(f"[red]Unknown role {role!r}: one of {', '.join(ROLES)}.[/red]")
        raise typer.Exit(2)
    _create(ctx, email, role, name, password_stdin)


@users_app.command("list")
def list_accounts(ctx: typer.Context) -> None:
    """List the accounts and their roles."""
    accounts = command_root(ctx).accounts.list()
    table = Table("email", "role", "name", title="Accounts")
    for account in accounts:
        table.add_row(account.email, account.role, account.display_name)
    console.print(table)


@users_app.command("seed-demo")
def seed_demo(ctx: typer.Context) -> None:
    """Create the demo accounts (agent@demo, marketer@demo, tester@demo, admin@demo)."""
    created = seed_demo_accounts(command_root(ctx).accounts)
    if created:
        console.print(
            f"Demo accounts created ({', '.join(a.email for a in created)}), "
            f"password: {DEMO_PASSWORD}"
        )
    else:
        console.print(f"Demo accounts already exist (password: {DEMO_PASSWORD}).")
