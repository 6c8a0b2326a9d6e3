"""The composition root of one `ressenti` command: built on first use, closed when the
command ends, one per command however often it is asked for. Its parts open lazily, so a
command pays only for what it uses (`ressenti users list` opens the CRM store alone)."""

from __future__ import annotations

from collections.abc import Callable

import typer

from agents.core.config import Settings
from agents.services.root import Root

_KEY = "ressenti.root"


def command_root(
    ctx: typer.Context, *, report: Callable[[str], None] | None = None, migrate: bool = True
) -> Root:
    """The root of the command running in `ctx`, over `Settings()`. `report` hears what
    takes long (indexing the knowledge base); `migrate=False` leaves the CRM schema as it
    is (`ressenti crm migrate` upgrades it itself)."""
    root = ctx.meta.get(_KEY)
    if not isinstance(root, Root):
        root = Root(Settings(), report=report or (lambda _: None), migrate=migrate)
        ctx.meta[_KEY] = root
        ctx.call_on_close(root.close)
    return root
