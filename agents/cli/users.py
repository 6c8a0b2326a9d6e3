"""`ressenti users …`: the first admin, more accounts, the demo accounts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agents.core.config import Settings
from agents.services.accounts import (
    DEMO_PASSWORD,
    ROLES,
    AccountError,
    AccountStore,
    Role,
    seed_demo_accounts,
)
from tools.crm.store import CRMStore

users_app = typer.Typer(help="App accounts: sign-in and roles.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _create(email: str, role: Role, name: str | None, from_stdin: bool) -> None:
    store = CRMStore.from_settings(Settings())
    try:
        account = AccountStore(store).create(email, _password(from_stdin), role, name)
    except AccountError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        store.close()
    console.print(f"Created {account.role} account {account.email}.")


@users_app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option("--email", help="The admin's e-mail (their sign-in).")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an admin account (the first one, or another)."""
    _create(email, "admin", name, password_stdin)


@users_app.command("add")
def add(
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
    _create(email, role, name, password_stdin)


@users_app.command("list")
def list_accounts() -> None:
    """List the accounts and their roles."""
    store = CRMStore.from_settings(Settings())
    try:
        accounts = AccountStore(store).list()
    finally:
        store.close()
    table = Table("email", "role", "name", title="Accounts")
    for account in accounts:
        table.add_row(account.email, account.role, account.display_name)
    console.print(table)


@users_app.command("seed-demo")
def seed_demo() -> None:
    """Create the demo accounts (agent@demo, marketer@demo, tester@demo, admin@demo)."""
    store = CRMStore.from_settings(Settings())
    try:
        created = seed_demo_accounts(AccountStore(store))
    finally:
        store.close()
    if created:
        console.print(
            f"Demo accounts created ({', '.join(a.email for a in created)}), "
            f"password: {DEMO_PASSWORD}"
        )
    else:
        console.print(f"Demo accounts already exist (password: {DEMO_PASSWORD}).")
