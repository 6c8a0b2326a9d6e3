"""The graphs' persistent checkpointer: SQLite by default, PostgreSQL by URL.

A pending approval lives in the checkpoint, so it survives a restart and any worker that
opens the same database can resume it. Checkpoints deserialise only the types listed here:
a tampered checkpoint cannot make the process build arbitrary objects.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from agents.core.config import Settings
from tools.crm.database import PG_LOCK, SQLITE_BUSY_TIMEOUT_MS

StateTypes = dict[str, tuple[str, ...]]
"""The types a checkpoint may hold: class names by module."""


def union(*state_types: StateTypes) -> StateTypes:
    """The types any of several graphs' checkpoints may hold (one checkpointer for them all)."""
    merged: dict[str, tuple[str, ...]] = {}
    for types in state_types:
        for module, names in types.items():
            known = merged.get(module, ())
            merged[module] = known + tuple(name for name in names if name not in known)
    return merged


def serializer(state_types: StateTypes) -> JsonPlusSerializer:
    """A serializer that rebuilds only the listed types from a checkpoint."""
    allowed = [(module, name) for module, names in state_types.items() for name in names]
    return JsonPlusSerializer(allowed_msgpack_modules=allowed)


SETUP_WAIT_S = 120.0
"""How long a process waits for another one setting the checkpoint tables up."""


def _set_up_alone(pg: Any, setup: Callable[[], None]) -> None:
    """Runs `setup` while holding an advisory lock, so processes starting at once on a
    fresh database do not create its tables twice. The lock is tried, not waited on: the
    setup's `CREATE INDEX CONCURRENTLY` waits for every open transaction, a statement
    blocked on the lock included, which would be a deadlock."""
    key = PG_LOCK + 1
    deadline = time.monotonic() + SETUP_WAIT_S
    while not pg.execute("SELECT pg_try_advisory_lock(%s) AS held", (key,)).fetchone()["held"]:
        if time.monotonic() > deadline:
            raise TimeoutError("another process kept the checkpoint tables' setup lock")
        time.sleep(0.1)
    try:
        setup()
    finally:
        pg.execute("SELECT pg_advisory_unlock(%s)", (key,))


def open_checkpointer(
    settings: Settings, state_types: StateTypes
) -> tuple[BaseCheckpointSaver[Any], Callable[[], None]]:
    """The checkpointer for `settings.resolved_checkpoint_url()`, and how to close it.

    `state_types` lists the types its checkpoints may hold (each graph declares its own;
    one process opens one checkpointer for the union of its graphs').
    """
    url = settings.resolved_checkpoint_url()
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            path, check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
        )
        # Several processes (the app, `ressenti worker`) write checkpoints at once.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        saver = SqliteSaver(connection, serde=serializer(state_types))
        saver.setup()
        return saver, connection.close
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg import Connection
        from psycopg.rows import dict_row

        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        pg = Connection.connect(
            conninfo, autocommit=True, prepare_threshold=0, row_factory=dict_row
        )
        pg_saver = PostgresSaver(pg, serde=serializer(state_types))
        _set_up_alone(pg, pg_saver.setup)
        return pg_saver, pg.close
    raise ValueError(f"unsupported checkpoint URL {url!r} (use sqlite:/// or postgresql://)")
