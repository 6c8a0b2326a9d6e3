"""The CRM database itself: its engine, sessions, clock and migrations.

`CustomerScope`, `CRMWriter` and `CRMStore` are built over a `Database`; this module
imports none of them, so the store can hand out scopes and writers without a cycle.

SQLite is opened for several threads and processes at once: write-ahead logging (readers
never wait for a writer), a busy timeout (a writer waits for another instead of failing
with "database is locked"), foreign keys on, and every write transaction started with
`BEGIN IMMEDIATE`, so it holds the write lock from its first statement: a transaction
that read first and then wants to write can otherwise fail at once, without waiting, when
another writer got in between. Reads start with a plain `BEGIN`. One engine per database
per process (the composition root opens it).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

Clock = Callable[[], datetime]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A fresh public id such as `CV-3F9A1C2B7D10` for records the app creates."""
    return f"{prefix}-{uuid.uuid4().hex[:12].upper()}"


SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another one before "database is locked"."""
WRITE = "ressenti_write"
"""Execution option of a connection whose transactions write (`BEGIN IMMEDIATE` on SQLite)."""


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is off: `_begin_sqlite` starts each one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint of the WAL
    cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    writes = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for `url`. SQLite: its folder created, WAL, a busy timeout, foreign keys,
    and `BEGIN IMMEDIATE` for the transactions of a connection with the `WRITE` option."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[1] if "///" in url else ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


PG_LOCK = 0x7265_7373  # "ress"
"""The PostgreSQL advisory lock a migration holds (the checkpointer's setup holds the next
one: its `CREATE INDEX CONCURRENTLY` waits for every open transaction, a migration
waiting on the same lock included)."""
_MIGRATING = threading.Lock()
"""Alembic's `op` and `context` are module globals: one migration at a time per process."""


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to `revision` (default: the newest), in place. Two processes
    starting at once migrate one after the other (SQLite: a write transaction each;
    PostgreSQL: an advisory lock), the second finding nothing left to do; two threads of
    one process too (Alembic's environment is process-wide)."""
    config = alembic_config()
    with _MIGRATING, engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":  # other processes wait for this one
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class Database:
    """One engine, its sessions and the clock every write stamps its rows with."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # --- Schema --------------------------------------------------------------------------
    def migrate(self, revision: str = "head") -> None:
        migrate(self.engine, revision)

    def revision(self) -> str | None:
        return current_revision(self.engine)

    # --- Sessions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on any
        error. On SQLite it holds the database's write lock from its start (other writers
        wait, up to the busy timeout); lock rows with `SELECT … FOR UPDATE` (PostgreSQL)."""
        with self.engine.connect() as connection:
            connection.execution_options(**{WRITE: True})
            with self._sessions(bind=connection) as session, session.begin():
                yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (rolled back at the end)."""
        with self._sessions() as session:
            yield session
