"""The stored side of `ressenti analyze`: checkpoints, messages, conversations, topics, alerts.

Every write is an upsert keyed by `(source, external id)` (messages), `(source,
conversation key)` (conversations), `(source, topic)` or the alert's window, so running the
same import twice, or resuming one after a crash, never adds a duplicate. A chunk of
messages and the checkpoint that counts it are committed in ONE transaction: after a
`kill -9` the checkpoint names exactly the messages that are stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tools.crm.database import Database
from tools.crm.errors import CRMError
from tools.crm.models import (
    AnalysisAlert,
    AnalysisConversation,
    AnalysisMessage,
    AnalysisRun,
    AnalysisTopic,
    Approval,
    Base,
    Contract,
    Conversation,
    Customer,
    Delivery,
    Invoice,
    Message,
    Order,
    Turn,
)


class AnalysisInputChangedError(CRMError):
    """A source name already holds an import of another file."""


@dataclass(frozen=True)
class Checkpoint:
    source: str
    input_sha256: str
    status: str
    committed_messages: int
    total_messages: int
    started_at: datetime


@dataclass(frozen=True)
class CustomerJourney:
    """What the journey-stage rules read about one CRM customer (dates of their records)."""

    customer_id: str
    segment: str
    emotion_analysis_consent: bool
    created_at: datetime
    contract_statuses: tuple[str, ...]
    orders: tuple[tuple[datetime, tuple[str, ...]], ...]
    """(placed at, statuses of its deliveries)."""
    deliveries_on: tuple[Any, ...]
    """Dates deliveries were made (`date`)."""
    invoices: tuple[tuple[Any, str], ...]
    """(issued on, status)."""


def _upsert(
    session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> None:
    if not rows:
        return
    table = cast(Table, model.__table__)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(list(rows))
    updated = {
        column.name: statement.excluded[column.name]
        for column in table.columns
        if column.name not in keys and column.name != "id"
    }
    where = [column for column in table.columns if column.name in keys]
    session.execute(statement.on_conflict_do_update(index_elements=where, set_=updated))


def _checkpoint(row: AnalysisRun) -> Checkpoint:
    return Checkpoint(
        row.source,
        row.input_sha256,
        row.status,
        row.committed_messages,
        row.total_messages,
        row.started_at,
    )


@dataclass(frozen=True)
class GapEvidence:
    """A sign the knowledge base lacks something: a question no passage answered well
    enough (the turn went to a person for it), or a draft a person rejected, rewrote or
    heavily edited."""

    kind: str
    """`no_passage`, `rejected`, `rewritten` (answered with their own reply) or `edited`."""
    question: str
    at: datetime
    lang: str
    draft: str | None = None
    final: str | None = None


class AnalysisStore:
    """The analysis tables of one CRM database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- Checkpoints ---------------------------------------------------------------------
    def checkpoint(self, source: str) -> Checkpoint | None:
        with self._db.reading() as session:
            row = session.get(AnalysisRun, source)
            if row is None:
                return None
            return _checkpoint(row)

    def begin(
        self, source: str, *, input_name: str, input_sha256: str, total: int, restart: bool = False
    ) -> Checkpoint:
        """The import's checkpoint, created at zero if new. The same source over another
        file is refused unless `restart`, which forgets the earlier import first."""
        now = self._db.clock()
        with self._db.transaction() as session:
            row = session.get(AnalysisRun, source)
            if row is not None and (restart or row.input_sha256 != input_sha256):
                if not restart:
                    raise AnalysisInputChangedError(
                        f"source {source!r} holds an import of another file "
                        f"({row.input_name}); give another --source or --restart"
                    )
                self._forget(session, source)
                session.delete(row)
                session.flush()
                row = None
            if row is None:
                row = AnalysisRun(
                    source=source,
                    input_name=input_name,
                    input_sha256=input_sha256,
                    status="reading",
                    committed_messages=0,
                    total_messages=total,
                    started_at=now,
                    updated_at=now,
                )
                session.add(row)
            session.flush()
            return _checkpoint(row)

    def commit_chunk(
        self, source: str, messages: Sequence[Mapping[str, Any]], committed: int
    ) -> None:
        """Store a chunk of messages and move the checkpoint to `committed`, atomically."""
        with self._db.transaction() as session:
            _upsert(session, AnalysisMessage, messages, ("source", "external_id"))
            session.execute(
                update(AnalysisRun)
                .where(AnalysisRun.source == source)
                .values(committed_messages=committed, updated_at=self._db.clock())
            )

    def set_status(self, source: str, status: str) -> None:
        now = self._db.clock()
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if status == "done":
            values["finished_at"] = now
        with self._db.transaction() as session:
            session.execute(
                update(AnalysisRun).where(AnalysisRun.source == source).values(**values)
            )

    def _forget(self, session: Session, source: str) -> None:
        for model in (AnalysisMessage, AnalysisConversation, AnalysisTopic, AnalysisAlert):
            session.execute(delete(model).where(model.source == source))

    def sources(self) -> list[Checkpoint]:
        with self._db.reading() as session:
            return [
                _checkpoint(r)
                for r in session.scalars(select(AnalysisRun).order_by(AnalysisRun.source))
            ]

    # --- Messages and conversations ------------------------------------------------------
    def messages_by_conversation(
        self, source: str, *, batch: int = 2000
    ) -> Iterator[list[AnalysisMessage]]:
        """Each conversation's messages in time order (then file order), streamed."""
        query = (
            select(AnalysisMessage)
            .where(AnalysisMessage.source == source)
            .order_by(
                AnalysisMessage.conversation_key,
                AnalysisMessage.sent_at,
                AnalysisMessage.position,
            )
            .execution_options(yield_per=batch)
        )
        with self._db.reading() as session:
            current: list[AnalysisMessage] = []
            for row in session.scalars(query):
                if current and row.conversation_key != current[0].conversation_key:
                    yield current
                    current = []
                current.append(row)
            if current:
                yield current

    def save_conversations(self, rows: Sequence[Mapping[str, Any]]) -> None:
        with self._db.transaction() as session:
            _upsert(session, AnalysisConversation, rows, ("source", "conversation_key"))

    def conversations(self, sources: Sequence[str] | None = None) -> list[AnalysisConversation]:
        query = select(AnalysisConversation).order_by(
            AnalysisConversation.started_at, AnalysisConversation.id
        )
        if sources:
            query = query.where(AnalysisConversation.source.in_(list(sources)))
        with self._db.reading() as session:
            return list(session.scalars(query))

    def customer_messages(
        self,
        source: str,
        *,
        negative_only: bool = False,
        limit: int | None = None,
        stride: int = 1,
    ) -> list[AnalysisMessage]:
        """Read customer messages of an import in file order, every `stride`-th one."""
        query = select(AnalysisMessage).where(
            AnalysisMessage.source == source, AnalysisMessage.valence.is_not(None)
        )
        if negative_only:
            query = query.where(AnalysisMessage.valence < 0)
        if stride > 1:
            query = query.where(AnalysisMessage.position % stride == 0)
        query = query.order_by(AnalysisMessage.position)
        if limit is not None:
            query = query.limit(limit)
        with self._db.reading() as session:
            return list(session.scalars(query))

    def negative_message_ids(self, source: str) -> list[int]:
        """Ids of the import's negative customer messages, in file order."""
        query = (
            select(AnalysisMessage.id)
            .where(AnalysisMessage.source == source, AnalysisMessage.valence < 0)
            .order_by(AnalysisMessage.position)
        )
        with self._db.reading() as session:
            return [int(i) for i in session.scalars(query)]

    def messages_by_ids(self, ids: Sequence[int]) -> list[AnalysisMessage]:
        found: list[AnalysisMessage] = []
        with self._db.reading() as session:
            for start in range(0, len(ids), 500):
                part = list(ids[start : start + 500])
                found += session.scalars(
                    select(AnalysisMessage).where(AnalysisMessage.id.in_(part))
                )
        order = {message_id: index for index, message_id in enumerate(ids)}
        return sorted(found, key=lambda row: order[row.id])

    def read_messages_by_time(self, source: str, *, batch: int = 2000) -> Iterator[AnalysisMessage]:
        """The import's read customer messages in time order (then file order), streamed."""
        query = (
            select(AnalysisMessage)
            .where(AnalysisMessage.source == source, AnalysisMessage.valence.is_not(None))
            .order_by(AnalysisMessage.sent_at, AnalysisMessage.position)
            .execution_options(yield_per=batch)
        )
        with self._db.reading() as session:
            yield from session.scalars(query)

    def count_messages(self, source: str) -> tuple[int, int]:
        """(messages, read customer messages) of an import."""
        with self._db.reading() as session:
            total = (
                session.scalar(select(func.count()).where(AnalysisMessage.source == source)) or 0
            )
            read = (
                session.scalar(
                    select(func.count()).where(
                        AnalysisMessage.source == source, AnalysisMessage.valence.is_not(None)
                    )
                )
                or 0
            )
        return int(total), int(read)

    def messages_of(
        self,
        sources: Sequence[str] | None,
        *,
        equal: Mapping[str, Sequence[str]] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        driver: str | None = None,
        topic: int | None = None,
        limit: int = 50,
    ) -> list[AnalysisMessage]:
        """Read customer messages for a drill-down, most negative first. `equal` keeps
        messages whose column (`channel`, `segment`, `stage`, `lang`) is one of the values."""
        query = select(AnalysisMessage).where(AnalysisMessage.valence.is_not(None))
        if sources:
            query = query.where(AnalysisMessage.source.in_(list(sources)))
        for column, values in (equal or {}).items():
            if column not in ("channel", "segment", "stage", "lang") or not values:
                continue
            query = query.where(getattr(AnalysisMessage, column).in_(list(values)))
        if since is not None:
            query = query.where(AnalysisMessage.sent_at >= since)
        if until is not None:
            query = query.where(AnalysisMessage.sent_at < until)
        if topic is not None:
            query = query.where(AnalysisMessage.topic == topic)
        query = query.order_by(AnalysisMessage.valence, AnalysisMessage.id).execution_options(
            yield_per=1000
        )
        found: list[AnalysisMessage] = []
        with self._db.reading() as session:
            for row in session.scalars(query):
                if driver is None or driver in (row.drivers or []):
                    found.append(row)
                    if len(found) >= limit:
                        break
        return found

    # --- Topics and alerts ---------------------------------------------------------------
    def save_topics(
        self, source: str, topics: Sequence[Mapping[str, Any]], assignments: Mapping[int, int]
    ) -> None:
        """Replace the import's topics; `assignments` maps message ids to their topic."""
        with self._db.transaction() as session:
            session.execute(delete(AnalysisTopic).where(AnalysisTopic.source == source))
            session.execute(
                update(AnalysisMessage).where(AnalysisMessage.source == source).values(topic=None)
            )
            if topics:
                session.add_all(AnalysisTopic(source=source, **dict(t)) for t in topics)
            by_topic: dict[int, list[int]] = {}
            for message_id, topic in assignments.items():
                by_topic.setdefault(topic, []).append(message_id)
            for topic, ids in by_topic.items():
                for start in range(0, len(ids), 500):
                    session.execute(
                        update(AnalysisMessage)
                        .where(AnalysisMessage.id.in_(ids[start : start + 500]))
                        .values(topic=topic)
                    )

    def topics(self, sources: Sequence[str] | None = None) -> list[AnalysisTopic]:
        query = select(AnalysisTopic).order_by(AnalysisTopic.size.desc(), AnalysisTopic.topic)
        if sources:
            query = query.where(AnalysisTopic.source.in_(list(sources)))
        with self._db.reading() as session:
            return list(session.scalars(query))

    def now(self) -> datetime:
        return self._db.clock()

    def save_alerts(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[int, Mapping[str, Any]]]:
        """Upsert alerts; (id, row) of those that were not stored before (new alerts)."""
        new: list[tuple[int, Mapping[str, Any]]] = []
        with self._db.transaction() as session:
            for row in rows:
                existing = session.scalars(
                    select(AnalysisAlert).where(
                        AnalysisAlert.source == row["source"],
                        AnalysisAlert.kind == row["kind"],
                        AnalysisAlert.key == row["key"],
                        AnalysisAlert.metric == row["metric"],
                        AnalysisAlert.window_start == row["window_start"],
                    )
                ).first()
                if existing is None:
                    alert = AnalysisAlert(**dict(row))
                    session.add(alert)
                    session.flush()
                    new.append((alert.id, row))
                else:
                    for name in ("window_end", "baseline", "value", "messages", "examples"):
                        setattr(existing, name, row[name])
        return new

    def mark_alert(self, alert_id: int, webhook_status: str) -> None:
        with self._db.transaction() as session:
            session.execute(
                update(AnalysisAlert)
                .where(AnalysisAlert.id == alert_id)
                .values(webhook_status=webhook_status[:40])
            )

    def alerts(self, sources: Sequence[str] | None = None) -> list[AnalysisAlert]:
        query = select(AnalysisAlert).order_by(AnalysisAlert.window_start.desc(), AnalysisAlert.id)
        if sources:
            query = query.where(AnalysisAlert.source.in_(list(sources)))
        with self._db.reading() as session:
            return list(session.scalars(query))

    # --- Knowledge gaps (from the live turns and their decisions) -------------------------
    def knowledge_gap_evidence(
        self, *, heavy_edit_ratio: float = 0.6, limit: int = 5000
    ) -> list[GapEvidence]:
        """Questions that found no good passage and drafts that were rejected, rewritten or
        edited past `heavy_edit_ratio` (difflib similarity below it), newest first."""
        found: list[GapEvidence] = []
        with self._db.reading() as session:
            turns = session.execute(
                select(Turn.handoff, Message.text, Message.sent_at, Conversation.language)
                .join(Message, Message.id == Turn.message_id)
                .join(Conversation, Conversation.id == Turn.conversation_id)
                .where(Turn.handoff.is_not(None))
                .order_by(Turn.created_at.desc())
                .limit(limit)
            )
            for handoff, text, at, lang in turns:
                rules = {str(r.get("rule")) for r in (handoff or {}).get("reasons") or []}
                if "low_retrieval_confidence" in rules:
                    found.append(GapEvidence("no_passage", text, at, lang))
            decisions = session.execute(
                select(
                    Approval.decision,
                    Approval.draft_text,
                    Approval.final_text,
                    Message.text,
                    Approval.created_at,
                    Conversation.language,
                )
                .join(Message, Message.id == Approval.message_id)
                .join(Conversation, Conversation.id == Approval.conversation_id)
                .where(Approval.decision.in_(("reject", "edit", "respond", "human_reply")))
                .order_by(Approval.created_at.desc())
                .limit(limit)
            )
            for decision, draft, final, text, at, lang in decisions:
                if decision == "reject":
                    kind = "rejected"
                elif decision in ("respond", "human_reply"):
                    kind = "rewritten"
                elif SequenceMatcher(None, draft or "", final or "").ratio() < heavy_edit_ratio:
                    kind = "edited"
                else:
                    continue
                found.append(GapEvidence(kind, text, at, lang, draft, final))
        return sorted(found, key=lambda g: g.at, reverse=True)

    # --- What the journey-stage rules read from the CRM ----------------------------------
    def journey(self, customer_ref: str) -> CustomerJourney | None:
        """The CRM customer with this id or e-mail, with the dates of their records (None
        when the CRM does not know them). Read-only; only this one customer's rows."""
        with self._db.reading() as session:
            customer = session.get(Customer, customer_ref)
            if customer is None and "@" in customer_ref:
                customer = session.scalars(
                    select(Customer).where(func.lower(Customer.email) == customer_ref.lower())
                ).first()
            if customer is None:
                return None
            cid = customer.id
            contracts = tuple(
                session.scalars(select(Contract.status).where(Contract.customer_id == cid))
            )
            orders = []
            for order in session.scalars(select(Order).where(Order.customer_id == cid)):
                statuses = tuple(
                    session.scalars(select(Delivery.status).where(Delivery.order_id == order.id))
                )
                orders.append((order.placed_at, statuses or (order.status,)))
            delivered = tuple(
                day
                for day in session.scalars(
                    select(Delivery.delivered_on).where(Delivery.customer_id == cid)
                )
                if day is not None
            )
            invoices = tuple(
                (issued, status)
                for issued, status in session.execute(
                    select(Invoice.issued_on, Invoice.status).where(Invoice.customer_id == cid)
                )
            )
            return CustomerJourney(
                customer_id=cid,
                segment=customer.segment,
                emotion_analysis_consent=customer.emotion_analysis_consent,
                created_at=customer.created_at,
                contract_statuses=contracts,
                orders=tuple(orders),
                deliveries_on=delivered,
                invoices=invoices,
            )
