"""The turn lifecycle in the CRM database (docs/turn-lifecycle.md): each transaction that
moves a message, a turn, a decision or a conversation from one state to the next.

Every function here is one transaction that first locks the conversation it changes
(`SELECT … FOR UPDATE` on PostgreSQL; on SQLite a write transaction holds the database's
write lock from `BEGIN IMMEDIATE`), so two workers, two agents or an agent and a worker
acting on one conversation are serialised, and each one re-reads the state it acts on
after the lock. Unique keys make every effect happen once: `messages(channel,
external_id)` for an inbound message, `approvals.interrupt_id` for a decision,
`outbox.idempotency_key` for a delivery, one reading per message.

A worker holds a turn by a lease (`lease_owner`, `lease_until`); a lease that lapses (the
worker died) is taken back by the recovery pass. Writes of a worker check that it still
holds the lease (`LeaseLostError` otherwise).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agents.core.emotion import EmotionReading
from agents.core.priority import most_urgent_first
from tools.crm.database import Database, new_id
from tools.crm.errors import (
    AlreadyAssignedError,
    AlreadyDecidedError,
    ConversationNotFoundError,
    ConversationStateError,
    CustomerNotFoundError,
    InvalidWriteError,
    LeaseLostError,
    NothingPendingError,
    SenderMismatchError,
)
from tools.crm.models import (
    Approval,
    Conversation,
    Customer,
    EmotionReadingRow,
    Message,
    OutboxMessage,
    Ticket,
    Turn,
)
from tools.crm.readings import row_values
from tools.crm.views import View

T = TypeVar("T")

TurnStatus = Literal["queued", "running", "awaiting_approval", "decided", "done", "to_human"]
TurnOutcome = Literal[
    "approved", "sent", "rejected", "taken_over", "handed_off", "failed", "superseded"
]
SENDING_DECISIONS = frozenset({"accept", "edit", "human_reply"})
"""Decisions that send a reply (every outbox reply references one of these)."""
SYSTEM = "system"
"""The reviewer of decisions no person made (a draft superseded by a newer message)."""
NOTE_CHANNELS = frozenset({"chatwoot"})
"""Channels whose helpdesk is told of a handoff: `hand_off` queues a `handoff_note` outbox
row (key `handoff:<turn id>`, the package as JSON), which the channel's sender turns into a
private note, the conversation opened for a person, labels and attributes."""
INTEGRITY_RETRIES = 3
"""How often a transaction that lost a unique-key race is run again (it then reads the
winner's row)."""


# --- values handed out -----------------------------------------------------------------
class TurnView(View):
    """A turn as the queues, the live view and the recovery pass see it."""

    id: str
    conversation_id: str
    message_id: int
    requested_by: str | None
    status: str
    stage: str | None
    draft_preview: str
    interrupt_id: str | None
    outcome: str | None
    reason: str | None
    priority: str
    emotion: str | None
    intensity: float | None
    valence: float | None
    handoff: dict[str, Any] | None
    attempts: int
    lease_owner: str | None
    lease_until: datetime | None
    created_at: datetime
    updated_at: datetime


class ApprovalView(View):
    id: int
    conversation_id: str
    customer_id: str
    turn_id: str | None
    interrupt_id: str | None
    decision: str
    reviewer: str
    draft_text: str
    final_text: str | None
    instruction: str | None
    override_reason: str | None
    created_at: datetime
    applied_at: datetime | None


@dataclass(frozen=True)
class Received:
    """Where an inbound message went: stored, with its turn queued (or none when a person
    owns the conversation); `duplicate` when the channel had delivered it before."""

    conversation_id: str
    message_id: int
    turn_id: str | None
    duplicate: bool = False
    new_conversation: bool = False
    new_customer: bool = False


@dataclass(frozen=True)
class Claim:
    """A turn a worker now holds: to start (`resume` False) or to resume after a decision."""

    turn_id: str
    conversation_id: str
    message_id: int
    requested_by: str | None
    resume: bool
    attempts: int


@dataclass(frozen=True)
class TurnBrief:
    """A turn's conversation, customer and message, for its failure package."""

    conversation_id: str
    customer_id: str
    first_name: str
    language: str
    channel: str
    message_text: str


@dataclass(frozen=True)
class Applied:
    """The outcome of a decision's effects; `already` when a replay found them written."""

    approval_id: int
    outcome: str
    outbox_id: int | None
    already: bool = False


@dataclass(frozen=True)
class HumanQueueRow:
    """A conversation a person owns (or should take), with why it is there."""

    conversation_id: str
    customer_id: str
    customer_name: str
    subject: str
    channel: str
    assignee: str | None
    since: datetime | None
    turn: TurnView | None
    """Its latest turn that went to a person (None for one handed off before turns)."""
    last_message: str


# --- helpers ----------------------------------------------------------------------------
def _lock(session: Session, conversation_id: str) -> Conversation:
    conversation = session.scalars(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).one_or_none()
    if conversation is None:
        raise ConversationNotFoundError(f"no conversation with id {conversation_id!r}")
    return conversation


def _turn(session: Session, turn_id: str) -> Turn:
    turn = session.get(Turn, turn_id)
    if turn is None:
        raise NothingPendingError(f"no turn {turn_id!r}")
    return turn


def _hold(turn: Turn, owner: str | None) -> None:
    """Refuses a worker's write to a turn it no longer holds (`owner` None: recovery)."""
    if owner is not None and turn.lease_owner != owner:
        raise LeaseLostError(
            f"turn {turn.id} is held by {turn.lease_owner or 'nobody'}, not {owner}"
        )


def _release(turn: Turn) -> None:
    turn.lease_owner = None
    turn.lease_until = None
    turn.stage = None


def queue_order(turn: TurnView) -> tuple[int, float, float]:
    """Most urgent first: priority, then the strongest emotion, then the most negative."""
    return (most_urgent_first(turn.priority), -(turn.intensity or 0.0), turn.valence or 0.0)


class Turns:
    """The lifecycle transactions over one CRM database (`CRMStore.turns`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _now(self) -> datetime:
        return self.db.clock()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self.db.transaction() as session:
            yield session

    def _retrying(self, work: Callable[[Session], T]) -> T:
        """`work` in a transaction, run again when it lost a unique-key race (PostgreSQL
        lets two transactions check, then insert, at once; the second one then finds the
        first one's row)."""
        for attempt in range(INTEGRITY_RETRIES):
            try:
                with self._transaction() as session:
                    return work(session)
            except IntegrityError:
                if attempt == INTEGRITY_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    # --- inbound ---------------------------------------------------------------------
    def receive(
        self,
        *,
        text: str,
        channel: str,
        conversation_id: str | None = None,
        external_conversation_id: str | None = None,
        external_message_id: str | None = None,
        customer_id: str | None = None,
        sender_email: str | None = None,
        sender_phone: str | None = None,
        sender_name: str | None = None,
        subject: str | None = None,
        language: str | None = None,
        received_at: datetime | None = None,
        reopen_to_human: timedelta = timedelta(hours=24),
    ) -> Received:
        """Store one inbound message and queue its turn, in one transaction.

        The conversation is `conversation_id`, else the channel's `external_conversation_id`,
        else a new one; a new conversation's customer is `customer_id` (a trusted caller),
        else the CRM customer with the sender's e-mail or phone, else a new customer marked
        unverified. A sender who is not the conversation's customer is refused
        (`SenderMismatchError`). Idempotent on `(channel, external_message_id)`.
        """
        if not text.strip():
            raise InvalidWriteError("an inbound message needs some text")

        def work(session: Session) -> Received:
            if external_message_id is not None:
                known = session.scalars(
                    select(Message).where(
                        Message.channel == channel, Message.external_id == external_message_id
                    )
                ).one_or_none()
                if known is not None:
                    turn_id = session.scalar(
                        select(Turn.id).where(
                            Turn.message_id == known.id, Turn.requested_by.is_(None)
                        )
                    )
                    return Received(known.conversation_id, known.id, turn_id, duplicate=True)
            conversation, new_customer = self._conversation_of(
                session,
                channel=channel,
                conversation_id=conversation_id,
                external_conversation_id=external_conversation_id,
                customer_id=customer_id,
                sender_email=sender_email,
                sender_phone=sender_phone,
                sender_name=sender_name,
                subject=subject or text[:80],
                language=language,
            )
            new_conversation = conversation_id is None and conversation.status == "new"
            message = Message(
                conversation_id=conversation.id,
                customer_id=conversation.customer_id,
                author="customer",
                author_name=sender_name,
                channel=conversation.channel,
                sent_at=received_at or self._now(),
                text=text,
                external_id=external_message_id,
            )
            session.add(message)
            session.flush()
            turn_id = self._after_inbound(session, conversation, message, reopen_to_human)
            return Received(
                conversation.id,
                message.id,
                turn_id,
                new_conversation=new_conversation,
                new_customer=new_customer,
            )

        return self._retrying(work)

    def _conversation_of(
        self,
        session: Session,
        *,
        channel: str,
        conversation_id: str | None,
        external_conversation_id: str | None,
        customer_id: str | None,
        sender_email: str | None,
        sender_phone: str | None,
        sender_name: str | None,
        subject: str,
        language: str | None,
    ) -> tuple[Conversation, bool]:
        found: Conversation | None = None
        if conversation_id is not None:
            found = _lock(session, conversation_id)
        elif external_conversation_id is not None:
            found = session.scalars(
                select(Conversation)
                .where(
                    Conversation.channel == channel,
                    Conversation.external_id == external_conversation_id,
                )
                .with_for_update()
            ).one_or_none()
        if found is not None:
            if sender_email or sender_phone:
                owner = session.get(Customer, found.customer_id)
                assert owner is not None
                if not _same_sender(owner, sender_email, sender_phone):
                    raise SenderMismatchError(
                        f"the sender of this message is not the customer of conversation {found.id}"
                    )
            return found, False
        customer, new_customer = self._customer_of(
            session, customer_id, sender_email, sender_phone, sender_name, language
        )
        conversation = Conversation(
            id=new_id("CV"),
            customer_id=customer.id,
            channel=channel,
            language=language or customer.language,
            subject=subject[:200],
            started_at=self._now(),
            status="new",  # set by `_after_inbound`, in this transaction
            external_id=external_conversation_id,
        )
        session.add(conversation)
        session.flush()
        return conversation, new_customer

    def _customer_of(
        self,
        session: Session,
        customer_id: str | None,
        email: str | None,
        phone: str | None,
        name: str | None,
        language: str | None,
    ) -> tuple[Customer, bool]:
        if customer_id is not None:
            customer = session.get(Customer, customer_id)
            if customer is None:
                raise CustomerNotFoundError(f"no customer with id {customer_id!r}")
            return customer, False
        if email:
            by_email = session.scalars(
                select(Customer).where(func.lower(Customer.email) == email.strip().lower())
            ).first()
            if by_email is not None:
                return by_email, False
        if phone and _digits(phone):
            by_phone = session.scalars(
                select(Customer).where(Customer.phone == phone.strip())
            ).first()
            if by_phone is not None:
                return by_phone, False
        first, _, last = (name or "").strip().partition(" ")
        customer = Customer(
            id=new_id("CU"),
            email=(email or f"unknown-{uuid.uuid4().hex[:12]}@unverified.invalid").strip(),
            first_name=first[:100],
            last_name=last[:100],
            phone=phone.strip()[:40] if phone else None,
            language=language if language in ("fr", "en") else "fr",
            segment="standard",
            value_cents=0,
            vulnerable=False,
            created_at=self._now(),
            verified=False,
        )
        session.add(customer)
        session.flush()
        return customer, True

    def _after_inbound(
        self,
        session: Session,
        conversation: Conversation,
        message: Message,
        reopen_to_human: timedelta,
    ) -> str | None:
        """The conversation's next state on a new message, and the turn it queues."""
        now = self._now()
        state = conversation.status
        if state == "awaiting_approval":
            for waiting in session.scalars(
                select(Turn).where(
                    Turn.conversation_id == conversation.id, Turn.status == "awaiting_approval"
                )
            ):
                self._supersede(session, waiting, "a newer message arrived")
            state = "with_human" if conversation.assignee else "open"
        elif state == "resolved":
            recent = conversation.human_at is not None and now - conversation.human_at < (
                reopen_to_human
            )
            state = "with_human" if recent else "open"
            if not recent:
                conversation.assignee = None
        elif state == "new":
            state = "open"
        conversation.status = state
        if state != "open":
            return None  # a person owns it: the message waits in its transcript
        turn = Turn(
            id=str(uuid.uuid4()),
            conversation_id=conversation.id,
            message_id=message.id,
            status="queued",
            draft_preview="",
            priority="normal",
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        session.add(turn)
        session.flush()
        return turn.id

    def _supersede(self, session: Session, turn: Turn, reason: str) -> None:
        """Ends a turn whose draft no longer answers the conversation (invariant 7): its
        interrupt gets the decision `superseded`, so a late decision is told so."""
        now = self._now()
        conversation = session.get(Conversation, turn.conversation_id)
        assert conversation is not None  # a turn's conversation is never deleted
        if turn.interrupt_id is not None:
            session.add(
                Approval(
                    conversation_id=turn.conversation_id,
                    customer_id=conversation.customer_id,
                    message_id=turn.message_id,
                    turn_id=turn.id,
                    interrupt_id=turn.interrupt_id,
                    decision="superseded",
                    reviewer=SYSTEM,
                    draft_text=turn.draft_preview,
                    final_text=None,
                    diff="",
                    instruction=reason,
                    findings=[],
                    created_at=now,
                    applied_at=now,
                )
            )
        turn.status = "done"
        turn.outcome = "superseded"
        turn.reason = reason
        turn.updated_at = now
        _release(turn)

    # --- workers ---------------------------------------------------------------------
    def claim(self, owner: str, lease: timedelta, turn_id: str | None = None) -> Claim | None:
        """Takes the oldest turn there is work on (queued, or decided and not being
        resumed), or `turn_id`, for `owner` until the lease lapses; None when there is none.

        One turn of a conversation at a time: a conversation with a turn running is
        skipped, and a queued turn with a newer inbound turn behind it is superseded
        without running (the newer turn reads the whole history).
        """
        now = self._now()
        with self.db.reading() as session:
            query = (
                select(Turn.id, Turn.conversation_id)
                .where(
                    Turn.status.in_(("queued", "decided")),
                    or_(Turn.lease_until.is_(None), Turn.lease_until < now),
                )
                .order_by(Turn.created_at)
                .limit(20)
            )
            if turn_id is not None:
                query = query.where(Turn.id == turn_id)
            candidates = list(session.execute(query))
        for candidate_id, conversation_id in candidates:
            claimed = self._claim_one(candidate_id, conversation_id, owner, lease)
            if claimed is not None:
                return claimed
        return None

    def _claim_one(
        self, turn_id: str, conversation_id: str, owner: str, lease: timedelta
    ) -> Claim | None:
        now = self._now()
        with self._transaction() as session:
            conversation = _lock(session, conversation_id)
            turn = session.get(Turn, turn_id)
            if turn is None:
                return None
            session.refresh(turn)
            if turn.status not in ("queued", "decided"):
                return None
            if (
                turn.status == "queued"
                and turn.requested_by is None
                and conversation.status in ("with_human", "resolved")
            ):
                self._supersede(session, turn, f"the conversation is {conversation.status}")
                return None
            if turn.lease_until is not None and turn.lease_until >= now:
                return None
            busy = session.scalar(
                select(func.count())
                .select_from(Turn)
                .where(
                    Turn.conversation_id == conversation_id,
                    Turn.id != turn_id,
                    or_(
                        Turn.status == "running",
                        and_(Turn.status == "decided", Turn.lease_until >= now),
                    ),
                )
            )
            if busy:
                return None
            if turn.status == "queued" and turn.requested_by is None:
                newer = session.scalar(
                    select(func.count())
                    .select_from(Turn)
                    .where(
                        Turn.conversation_id == conversation_id,
                        Turn.status == "queued",
                        Turn.requested_by.is_(None),
                        Turn.created_at > turn.created_at,
                    )
                )
                if newer:
                    self._supersede(session, turn, "a newer message arrived before it ran")
                    return None
            resume = turn.status == "decided"
            if not resume:
                turn.status = "running"
                turn.stage = None
            turn.lease_owner = owner
            turn.lease_until = now + lease
            turn.attempts += 1
            turn.updated_at = now
            return Claim(
                turn.id,
                turn.conversation_id,
                turn.message_id,
                turn.requested_by,
                resume,
                turn.attempts,
            )

    def renew(self, turn_id: str, owner: str, lease: timedelta) -> bool:
        """Extends a held lease; False when `owner` no longer holds the turn."""
        with self._transaction() as session:
            done = session.execute(
                update(Turn)
                .where(Turn.id == turn_id, Turn.lease_owner == owner)
                .values(lease_until=self._now() + lease)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def progress(
        self,
        turn_id: str,
        owner: str,
        *,
        stage: str | None = None,
        draft_preview: str | None = None,
        lease: timedelta | None = None,
    ) -> bool:
        """Records where a running turn is (and the draft so far), for a live view from any
        process; extends the lease too. False when `owner` no longer holds the turn."""
        values: dict[str, Any] = {"updated_at": self._now()}
        if stage is not None:
            values["stage"] = stage
        if draft_preview is not None:
            values["draft_preview"] = draft_preview
        if lease is not None:
            values["lease_until"] = self._now() + lease
        with self._transaction() as session:
            done = session.execute(
                update(Turn).where(Turn.id == turn_id, Turn.lease_owner == owner).values(values)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def record_interrupt(
        self,
        turn_id: str,
        owner: str | None,
        *,
        interrupt_id: str,
        draft: str,
        priority: str,
        reading: EmotionReading | None,
    ) -> str:
        """The turn's draft now waits for a decision on `interrupt_id`: the turn is
        `awaiting_approval` and so is the conversation. Unless a newer message arrived or a
        person took the conversation meanwhile: then the draft is superseded at once.
        Returns the turn's status (`awaiting_approval` or `done`)."""
        now = self._now()
        with self._transaction() as session:
            turn = _turn(session, turn_id)
            conversation = _lock(session, turn.conversation_id)
            if turn.interrupt_id == interrupt_id and turn.status in ("awaiting_approval", "done"):
                return turn.status  # recorded already (a replay)
            _hold(turn, owner)
            for respond in session.scalars(
                select(Approval).where(Approval.turn_id == turn.id, Approval.applied_at.is_(None))
            ):
                respond.applied_at = now  # a redraft request is applied by its new draft
            turn.interrupt_id = interrupt_id
            turn.draft_preview = draft
            turn.priority = priority
            if reading is not None:
                turn.emotion = reading.label
                turn.intensity = reading.intensity
                turn.valence = reading.valence
            turn.updated_at = now
            newer = session.scalar(
                select(func.count())
                .select_from(Turn)
                .where(
                    Turn.conversation_id == turn.conversation_id,
                    Turn.status == "queued",
                    Turn.requested_by.is_(None),
                    Turn.created_at > turn.created_at,
                )
            )
            taken = conversation.status in ("with_human", "resolved") and not turn.requested_by
            if newer or taken:
                reason = (
                    "a newer message arrived while it was drafted"
                    if newer
                    else f"the conversation was {conversation.status} while it was drafted"
                )
                self._supersede(session, turn, reason)
                return "done"
            turn.status = "awaiting_approval"
            _release(turn)
            conversation.status = "awaiting_approval"
            return "awaiting_approval"

    # --- decisions -------------------------------------------------------------------
    def claim_decision(
        self,
        interrupt_id: str,
        *,
        decision: str,
        reviewer: str,
        draft_text: str,
        final_text: str | None = None,
        diff: str = "",
        instruction: str | None = None,
        override_reason: str | None = None,
        findings: Sequence[dict[str, Any]] = (),
        holder: str | None = None,
        lease: timedelta = timedelta(seconds=60),
    ) -> ApprovalView:
        """Records THE decision on the draft waiting on `interrupt_id` (invariant 3): in one
        transaction that locks the conversation, checks the turn still waits on this
        interrupt and inserts the approval (unique on the interrupt). The loser of a race
        gets `AlreadyDecidedError` saying who decided and when; nothing else happens.

        The turn becomes `decided`; `holder` (the caller, applying the effects at once)
        takes its lease, else a worker picks it up (a redraft request)."""
        if decision in SENDING_DECISIONS and not (final_text or draft_text).strip():
            raise InvalidWriteError("an approved reply cannot be empty")

        def work(session: Session) -> ApprovalView:
            now = self._now()
            found = session.scalars(select(Turn).where(Turn.interrupt_id == interrupt_id)).first()
            if found is None:
                raise NothingPendingError(f"no draft waits on interrupt {interrupt_id}")
            conversation = _lock(session, found.conversation_id)
            turn = _turn(session, found.id)
            session.refresh(turn)
            winner = session.scalars(
                select(Approval).where(Approval.interrupt_id == interrupt_id)
            ).first()
            if winner is not None:
                raise AlreadyDecidedError(
                    interrupt_id, winner.decision, winner.reviewer, winner.created_at
                )
            if turn.status != "awaiting_approval":
                raise NothingPendingError(
                    f"turn {turn.id} is {turn.status}, not waiting for a decision"
                )
            approval = Approval(
                conversation_id=conversation.id,
                customer_id=conversation.customer_id,
                message_id=turn.message_id,
                turn_id=turn.id,
                interrupt_id=interrupt_id,
                decision=decision,
                reviewer=reviewer,
                draft_text=draft_text,
                final_text=final_text
                if final_text is not None or decision != "accept"
                else draft_text,
                diff=diff,
                instruction=instruction,
                override_reason=override_reason,
                findings=list(findings),
                created_at=now,
            )
            session.add(approval)
            turn.status = "decided"
            turn.attempts = 0
            turn.updated_at = now
            if holder is not None:  # the caller applies it now: its first attempt
                turn.lease_owner = holder
                turn.lease_until = now + lease
                turn.attempts = 1
            if decision == "respond":
                conversation.status = "open" if not conversation.assignee else "with_human"
            session.flush()
            return ApprovalView.model_validate(approval)

        try:
            return self._retrying(work)
        except IntegrityError as exc:  # the unique interrupt: another decision won
            with self.db.reading() as session:
                winner = session.scalars(
                    select(Approval).where(Approval.interrupt_id == interrupt_id)
                ).first()
            if winner is None:
                raise
            raise AlreadyDecidedError(
                interrupt_id, winner.decision, winner.reviewer, winner.created_at
            ) from exc

    def apply(
        self,
        approval_id: int,
        *,
        reading: EmotionReading | None = None,
        holder: str | None = None,
    ) -> Applied:
        """Writes a claimed decision's effects, once (invariant 4), in one transaction: the
        inbound message's reading, the reply in the transcript and in the outbox
        (`approval:<id>`), the turn's and the conversation's new state, `applied_at`. A
        replay (LangGraph re-running the node, a second worker, recovery) changes nothing.

        Handles `accept`, `edit`, `human_reply` and `reject` (a take-over is a handoff,
        `hand_off`; a redraft request is applied by the draft that answers it)."""
        with self._transaction() as session:
            approval = session.get(Approval, approval_id)
            if approval is None:
                raise NothingPendingError(f"no approval {approval_id}")
            conversation = _lock(session, approval.conversation_id)
            session.refresh(approval)
            return self._apply_in(session, approval, conversation, reading, holder)

    def _apply_in(
        self,
        session: Session,
        approval: Approval,
        conversation: Conversation,
        reading: EmotionReading | None,
        holder: str | None,
    ) -> Applied:
        turn = session.get(Turn, approval.turn_id) if approval.turn_id else None
        if turn is not None:
            session.refresh(turn)
        if approval.applied_at is not None:
            outbox_id = session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.idempotency_key == f"approval:{approval.id}"
                )
            )
            return Applied(
                approval.id, (turn.outcome if turn else None) or "approved", outbox_id, True
            )
        if turn is not None:
            _hold(turn, holder)
        now = self._now()
        if reading is not None and approval.message_id is not None:
            self._keep_reading(session, conversation, approval.message_id, reading)
        outbox_id = None
        if approval.decision in SENDING_DECISIONS:
            text = approval.final_text or approval.draft_text
            session.add(
                Message(
                    conversation_id=conversation.id,
                    customer_id=conversation.customer_id,
                    author="agent" if approval.decision == "human_reply" else "assistant",
                    author_name=approval.reviewer,
                    channel=conversation.channel,
                    sent_at=now,
                    text=text,
                )
            )
            outgoing = OutboxMessage(
                conversation_id=conversation.id,
                customer_id=conversation.customer_id,
                approval_id=approval.id,
                kind="reply",
                idempotency_key=f"approval:{approval.id}",
                channel=conversation.channel,
                language=conversation.language,
                body=text,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            session.add(outgoing)
            session.flush()
            outbox_id = outgoing.id
            outcome = "approved"
            owned = bool(conversation.assignee) or approval.decision == "human_reply"
            if turn is not None and turn.requested_by:
                owned = True
                conversation.assignee = conversation.assignee or turn.requested_by
            if approval.decision == "human_reply":
                conversation.assignee = conversation.assignee or approval.reviewer
            conversation.status = "with_human" if owned else "open"
            if owned:
                conversation.human_at = now
        elif approval.decision == "reject":
            outcome = "rejected"
            conversation.status = "with_human"  # a rejected draft leaves it with a person
            conversation.human_at = now
        else:
            raise InvalidWriteError(
                f"approval {approval.id} ({approval.decision}) has no effects to apply here"
            )
        if turn is not None:
            turn.status = "done"
            turn.outcome = outcome
            if outcome == "rejected":
                turn.reason = f"draft rejected by {approval.reviewer}"
            turn.updated_at = now
            _release(turn)
        approval.applied_at = now
        return Applied(approval.id, outcome, outbox_id)

    def _keep_reading(
        self, session: Session, conversation: Conversation, message_id: int, reading: EmotionReading
    ) -> None:
        """Stores a message's reading once, if the customer has not objected."""
        customer = session.get(Customer, conversation.customer_id)
        if customer is None or not customer.emotion_analysis_consent:
            return
        exists = session.scalar(
            select(func.count())
            .select_from(EmotionReadingRow)
            .where(EmotionReadingRow.message_id == message_id)
        )
        if exists:
            return
        session.add(
            EmotionReadingRow(
                **row_values(
                    reading,
                    message_id=message_id,
                    conversation_id=conversation.id,
                    customer_id=conversation.customer_id,
                    created_at=self._now(),
                )
            )
        )

    def hand_off(
        self,
        turn_id: str,
        *,
        package: dict[str, Any],
        priority: str,
        reason: str,
        reading: EmotionReading | None = None,
        approval_id: int | None = None,
        outcome: TurnOutcome = "handed_off",
        holder: str | None = None,
    ) -> str:
        """The turn goes to a person, once: its package kept on the turn and in a handoff
        ticket (and, on a channel of `NOTE_CHANNELS`, in a `handoff_note` outbox row for
        the helpdesk), the reading stored, the conversation `with_human` (with the reviewer as
        assignee after a take-over), the decision that led here applied. Returns the turn's
        outcome (the first one, on a replay)."""
        with self._transaction() as session:
            turn = _turn(session, turn_id)
            conversation = _lock(session, turn.conversation_id)
            session.refresh(turn)
            if turn.status in ("done", "to_human"):
                return turn.outcome or outcome
            _hold(turn, holder)
            now = self._now()
            if reading is not None:
                self._keep_reading(session, conversation, turn.message_id, reading)
            approval = session.get(Approval, approval_id) if approval_id is not None else None
            if approval is not None and approval.applied_at is None:
                approval.applied_at = now
                if approval.decision == "take_over":
                    outcome = "taken_over"
                    conversation.assignee = approval.reviewer
            if turn.requested_by and not conversation.assignee:
                conversation.assignee = turn.requested_by
            session.add(
                Ticket(
                    id=new_id("TK"),
                    customer_id=conversation.customer_id,
                    conversation_id=conversation.id,
                    opened_at=now,
                    status="open",
                    priority=priority,
                    category="handoff",
                    subject=f"Handoff: {_rules(package) or reason}"[:200],
                    summary=_json(package),
                )
            )
            if conversation.channel in NOTE_CHANNELS:
                session.add(
                    OutboxMessage(
                        conversation_id=conversation.id,
                        customer_id=conversation.customer_id,
                        approval_id=None,
                        kind="handoff_note",
                        idempotency_key=f"handoff:{turn.id}",
                        channel=conversation.channel,
                        language=conversation.language,
                        body=json.dumps(package, ensure_ascii=False, default=str),
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
            turn.status = "to_human"
            turn.outcome = outcome
            turn.reason = reason
            turn.priority = priority
            turn.handoff = package
            if reading is not None:
                turn.emotion = reading.label
                turn.intensity = reading.intensity
                turn.valence = reading.valence
            turn.updated_at = now
            _release(turn)
            conversation.status = "with_human"
            conversation.human_at = now
            return outcome

    def fail(
        self,
        turn_id: str,
        *,
        package: dict[str, Any],
        reason: str,
        holder: str | None,
        approval_id: int | None = None,
    ) -> str:
        """A turn that could not run to its end goes to a person with the reason
        (invariant 2): a handoff with the outcome `failed` (`taken_over` when the decision
        `approval_id` was a take-over)."""
        return self.hand_off(
            turn_id,
            package=package,
            priority="high",
            reason=reason,
            outcome="failed",
            holder=holder,
            approval_id=approval_id,
        )

    def brief(self, turn_id: str) -> TurnBrief:
        """What a failure package needs about a turn, read without the graph."""
        with self.db.reading() as session:
            turn = _turn(session, turn_id)
            conversation = session.get(Conversation, turn.conversation_id)
            message = session.get(Message, turn.message_id)
            assert conversation is not None and message is not None
            customer = session.get(Customer, conversation.customer_id)
            assert customer is not None
            return TurnBrief(
                conversation_id=conversation.id,
                customer_id=customer.id,
                first_name=customer.first_name,
                language=conversation.language,
                channel=conversation.channel,
                message_text=message.text,
            )

    # --- a person's actions ----------------------------------------------------------
    def reply_as_human(
        self,
        conversation_id: str,
        *,
        text: str,
        reviewer: str,
        override_reason: str | None = None,
        findings: Sequence[dict[str, Any]] = (),
    ) -> Applied:
        """A person's own reply, in one transaction: recorded as the decision `human_reply`
        (on the waiting draft's interrupt, if one waits: that draft is then answered, once),
        queued in the outbox, and the conversation is theirs."""
        if not text.strip():
            raise InvalidWriteError("a reply needs some text")

        def work(session: Session) -> Applied:
            conversation = _lock(session, conversation_id)
            waiting = session.scalars(
                select(Turn).where(
                    Turn.conversation_id == conversation_id, Turn.status == "awaiting_approval"
                )
            ).first()
            if waiting is not None and waiting.interrupt_id is not None:
                winner = session.scalars(
                    select(Approval).where(Approval.interrupt_id == waiting.interrupt_id)
                ).first()
                if winner is not None:
                    raise AlreadyDecidedError(
                        waiting.interrupt_id, winner.decision, winner.reviewer, winner.created_at
                    )
            approval = Approval(
                conversation_id=conversation.id,
                customer_id=conversation.customer_id,
                message_id=waiting.message_id if waiting else None,
                turn_id=waiting.id if waiting else None,
                interrupt_id=waiting.interrupt_id if waiting else None,
                decision="human_reply",
                reviewer=reviewer,
                draft_text=waiting.draft_preview if waiting else "",
                final_text=text,
                diff="",
                override_reason=override_reason,
                findings=list(findings),
                created_at=self._now(),
            )
            session.add(approval)
            session.flush()
            return self._apply_in(session, approval, conversation, None, None)

        return self._retrying(work)

    def take(self, conversation_id: str, reviewer: str) -> None:
        """`reviewer` owns the conversation now (`with_human`). Queued turns are superseded;
        a turn running now will not reach approval (its draft is superseded when it ends).
        A draft waiting for approval is taken over through its decision instead."""
        with self._transaction() as session:
            conversation = _lock(session, conversation_id)
            if conversation.status == "awaiting_approval":
                raise ConversationStateError(conversation_id, conversation.status, "take it")
            if conversation.assignee and conversation.assignee != reviewer:
                raise AlreadyAssignedError(conversation_id, conversation.assignee)
            for queued in session.scalars(
                select(Turn).where(Turn.conversation_id == conversation_id, Turn.status == "queued")
            ):
                self._supersede(session, queued, f"taken by {reviewer}")
            conversation.status = "with_human"
            conversation.assignee = reviewer
            conversation.human_at = self._now()

    def resolve(self, conversation_id: str, reviewer: str) -> None:
        """The conversation is finished (`resolved`); a new message reopens it."""
        with self._transaction() as session:
            conversation = _lock(session, conversation_id)
            if conversation.status == "awaiting_approval":
                raise ConversationStateError(conversation_id, conversation.status, "resolve it")
            for queued in session.scalars(
                select(Turn).where(Turn.conversation_id == conversation_id, Turn.status == "queued")
            ):
                self._supersede(session, queued, f"resolved by {reviewer}")
            if conversation.status == "with_human":
                conversation.human_at = self._now()
            conversation.status = "resolved"
            conversation.assignee = None

    def give_back(self, conversation_id: str, reviewer: str) -> None:
        """A person hands the conversation back to the copilot (`open`, no assignee)."""
        with self._transaction() as session:
            conversation = _lock(session, conversation_id)
            if conversation.status != "with_human":
                raise ConversationStateError(conversation_id, conversation.status, "give it back")
            conversation.status = "open"
            conversation.assignee = None
            conversation.human_at = self._now()

    def request_draft(self, conversation_id: str, reviewer: str) -> str:
        """A person who owns the conversation asks the copilot for a draft answering its
        latest customer message: a turn recorded as requested by them. Returns its id."""
        with self._transaction() as session:
            conversation = _lock(session, conversation_id)
            if conversation.status != "with_human":
                raise ConversationStateError(
                    conversation_id, conversation.status, "ask for a draft"
                )
            busy = session.scalar(
                select(func.count())
                .select_from(Turn)
                .where(
                    Turn.conversation_id == conversation_id,
                    Turn.status.in_(("queued", "running", "awaiting_approval", "decided")),
                )
            )
            if busy:
                raise ConversationStateError(
                    conversation_id, "busy with a draft", "ask for another"
                )
            last = session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.author == "customer")
                .order_by(Message.sent_at.desc(), Message.id.desc())
            ).first()
            if last is None:
                raise ConversationStateError(
                    conversation_id, "without a customer message", "ask for a draft"
                )
            now = self._now()
            turn = Turn(
                id=str(uuid.uuid4()),
                conversation_id=conversation_id,
                message_id=last.id,
                requested_by=reviewer,
                status="queued",
                draft_preview="",
                priority="normal",
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            session.add(turn)
            conversation.assignee = conversation.assignee or reviewer
            return turn.id

    # --- reads -----------------------------------------------------------------------
    def turn(self, turn_id: str) -> TurnView:
        with self.db.reading() as session:
            return TurnView.model_validate(_turn(session, turn_id))

    def turns_of(self, conversation_id: str) -> list[TurnView]:
        """The conversation's turns, oldest first."""
        with self.db.reading() as session:
            return [
                TurnView.model_validate(t)
                for t in session.scalars(
                    select(Turn)
                    .where(Turn.conversation_id == conversation_id)
                    .order_by(Turn.created_at, Turn.id)
                )
            ]

    def in_status(self, *statuses: str) -> list[TurnView]:
        with self.db.reading() as session:
            return [
                TurnView.model_validate(t)
                for t in session.scalars(
                    select(Turn).where(Turn.status.in_(statuses)).order_by(Turn.created_at)
                )
            ]

    def awaiting(self) -> list[TurnView]:
        """Turns whose draft waits for a decision, most urgent first."""
        return sorted(self.in_status("awaiting_approval"), key=queue_order)

    def approval_for(self, turn_id: str) -> ApprovalView | None:
        """The turn's latest decision not applied yet (the one a resumption applies)."""
        with self.db.reading() as session:
            found = session.scalars(
                select(Approval)
                .where(Approval.turn_id == turn_id, Approval.applied_at.is_(None))
                .order_by(Approval.id.desc())
            ).first()
            return ApprovalView.model_validate(found) if found else None

    def approval_of_interrupt(self, interrupt_id: str) -> ApprovalView | None:
        """The decision recorded on an interrupt, if any."""
        with self.db.reading() as session:
            found = session.scalars(
                select(Approval).where(Approval.interrupt_id == interrupt_id)
            ).first()
            return ApprovalView.model_validate(found) if found else None

    def approval(self, approval_id: int) -> ApprovalView:
        with self.db.reading() as session:
            found = session.get(Approval, approval_id)
            if found is None:
                raise NothingPendingError(f"no approval {approval_id}")
            return ApprovalView.model_validate(found)

    def conversation_state(self, conversation_id: str) -> tuple[str, str | None]:
        """A conversation's state and assignee."""
        with self.db.reading() as session:
            found = session.get(Conversation, conversation_id)
            if found is None:
                raise ConversationNotFoundError(f"no conversation with id {conversation_id!r}")
            return found.status, found.assignee

    def human_queue(self) -> list[HumanQueueRow]:
        """Conversations a person owns or should take, most urgent first (unassigned ones
        before assigned ones of the same priority)."""
        with self.db.reading() as session:
            rows: list[HumanQueueRow] = []
            for conversation, customer in session.execute(
                select(Conversation, Customer)
                .join(Customer, Customer.id == Conversation.customer_id)
                .where(Conversation.status == "with_human")
            ):
                latest = session.scalars(
                    select(Turn)
                    .where(Turn.conversation_id == conversation.id, Turn.status == "to_human")
                    .order_by(Turn.updated_at.desc())
                ).first()
                last = session.scalars(
                    select(Message.text)
                    .where(Message.conversation_id == conversation.id, Message.author == "customer")
                    .order_by(Message.sent_at.desc(), Message.id.desc())
                ).first()
                rows.append(
                    HumanQueueRow(
                        conversation_id=conversation.id,
                        customer_id=customer.id,
                        customer_name=f"{customer.first_name} {customer.last_name}".strip(),
                        subject=conversation.subject,
                        channel=conversation.channel,
                        assignee=conversation.assignee,
                        since=conversation.human_at,
                        turn=TurnView.model_validate(latest) if latest else None,
                        last_message=last or "",
                    )
                )

        def order(row: HumanQueueRow) -> tuple[int, bool, float]:
            priority = row.turn.priority if row.turn else "normal"
            since = row.since.timestamp() if row.since else 0.0
            return (most_urgent_first(priority), row.assignee is not None, since)

        return sorted(rows, key=order)

    # --- recovery --------------------------------------------------------------------
    def lapsed(self) -> list[TurnView]:
        """Turns held by a lease that has lapsed (their worker stopped)."""
        now = self._now()
        with self.db.reading() as session:
            return [
                TurnView.model_validate(t)
                for t in session.scalars(
                    select(Turn).where(
                        Turn.status.in_(("running", "decided")),
                        Turn.lease_until.is_not(None),
                        Turn.lease_until < now,
                    )
                )
            ]

    def requeue(self, turn_id: str) -> bool:
        """A lapsed turn is released for another try (running → queued; a decided turn
        stays decided, to be resumed with its decision). False if it moved meanwhile."""
        now = self._now()
        with self._transaction() as session:
            turn = _turn(session, turn_id)
            _lock(session, turn.conversation_id)
            session.refresh(turn)
            if turn.lease_until is None or turn.lease_until >= now:
                return False
            if turn.status == "running":
                turn.status = "queued"
            _release(turn)
            turn.updated_at = now
            return True

    def release(self, turn_id: str, owner: str) -> bool:
        """A worker gives a turn it holds back (to be tried again by any worker)."""
        with self._transaction() as session:
            turn = _turn(session, turn_id)
            _lock(session, turn.conversation_id)
            session.refresh(turn)
            if turn.lease_owner != owner:
                return False
            if turn.status == "running":
                turn.status = "queued"
            _release(turn)
            turn.updated_at = self._now()
            return True

    def stranded_conversations(self) -> list[str]:
        """Conversations `awaiting_approval` with no turn that waits or is being decided."""
        with self.db.reading() as session:
            active = (
                select(Turn.id)
                .where(
                    Turn.conversation_id == Conversation.id,
                    Turn.status.in_(("awaiting_approval", "decided", "queued", "running")),
                )
                .exists()
            )
            return list(
                session.scalars(
                    select(Conversation.id).where(
                        Conversation.status == "awaiting_approval", ~active
                    )
                )
            )

    def to_human_without_turn(self, conversation_id: str, reason: str) -> bool:
        """Puts a stranded conversation with a person; False if it is no longer stranded."""
        with self._transaction() as session:
            conversation = _lock(session, conversation_id)
            waiting = session.scalar(
                select(func.count())
                .select_from(Turn)
                .where(
                    Turn.conversation_id == conversation_id,
                    Turn.status.in_(("awaiting_approval", "decided", "queued", "running")),
                )
            )
            if conversation.status != "awaiting_approval" or waiting:
                return False
            conversation.status = "with_human"
            conversation.human_at = self._now()
            return True


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _same_sender(customer: Customer, email: str | None, phone: str | None) -> bool:
    if email and customer.email.strip().lower() == email.strip().lower():
        return True
    return bool(phone and customer.phone and _digits(customer.phone) == _digits(phone))


def _rules(package: dict[str, Any]) -> str:
    """The rules a handoff package names (what the dashboard counts as reasons)."""
    return ", ".join(str(hit.get("rule")) for hit in package.get("reasons") or [] if hit)


def _json(package: dict[str, Any]) -> str:
    return json.dumps(package, ensure_ascii=False, indent=1, default=str)
