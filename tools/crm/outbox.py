"""The outbox as a delivery queue: claims, results and the recovery of interrupted sends.

A row is `pending` until a delivery worker claims it (`delivering`, with a lease and one
more attempt counted), then `delivered` with the channel's id, or `failed` with the error
and the time of the next attempt, or `dead` after the last attempt. A row found
`delivering` with its lease lapsed was interrupted mid-send: it may or may not have reached
the customer, so it is not sent again on its own (it goes `dead`, and a person who checked
the channel retries it), unless the channel's sends are idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tools.crm.database import Database
from tools.crm.errors import InvalidWriteError, LeaseLostError, RecordNotFoundError
from tools.crm.models import Approval, Conversation, Customer, OutboxMessage, Turn
from tools.crm.turns import SENDING_DECISIONS
from tools.crm.views import View


class OutboundRow(View):
    """One outbox row as the delivery worker and the app see it."""

    id: int
    conversation_id: str
    customer_id: str
    approval_id: int | None
    kind: str
    channel: str
    language: str
    body: str
    status: str
    idempotency_key: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    external_id: str | None
    delivered_at: datetime | None
    lease_until: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class DeliveryClaim:
    """A row a delivery worker holds now, with what a channel needs to send it and the
    approval it rests on (checked again by the worker before sending: invariant 6)."""

    row: OutboundRow
    recipient: str
    """The customer's e-mail address (a channel with its own addressing ignores it)."""
    customer_name: str
    subject: str
    conversation_external_id: str | None
    approval_decision: str | None
    approval_applied: bool
    approval_text: str | None
    approval_conversation_id: str | None


def approved(claim: DeliveryClaim) -> bool:
    """Whether the row may leave: a handoff note (for the helpdesk, not the customer), or a
    reply whose approval, of this conversation, sends exactly this text and was applied."""
    if claim.row.kind == "handoff_note":
        return True
    return (
        claim.row.kind == "reply"
        and claim.approval_decision in SENDING_DECISIONS
        and claim.approval_applied
        and claim.approval_conversation_id == claim.row.conversation_id
        and claim.approval_text == claim.row.body
    )


class Deliveries:
    """The outbox's delivery transactions over one CRM database (`CRMStore.deliveries`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _now(self) -> datetime:
        return self.db.clock()

    def claim(
        self, lease: timedelta, channels: frozenset[str] | None = None
    ) -> DeliveryClaim | None:
        """The oldest row due for an attempt, now `delivering` for `lease` (one attempt more);
        None when nothing is due. `channels` limits it to those channels."""
        now = self._now()
        with self.db.reading() as session:
            query = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status.in_(("pending", "failed")),
                    or_(
                        OutboxMessage.next_attempt_at.is_(None),
                        OutboxMessage.next_attempt_at <= now,
                    ),
                )
                .order_by(OutboxMessage.id)
                .limit(20)
            )
            if channels is not None:
                query = query.where(OutboxMessage.channel.in_(sorted(channels)))
            candidates = list(session.scalars(query))
        for outbox_id in candidates:
            with self.db.transaction() as session:
                taken = session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == outbox_id,
                        OutboxMessage.status.in_(("pending", "failed")),
                    )
                    .values(
                        status="delivering",
                        lease_until=now + lease,
                        attempts=OutboxMessage.attempts + 1,
                    )
                )
                if not taken.rowcount:  # type: ignore[attr-defined]
                    continue
                return self._claim_of(session, outbox_id)
        return None

    def _claim_of(self, session: Session, outbox_id: int) -> DeliveryClaim:
        row = session.get(OutboxMessage, outbox_id)
        assert row is not None
        session.refresh(row)
        conversation = session.get(Conversation, row.conversation_id)
        customer = session.get(Customer, row.customer_id)
        assert conversation is not None and customer is not None
        approval = session.get(Approval, row.approval_id) if row.approval_id else None
        return DeliveryClaim(
            row=OutboundRow.model_validate(row),
            recipient=customer.email,
            customer_name=f"{customer.first_name} {customer.last_name}".strip(),
            subject=conversation.subject,
            conversation_external_id=conversation.external_id,
            approval_decision=approval.decision if approval else None,
            approval_applied=bool(approval and approval.applied_at is not None),
            approval_text=(approval.final_text or approval.draft_text) if approval else None,
            approval_conversation_id=approval.conversation_id if approval else None,
        )

    def _delivering(self, session: Session, outbox_id: int) -> OutboxMessage:
        row = session.get(OutboxMessage, outbox_id)
        if row is None:
            raise RecordNotFoundError("outbox row", str(outbox_id))
        if row.status != "delivering":
            raise LeaseLostError(f"outbox row {outbox_id} is {row.status}, not delivering")
        return row

    def delivered(self, outbox_id: int, external_id: str | None) -> None:
        """The channel took the row: `delivered`, and its turn's outcome becomes `sent`."""
        now = self._now()
        with self.db.transaction() as session:
            row = self._delivering(session, outbox_id)
            row.status = "delivered"
            row.external_id = external_id
            row.delivered_at = now
            row.lease_until = None
            row.last_error = None
            if row.approval_id is not None:
                session.execute(
                    update(Turn)
                    .where(
                        Turn.id
                        == select(Approval.turn_id)
                        .where(Approval.id == row.approval_id)
                        .scalar_subquery(),
                        Turn.outcome == "approved",
                    )
                    .values(outcome="sent", updated_at=now)
                )

    def failed(self, outbox_id: int, error: str, retry_at: datetime | None) -> str:
        """An attempt failed: `failed` until `retry_at`, or `dead` when None. Returns the
        row's new status."""
        with self.db.transaction() as session:
            row = self._delivering(session, outbox_id)
            row.status = "failed" if retry_at is not None else "dead"
            row.next_attempt_at = retry_at
            row.last_error = error[:2000]
            row.lease_until = None
            return row.status

    def retry(self, outbox_id: int) -> None:
        """A person's retry: a `dead` or `failed` row goes back to `pending`, due now."""
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, outbox_id)
            if row is None:
                raise RecordNotFoundError("outbox row", str(outbox_id))
            if row.status not in ("dead", "failed"):
                raise InvalidWriteError(f"outbox row {outbox_id} is {row.status}: nothing to retry")
            row.status = "pending"
            row.next_attempt_at = self._now()

    def lapsed(self) -> list[OutboundRow]:
        """Rows left `delivering` past their lease (the worker stopped mid-send)."""
        now = self._now()
        with self.db.reading() as session:
            return [
                OutboundRow.model_validate(row)
                for row in session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.status == "delivering", OutboxMessage.lease_until < now
                    )
                )
            ]

    def interrupted(self, outbox_id: int, *, resend: bool) -> bool:
        """A lapsed `delivering` row: back to `pending` when its channel's sends are
        idempotent (`resend`), else `dead` with the reason, for a person to check. False if
        it moved meanwhile."""
        now = self._now()
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, outbox_id)
            if row is None or row.status != "delivering" or row.lease_until is None:
                return False
            if row.lease_until >= now:
                return False
            row.lease_until = None
            if resend:
                row.status = "pending"
                row.next_attempt_at = now
            else:
                row.status = "dead"
                row.last_error = (
                    "interrupted while it was being sent: it may or may not have reached the"
                    " customer; check the channel, then retry"
                )
            return True

    def rows(self, conversation_id: str | None = None) -> list[OutboundRow]:
        """Outbox rows (of one conversation), oldest first."""
        with self.db.reading() as session:
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            if conversation_id is not None:
                query = query.where(OutboxMessage.conversation_id == conversation_id)
            return [OutboundRow.model_validate(row) for row in session.scalars(query)]
