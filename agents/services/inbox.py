"""What the agent's inbox shows, read from the support service and the CRM store.

The queue (drafts waiting for a human), one conversation's detail (transcript with a
reading per customer message, trajectory, customer card, cited passages, the draft, and
the stage of a turn under way), the demo customers a tester can write as, and a simulated
inbound message (through `Intake`, like any channel's: a worker runs its turn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agents.core.emotion import EmotionReading
from agents.core.priority import most_urgent_first
from agents.support.intake import InboundEnvelope
from agents.support.schemas import (
    ApprovalRequest,
    HandoffPackage,
    Passage,
    TurnChannel,
)
from agents.support.service import (
    HumanQueueItem,
    PendingApproval,
    SupportService,
    TurnInProgress,
)
from tools.crm.errors import CRMError
from tools.crm.outbox import OutboundRow
from tools.crm.store import CRMStore
from tools.crm.turns import Received
from tools.crm.views import CustomerContext, CustomerProfile, MessageView, StoredReading


@dataclass(frozen=True)
class QueueItem:
    """One line of the approval queue."""

    request: ApprovalRequest
    customer_name: str
    interrupt_id: str = ""
    """What a decision on this draft names."""
    message: str = ""
    """The customer's message the draft answers."""
    waited: timedelta | None = None
    """How long the customer has waited since that message."""

    @property
    def conversation_id(self) -> str:
        return self.request.conversation_id


WhyWithHuman = str
"""Why a conversation is with a person: `handed_off` (the rules), `taken_over`,
`rejected` (a draft was rejected), `failed` (the turn failed), `answered` (a person
replied), `draft_requested` (a person asked for a draft, under way) or `with_human`."""


@dataclass(frozen=True)
class HumanItem:
    """One line of the human queue, and why the conversation is there."""

    item: HumanQueueItem
    why: WhyWithHuman
    waited: timedelta | None
    """How long since the conversation came to a person."""

    @property
    def conversation_id(self) -> str:
        return self.item.conversation_id


@dataclass(frozen=True)
class TranscriptLine:
    author: str
    """customer | agent | system"""
    name: str | None
    text: str
    sent_at: datetime | None
    reading: EmotionReading | None
    """The emotion reading of a customer message (None for the agent's lines)."""
    pending: bool = False
    """The message of the turn in progress (its reading is stored when the turn ends)."""

    @classmethod
    def of(
        cls,
        message: MessageView,
        stored: StoredReading | None,
        turn: TurnInProgress | None = None,
    ) -> TranscriptLine:
        pending = turn is not None and turn.message_id == message.id and turn.status not in FINISHED
        reading = stored.reading if stored else None
        if reading is None and turn is not None and turn.message_id == message.id:
            reading = turn.reading
        return cls(
            author=message.author,
            name=message.author_name,
            text=message.text,
            sent_at=message.sent_at,
            reading=reading,
            pending=pending,
        )


FINISHED = ("done", "to_human")


def why_with_human(status: str, outcome: str | None, requested_by: str | None) -> WhyWithHuman:
    """Why a conversation whose latest turn is in this state is with a person."""
    if requested_by and status in ("queued", "running", "awaiting_approval", "decided"):
        return "draft_requested"
    if outcome in ("handed_off", "taken_over", "rejected", "failed"):
        return outcome
    if outcome in ("approved", "sent") and requested_by:
        return "answered"
    return "with_human"


"""Turn statuses after which a turn's message is no longer new."""


@dataclass(frozen=True)
class ConversationDetail:
    conversation_id: str
    subject: str
    channel: str
    transcript: list[TranscriptLine]
    customer: CustomerContext
    passages: list[Passage]
    request: ApprovalRequest | None
    """The pending approval, when the conversation waits for one."""
    trajectory: list[EmotionReading] = field(default_factory=list)
    """This conversation's readings, oldest first (the turn in progress last)."""
    interrupt_id: str | None = None
    """What a decision on the pending draft names."""
    state: str = "open"
    """The conversation's state: `open`, `awaiting_approval`, `with_human` or `resolved`."""
    assignee: str | None = None
    turn: TurnInProgress | None = None
    """The latest turn: its status, stage and draft so far (while a worker runs it)."""


def queue_order(request: ApprovalRequest) -> tuple[int, float, float]:
    """Most urgent first: priority, then the strongest emotion, then the most negative."""
    reading = request.reading
    return (most_urgent_first(request.priority), -reading.intensity, reading.valence)


class Inbox:
    def __init__(self, support: SupportService, store: CRMStore) -> None:
        self.support = support
        self.store = store

    def _name(self, customer_id: str) -> str:
        try:
            return self.store.find_customer(customer_id).full_name
        except CRMError:
            return customer_id

    def queue(self) -> list[QueueItem]:
        """Drafts waiting for approval, sorted by priority and emotion, each with the
        customer's message it answers and how long the customer has waited."""
        waiting: list[PendingApproval] = sorted(
            self.support.pending(), key=lambda p: queue_order(p.request)
        )
        now = self.store.clock()
        items = []
        for p in waiting:
            message, waited = "", None
            try:
                inbound = self.store.inbound_message(self.store.turns.turn(p.turn_id).message_id)
                message = inbound.text
                waited = now - inbound.sent_at if inbound.sent_at else None
            except CRMError:
                pass
            items.append(
                QueueItem(
                    p.request,
                    self._name(p.request.customer_id),
                    p.interrupt_id,
                    message=message,
                    waited=waited,
                )
            )
        return items

    def human_queue(self) -> list[HumanItem]:
        """Conversations a person owns or should take (unassigned first within a
        priority), each with why it is there."""
        now = self.store.clock()
        found = []
        for item in self.support.human_queue():
            turns = self.store.turns.turns_of(item.conversation_id)
            latest = turns[-1] if turns else None
            found.append(
                HumanItem(
                    item=item,
                    why=why_with_human(latest.status, latest.outcome, latest.requested_by)
                    if latest
                    else "with_human",
                    waited=now - item.since if item.since else None,
                )
            )
        return found

    def handoffs(self) -> list[tuple[HandoffPackage, str]]:
        """Handed-off conversations with their packages and the customer's name."""
        return [(p, self._name(p.customer_id)) for p in self.support.handoffs()]

    def detail(self, conversation_id: str) -> ConversationDetail:
        customer_id = self.store.conversation_customer(conversation_id)
        scope = self.store.scope(customer_id)
        conversation = scope.conversation(conversation_id)
        readings = sorted(
            scope.conversation_readings(conversation_id), key=lambda r: (r.created_at, r.id)
        )
        by_message = {r.message_id: r for r in readings}
        turn = self.support.turn_in_progress(conversation_id)
        transcript = [
            TranscriptLine.of(m, by_message.get(m.id), turn) for m in conversation.messages
        ]
        trajectory = [r.reading for r in readings]
        if turn is not None and turn.reading is not None and turn.message_id not in by_message:
            trajectory.append(turn.reading)
        pending = self.support.pending_for(conversation_id)
        state, assignee = self.store.turns.conversation_state(conversation_id)
        return ConversationDetail(
            conversation_id=conversation_id,
            subject=conversation.subject,
            channel=conversation.channel,
            transcript=transcript,
            customer=scope.context(current_conversation=conversation_id),
            passages=turn.passages if turn else [],
            request=pending.request if pending else None,
            trajectory=trajectory,
            interrupt_id=pending.interrupt_id if pending else None,
            state=state,
            assignee=assignee,
            turn=turn,
        )

    def last_delivery(self, conversation_id: str) -> OutboundRow | None:
        """The conversation's latest reply in the outbox (its delivery status)."""
        replies = [r for r in self.store.deliveries.rows(conversation_id) if r.kind == "reply"]
        return replies[-1] if replies else None

    def demo_customers(self, limit: int = 30) -> list[CustomerProfile]:
        return self.store.list_customers(limit=limit)

    def simulate_inbound(
        self, customer_id: str, channel: TurnChannel, subject: str, text: str
    ) -> Received:
        """A demo customer writes in on a new conversation: the message goes through
        `Intake` like any channel's, and a worker runs its turn."""
        return self.support.receive(
            InboundEnvelope(
                channel=channel, text=text, customer_id=customer_id, subject=subject[:200]
            )
        )
