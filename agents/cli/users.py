"""`ressenti users …`: the first admin, more accounts, their life cycle, the demo accounts.

Disabling, removing, a new password and a new role each end the account's sessions at
once (the next click of an open page is refused). The demo accounts exist only in demo
mode (`RESSENTI_DEMO_MODE`, see `Settings.demo_mode`): `seed-demo` refuses elsewhere.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agents.cli.root import command_root
from agents.services.accounts import (
    DEMO_PASSWORD,
    ROLES,
    Account,
    AccountError,
    Role,
    seed_demo_accounts,
)

users_app = typer.Typer(help="App accounts: sign-in and roles.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

Email = Annotated[str, typer.Option("--email", help="The account's e-mail (its sign-in).")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _role(role: str) -> Role:
    if role not in ROLES:
        errors.print(f"[red]Unknown role {role!r}: one of {', '.join(ROLES)}.[/red]")
        raise typer.Exit(2)
    return role


def _create(ctx: typer.Context, email: str, role: Role, name: str | None, from_stdin: bool) -> None:
    accounts = command_root(ctx).accounts
    try:
        account = accounts.create(email, _password(from_stdin), role, name)
    except AccountError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Created {account.role} account {account.email}.")


def _apply(action: Callable[[], Account], said: str) -> None:
    """Run one change to an account and say what it did (exit 1 with the reason if not)."""
    try:
        account = action()
    except AccountError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(said.format(email=account.email, role=account.role))


@users_app.command("create-admin")
def create_admin(
    ctx: typer.Context,
    email: Email,
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an admin account (the first one, or another)."""
    _create(ctx, email, "admin", name, password_stdin)


@users_app.command("add")
def add(
    ctx: typer.Context,
    email: Email,
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an account with a role."""
    _create(ctx, email, _role(role), name, password_stdin)


@users_app.command("list")
def list_accounts(ctx: typer.Context) -> None:
    """List the accounts, their roles and whether they may sign in."""
    accounts = command_root(ctx).accounts.list()
    table = Table("email", "role", "name", "active", title="Accounts")
    for account in accounts:
        table.add_row(
            account.email, account.role, account.display_name, "yes" if account.active else "no"
        )
    console.print(table)


@users_app.command("disable")
def disable(ctx: typer.Context, email: Email) -> None:
    """Stop an account from signing in; its open sessions end now."""
    accounts = command_root(ctx).accounts
    _apply(lambda: accounts.disable(email), "Disabled {email}; its sessions are over.")


@users_app.command("enable")
def enable(ctx: typer.Context, email: Email) -> None:
    """Let a disabled account sign in again."""
    accounts = command_root(ctx).accounts
    _apply(lambda: accounts.enable(email), "Enabled {email}.")


@users_app.command("remove")
def remove(ctx: typer.Context, email: Email) -> None:
    """Delete an account and its sessions (approvals keep the reviewer's e-mail)."""
    accounts = command_root(ctx).accounts
    _apply(lambda: accounts.remove(email), "Removed {email}.")


@users_app.command("passwd")
def passwd(ctx: typer.Context, email: Email, password_stdin: PasswordStdin = False) -> None:
    """Set a new password; the account's open sessions end."""
    accounts = command_root(ctx).accounts
    _apply(
        lambda: accounts.set_password(email, _password(password_stdin)),
        "New password for {email}; its sessions are over.",
    )


@users_app.command("role")
def role(
    ctx: typer.Context,
    email: Email,
    new_role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
) -> None:
    """Give an account another role; its open sessions end (they had the old one)."""
    chosen = _role(new_role)
    accounts = command_root(ctx).accounts
    _apply(
        lambda: accounts.set_role(email, chosen), "{email} is now {role}; its sessions are over."
    )


@users_app.command("seed-demo")
def seed_demo(
    ctx: typer.Context,
    if_demo: Annotated[
        bool,
        typer.Option("--if-demo", help="Outside demo mode, say so and do nothing (make run)."),
    ] = False,
) -> None:
    """Create the demo accounts (agent@demo, marketer@demo, tester@demo, admin@demo), in
    demo mode only."""
    root = command_root(ctx)
    if not root.settings.demo_active:
        message = (
            "Not in demo mode: no demo accounts are created. Demo mode is the embedded default "
            "install (default data folder, embedded model, no RESSENTI_DATABASE_URL) or "
            "RESSENTI_DEMO_MODE=true."
        )
        if if_demo:
            console.print(message)
            if not root.accounts.count():
                console.print(
                    "No account yet: create the first admin with "
                    "`ressenti users create-admin --email you@company.fr`."
                )
            return
        errors.print(f"[red]{message}[/red]")
        raise typer.Exit(1)
    created = seed_demo_accounts(root.accounts)
    if created:
        console.print(
            f"Demo accounts created ({', '.join(a.email for a in created)}), "
            f"password: {DEMO_PASSWORD}"
        )
    else:
        console.print(f"Demo accounts already exist (password: {DEMO_PASSWORD}).")
