"""`ressenti doctor` (the recovery pass), `ressenti worker` (the turn and delivery workers
apart from the app) and `ressenti outbox` (delivery status, an agent's retry)."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agents.cli.root import command_root
from agents.services.root import Root
from agents.support.recovery import RepairReport
from tools.crm.errors import CRMError

console = Console()
errors = Console(stderr=True)
outbox_app = typer.Typer(help="The outbox: what waits for delivery, and retries.")


def show_report(report: RepairReport) -> None:
    if not report.lines():
        console.print("recovery: nothing to repair")
    for line in report.lines():
        console.print(f"recovery: {line}")


def doctor(ctx: typer.Context) -> None:
    """Find and repair turns, decisions and deliveries left half-way (a worker or the app
    stopped): no conversation stays neither pending nor finished. Safe while workers run."""
    show_report(command_root(ctx).doctor())


def serve_workers(
    root: Root, *, until_idle: bool = False, stop: threading.Event | None = None
) -> RepairReport:
    """The recovery pass, then the turn and delivery workers of `root` (and its mail poller
    when IMAP is configured) until `stop` is set (or, `until_idle`, after one poll of the
    mailbox, until no turn and no delivery is left to do)."""
    report = root.doctor()
    poller = root.mail_poller
    if until_idle:
        support, delivery = root.support, root.delivery
        if poller is not None:
            poller.poll_once()
        while True:
            turned = support.worker.run_next()
            delivered = delivery.run_next()
            if turned is None and delivered is None:
                return report
    root.support.worker.start()
    root.delivery.start()
    if poller is not None:
        poller.start()
    (stop or threading.Event()).wait()
    return report


def worker(
    ctx: typer.Context,
    until_idle: Annotated[
        bool, typer.Option(help="Stop once no turn and no delivery is left (cron, scripts).")
    ] = False,
) -> None:
    """Run the turn and delivery workers apart from the app (set
    RESSENTI_EMBEDDED_WORKER=false for the app then): recovery first, then
    `worker_concurrency` turns at a time, until Ctrl+C or SIGTERM."""
    root = command_root(ctx)
    stop = threading.Event()

    def stopping(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    if not until_idle:
        console.print(
            f"Ressenti worker {root.support.worker.owner}: "
            f"{root.settings.worker_concurrency} turn(s) at a time (Ctrl+C to stop)"
        )
    show_report(serve_workers(root, until_idle=until_idle, stop=stop))


@outbox_app.command("list")
def outbox_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only rows in this status.")] = None,
) -> None:
    """Outbox rows with their delivery status, attempts and last error."""
    rows = command_root(ctx).store.deliveries.rows()
    table = Table("id", "conversation", "kind", "channel", "status", "attempts", "last error")
    for row in rows:
        if status and row.status != status:
            continue
        table.add_row(
            str(row.id),
            row.conversation_id,
            row.kind,
            row.channel,
            row.status,
            str(row.attempts),
            (row.last_error or "")[:80],
        )
    console.print(table)


@outbox_app.command("retry")
def outbox_retry(ctx: typer.Context, outbox_id: int) -> None:
    """Put a `dead` or `failed` row back to `pending` (after checking the channel)."""
    try:
        command_root(ctx).store.deliveries.retry(outbox_id)
    except CRMError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Outbox row {outbox_id} is pending again.")
