"""An index of support threads, for the approval and handoff queues.

The graph's state lives in the checkpointer; this table only says which conversations
wait for a human and how urgent they look, so a queue can be listed without scanning
every checkpoint. It sits in the checkpoint database, beside the threads it indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Float, MetaData, String, Table, Text, create_engine, select
from sqlalchemy.engine import Engine

from agents.core.priority import Priority, most_urgent_first
from agents.support.schemas import HandoffPackage, Outcome

metadata = MetaData()
support_threads = Table(
    "support_threads",
    metadata,
    Column("conversation_id", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("emotion", String(32), nullable=False),
    Column("intensity", Float, nullable=False),
    Column("valence", Float, nullable=False),
    Column("preview", Text, nullable=False),
    Column("handoff", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def engine_for(checkpoint_url: str) -> Engine:
    url = checkpoint_url
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url)


class ThreadIndex:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.engine = engine
        self.clock = clock
        metadata.create_all(engine)

    def record(
        self,
        *,
        conversation_id: str,
        customer_id: str,
        status: Outcome,
        priority: Priority,
        emotion: str,
        intensity: float,
        valence: float,
        preview: str,
        handoff: HandoffPackage | None = None,
    ) -> None:
        values = {
            "customer_id": customer_id,
            "status": status,
            "priority": priority,
            "emotion": emotion,
            "intensity": intensity,
            "valence": valence,
            "preview": preview[:500],
            "handoff": handoff.model_dump_json() if handoff else None,
            "updated_at": self.clock(),
        }
        with self.engine.begin() as connection:
            updated = connection.execute(
                support_threads.update()
                .where(support_threads.c.conversation_id == conversation_id)
                .values(**values)
            )
            if updated.rowcount == 0:
                connection.execute(
                    support_threads.insert().values(conversation_id=conversation_id, **values)
                )

    def status(self, conversation_id: str) -> str | None:
        with self.engine.connect() as connection:
            return connection.scalar(
                select(support_threads.c.status).where(
                    support_threads.c.conversation_id == conversation_id
                )
            )

    def rows(self, *statuses: str) -> list[dict[str, object]]:
        """Threads in these statuses, most urgent first (priority, then intensity)."""
        with self.engine.connect() as connection:
            found = connection.execute(
                select(support_threads).where(support_threads.c.status.in_(statuses))
            ).mappings()
            rows = [dict(row) for row in found]
        return sorted(
            rows,
            key=lambda r: (most_urgent_first(str(r["priority"])), -float(str(r["intensity"]))),
        )
