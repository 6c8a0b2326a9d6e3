"""`ressenti crm …`: create or upgrade the CRM database, seed the demo company, import
exports, and show a customer's card."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from agents.cli.root import command_root
from agents.cli.texts import say
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang, is_lang, lang_or
from agents.core.secrets import mask_url
from tools.crm.errors import CustomerNotFoundError
from tools.crm.importer import ImportFailedError, import_files
from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore
from tools.crm.views import CustomerProfile, euros

crm_app = typer.Typer(
    help="The CRM store: demo data, imports, customer cards.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)


def _row(table: Table, *values: str, style: str | None = None) -> None:
    """Add a row of plain text: data from the database is never read as rich markup."""
    table.add_row(*(Text(value) for value in values), style=style)


def _label(key: str, lang: Lang) -> str:
    return say(key, lang)


def _store(ctx: typer.Context) -> CRMStore:
    """The command's CRM store (its root closes it when the command ends)."""
    return command_root(ctx).store


@crm_app.command()
def migrate(
    ctx: typer.Context,
    revision: str = typer.Option("head", help="Alembic revision to upgrade to."),
) -> None:
    """Create the CRM database or upgrade its schema in place."""
    root = command_root(ctx, migrate=False)
    settings, store = root.settings, root.store
    before = store.revision()
    store.migrate(revision)
    url = mask_url(settings.resolved_database_url())
    typer.echo(f"{url}: {before or 'empty'} -> {store.revision()}")


@crm_app.command()
def seed(
    ctx: typer.Context,
    customers: int = typer.Option(200, min=1, help="How many customers to generate."),
    seed_value: int = typer.Option(42, "--seed", help="Random seed (same seed, same data)."),
    reset: bool = typer.Option(False, "--reset", help="Delete every CRM row first."),
) -> None:
    """Fill the CRM with Lumio, the demo company (skipped if customers exist, unless --reset)."""
    store = _store(ctx)
    existing = store.counts()["customers"]
    if existing and not reset:
        errors.print(
            f"The CRM already holds {existing} customers: nothing done "
            "(use --reset to replace them with the demo company)."
        )
        return
    with Progress(
        TextColumn("Generating customers"), BarColumn(), MofNCompleteColumn(), console=errors
    ) as progress:
        task = progress.add_task("seed", total=customers)
        report = seed_demo(
            store,
            customers=customers,
            seed=seed_value,
            reset=reset,
            on_customer=lambda: progress.advance(task),
        )
    table = Table("table", "rows", title="Demo company seeded")
    for name, count in report.counts.items():
        _row(table, name, str(count))
    console.print(table)


@crm_app.command("import")
def import_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="CSV or JSON exports (see README, CRM).")],
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, write nothing."),
) -> None:
    """Import customers, orders and conversations: all rows or none."""
    store = _store(ctx)
    try:
        with console.status("Importing…") as status:
            report = import_files(
                store, files, dry_run=dry_run, on_stage=lambda s: status.update(s)
            )
    except ImportFailedError as failure:
        table = Table("file", "row", "field", "reason", title="Import refused: nothing written")
        for issue in failure.issues:
            _row(table, issue.file, str(issue.row), issue.field, issue.reason)
        errors.print(table)
        errors.print(f"{len(failure.issues)} problem(s). Fix them and run the import again.")
        raise typer.Exit(1) from failure
    verb = "Would import" if report.dry_run else "Imported"
    console.print(
        f"{verb} {report.customers} customers, {report.orders} orders, "
        f"{report.conversations} conversations ({report.messages} messages)."
    )


@crm_app.command("list")
def list_customers(
    ctx: typer.Context,
    segment: str | None = typer.Option(None, help="Only this segment."),
    limit: int = typer.Option(20, min=1),
) -> None:
    """List customers (id, name, e-mail, language, segment)."""
    table = Table("id", "name", "email", "lang", "segment", "value")
    for c in _store(ctx).list_customers(segment=segment, limit=limit):
        _row(table, c.id, c.full_name, c.email, c.language, c.segment, euros(c.value_cents))
    console.print(table)


@crm_app.command()
def stats(ctx: typer.Context) -> None:
    """Row counts and emotion readings per segment and per channel."""
    store = _store(ctx)
    counts = Table("table", "rows", title="CRM")
    for name, count in store.counts().items():
        _row(counts, name, str(count))
    console.print(counts)
    for title, rows in (
        ("Readings per segment", store.readings_by_segment()),
        ("Readings per channel", store.readings_by_channel()),
    ):
        table = Table(
            "group", "readings", "valence", "intensity", "effort", "negative", title=title
        )
        for r in rows:
            _row(
                table,
                r.group,
                str(r.readings),
                f"{r.mean_valence:+.2f}",
                f"{r.mean_intensity:.2f}",
                f"{r.mean_effort:.2f}",
                f"{r.negative_share:.0%}",
            )
        console.print(table)


def _reading_text(reading: EmotionReading) -> Text:
    colour = "red" if reading.valence < -0.3 else "green" if reading.valence > 0.3 else "yellow"
    raised = reading.flags.raised()
    flags = f" [{', '.join(raised)}]" if raised else ""
    return Text(
        f"  ↳ {reading.label} (valence {reading.valence:+.2f}, "
        f"intensity {reading.intensity:.2f}){flags}",
        style=colour,
    )


def _or_none(table: Table, lang: Lang) -> Table | Text:
    """The table, or one line saying there is nothing to show."""
    if table.row_count:
        return table
    return Text(f"{table.title}: {_label('none', lang)}")


def customer_card(store: CRMStore, customer: CustomerProfile, lang: Lang) -> Panel:
    """The rich card of one customer (what `ressenti crm show` prints)."""
    scope = store.scope(customer.id)
    yes, no = _label("yes", lang), _label("no", lang)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    _row(head, "E-mail", customer.email)
    _row(head, _label("phone", lang), customer.phone or "-")
    _row(head, _label("city", lang), customer.city or "-")
    _row(head, _label("language", lang), customer.language)
    _row(head, _label("segment", lang), customer.segment)
    _row(head, _label("value", lang), euros(customer.value_cents))
    _row(head, _label("since", lang), f"{customer.created_at:%Y-%m-%d}")
    _row(
        head,
        _label("consent", lang),
        f"{_label('marketing', lang)}: {yes if customer.marketing_consent else no}, "
        f"{_label('emotion', lang)}: {yes if customer.emotion_analysis_consent else no}",
    )
    parts: list[Table | Text] = [head]
    if customer.vulnerable:
        parts.append(Text(_label("vulnerable", lang), style="bold magenta"))

    contracts = Table(
        "id",
        _label("offer", lang),
        _label("monthly", lang),
        _label("status", lang),
        _label("commitment", lang),
        title=_label("contracts", lang),
        title_justify="left",
    )
    for c in scope.contracts():
        _row(
            contracts,
            c.id,
            c.offer,
            euros(c.monthly_price_cents),
            c.status,
            str(c.commitment_ends_on or "-"),
        )
    parts.append(_or_none(contracts, lang))

    orders = Table(
        "id",
        _label("date", lang),
        _label("items", lang),
        _label("total", lang),
        _label("status", lang),
        _label("delivery", lang),
        title=_label("orders", lang),
        title_justify="left",
    )
    for o in scope.orders(limit=5):
        delivery = ", ".join(
            f"{d.carrier} {d.status} ({d.promised_on or '-'})" for d in o.deliveries
        )
        items = ", ".join(str(item.get("label", "?")) for item in o.items)
        _row(
            orders, o.id, f"{o.placed_at:%Y-%m-%d}", items, euros(o.total_cents), o.status, delivery
        )
    parts.append(_or_none(orders, lang))

    invoices = Table(
        "id",
        _label("period", lang),
        _label("amount", lang),
        _label("status", lang),
        title=_label("invoices", lang),
        title_justify="left",
    )
    for i in scope.invoices(limit=4):
        style = "red" if i.status in ("overdue", "disputed") else None
        _row(invoices, i.id, i.period, euros(i.amount_cents), i.status, style=style)
    parts.append(_or_none(invoices, lang))

    tickets = scope.tickets(open_only=True)
    if tickets:
        table = Table(
            "id",
            _label("priority", lang),
            _label("subject", lang),
            _label("status", lang),
            title=_label("tickets", lang),
            title_justify="left",
        )
        for t in tickets:
            _row(table, t.id, t.priority, t.subject, t.status)
        parts.append(table)
    else:
        parts.append(Text(f"{_label('tickets', lang)}: {_label('none', lang)}"))

    parts.append(Text(_label("conversations", lang), style="bold"))
    for conversation in scope.conversations(limit=3):
        readings = {r.message_id: r.reading for r in scope.conversation_readings(conversation.id)}
        parts.append(
            Text(
                f"{conversation.id} · {conversation.channel} · {conversation.started_at:%Y-%m-%d}"
                f" · {conversation.status} · {conversation.subject}",
                style="cyan",
            )
        )
        for message in conversation.messages:
            who = message.author_name or message.author
            text = message.text if len(message.text) <= 160 else message.text[:157] + "…"
            parts.append(Text(f"  [{message.sent_at:%d/%m %H:%M}] {who}: {text}"))
            if message.id in readings:
                parts.append(_reading_text(readings[message.id]))
    title = f"{customer.full_name} · {customer.id}"
    return Panel(Group(*parts), title=title, title_align="left")


@crm_app.command()
def show(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="Customer id (e.g. C00042) or e-mail address."),
    lang: str = typer.Option("fr", "--lang", help="Language of the card's labels: fr or en."),
) -> None:
    """Print a customer's card: profile, contracts, orders, invoices, tickets, history."""
    if not is_lang(lang):
        errors.print("--lang must be fr or en")
        raise typer.Exit(2)
    store = _store(ctx)
    try:
        profile = store.find_customer(customer)
    except CustomerNotFoundError as exc:
        errors.print(f"error: {exc}")
        raise typer.Exit(1) from exc
    console.print(customer_card(store, profile, lang_or(lang)))
