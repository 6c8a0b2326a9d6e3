"""The support service: what the app, the HTTP API, the command line and the evaluations
call (docs/turn-lifecycle.md).

- **In**: `receive` (the `Intake`: the message stored and its turn queued, at once); a
  `TurnWorker` runs the turn, in a pool (`worker`) or inline (`process`, `submit`).
- **Decisions** on a waiting draft, keyed by its interrupt: `decide` claims the one
  decision (a race's loser gets `AlreadyDecidedError`) and applies its effects once;
  an edited reply goes through the same draft check as a draft, and a blocking finding
  needs an override reason, recorded.
- **A person's actions**: `reply_as_human` (checked the same way), `take`, `resolve`,
  `give_back`, `request_draft`.
- **Queues**: `pending()` (drafts waiting, most urgent first) and `human_queue()`
  (conversations a person owns or should take), read from the CRM's `turns`, so any
  process sharing the databases sees them.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from agents.core.diff import edit_diff
from agents.core.emotion import EmotionReading
from agents.support.check import check_draft, with_disclosure
from agents.support.facts import facts_text
from agents.support.graph import SupportDeps, build_support_graph
from agents.support.intake import InboundEnvelope, Intake
from agents.support.ports import ConversationContext
from agents.support.schemas import (
    ApprovalDecision,
    ApprovalRequest,
    CheckFinding,
    HandoffPackage,
    InboundMessage,
    Outcome,
    Passage,
)
from agents.support.worker import DraftToken, TurnResult, TurnWorker, thread_config
from tools.checkpoints import StateTypes
from tools.crm.errors import (
    AlreadyAssignedError,
    AlreadyDecidedError,
    ConversationStateError,
    NothingPendingError,
)
from tools.crm.store import CRMStore
from tools.crm.turns import Applied, Claim, Received, TurnView

__all__ = [
    "STATE_TYPES",
    "AlreadyAssignedError",
    "AlreadyDecidedError",
    "ConversationStateError",
    "Decided",
    "DraftCheckError",
    "DraftToken",
    "HumanQueueItem",
    "NothingPendingError",
    "PendingApproval",
    "SupportService",
    "TurnInProgress",
    "TurnResult",
]

STATE_TYPES: StateTypes = {
    "agents.core.emotion": ("EmotionReading", "EmotionFlags", "EvidenceSpan"),
    "agents.support.schemas": (
        "InboundMessage",
        "HistoryLine",
        "Passage",
        "Assessment",
        "RuleHit",
        "RoutingDecision",
        "CheckFinding",
        "ApprovalDecision",
        "DecisionToApply",
        "HandoffPackage",
    ),
    "agents.support.ports": ("ConversationContext", "ApprovalRecord"),
    "agents.support.policy": ("TurnSignals",),
}
"""The types the support graph's checkpoints hold (nothing else is rebuilt from them)."""


class DraftCheckError(ValueError):
    """The reply a person sends has blocking findings and no override reason."""

    def __init__(self, findings: list[CheckFinding]) -> None:
        self.findings = findings
        super().__init__(
            "the reply fails the draft check ("
            + "; ".join(f.detail for f in findings if f.blocking)
            + "): give an override reason to send it anyway"
        )


@dataclass(frozen=True)
class PendingApproval:
    """A draft waiting for a decision, and the interrupt a decision names."""

    turn_id: str
    interrupt_id: str
    request: ApprovalRequest
    since: datetime

    @property
    def conversation_id(self) -> str:
        return self.request.conversation_id


@dataclass(frozen=True)
class Decided:
    """A decision claimed (and, but for a redraft request, applied): where its turn is."""

    approval_id: int
    action: str
    result: TurnResult
    """The turn after the decision (a redraft request: queued for a worker, or redrafted
    when the caller asked for it inline)."""


@dataclass(frozen=True)
class HumanQueueItem:
    """A conversation a person owns or should take, and why it is with a person."""

    conversation_id: str
    customer_id: str
    customer_name: str
    subject: str
    channel: str
    assignee: str | None
    since: datetime | None
    priority: str
    reason: str | None
    outcome: str | None
    package: HandoffPackage | None
    last_message: str


@dataclass(frozen=True)
class TurnInProgress:
    """A conversation's latest turn: its message, reading and passages (from its
    checkpoint) and its stage and draft so far (from the CRM, written by any worker)."""

    turn_id: str
    message_id: int
    message: InboundMessage | None
    reading: EmotionReading | None
    passages: list[Passage]
    outcome: Outcome | None
    status: str
    stage: str | None
    draft_preview: str


_UNDER_WAY = ("queued", "running")
_SETTLE_TIMEOUT_S = 600.0


class SupportService:
    def __init__(
        self,
        deps: SupportDeps,
        checkpointer: BaseCheckpointSaver[Any],
        store: CRMStore,
        on_close: Callable[[], None] = lambda: None,
        *,
        worker_name: str | None = None,
    ) -> None:
        self.deps = deps
        self.store = store
        self.settings = deps.settings
        self.graph = build_support_graph(checkpointer)
        self.worker = TurnWorker(deps, self.graph, store, name=worker_name)
        self.intake = Intake(store, deps.settings, on_received=self.worker.notify)
        self._on_close = on_close

    # --- in --------------------------------------------------------------------------
    def receive(self, envelope: InboundEnvelope) -> Received:
        """Stores an inbound message and queues its turn (a worker runs it)."""
        return self.intake.receive(envelope)

    def process(
        self, turn_id: str, on_token: Callable[[DraftToken], None] | None = None
    ) -> TurnResult:
        """Runs a turn here and now (when no other worker holds it) to its next stop."""
        return self.worker.run_turn(turn_id, on_token)

    def submit(self, message: InboundMessage) -> TurnResult:
        """Receives a message on a known conversation and runs its turn inline (the
        command line, the evaluations, the tests)."""
        received = self._receive_message(message)
        if received.turn_id is None:  # a person owns the conversation: nothing to run
            return self._idle(received.conversation_id)
        return self.settled(self.process(received.turn_id))

    def settled(self, result: TurnResult, timeout_s: float | None = None) -> TurnResult:
        """`result` once its turn has reached its next stop: when a pool worker of this
        process (or another) claimed the turn first, waits for that worker (at most
        `timeout_s`) and returns where the turn then stands. A worker that died lets its
        lease lapse, and the turn is then claimed and run here."""
        deadline = time.monotonic() + (_SETTLE_TIMEOUT_S if timeout_s is None else timeout_s)
        while result.status in _UNDER_WAY and result.turn_id and time.monotonic() < deadline:
            time.sleep(0.05)
            result = self.process(result.turn_id)  # claims it if its worker let it go
        return result

    def stream(self, message: InboundMessage) -> Iterator[DraftToken | TurnResult]:
        """Like `submit`, yielding the draft's tokens as they come, then the result."""
        received = self._receive_message(message)
        if received.turn_id is None:
            yield self._idle(received.conversation_id)
            return
        yield from _streamed(lambda on_token: self.process(received.turn_id or "", on_token))

    def _receive_message(self, message: InboundMessage) -> Received:
        return self.receive(
            InboundEnvelope(
                channel=message.channel,
                text=message.text,
                conversation_id=message.conversation_id,
                external_message_id=message.message_id,
                lang=message.lang,
                received_at=message.received_at,
            )
        )

    def _idle(self, conversation_id: str) -> TurnResult:
        state, _ = self.conversation_state(conversation_id)
        return TurnResult(
            conversation_id=conversation_id, outcome=None, decision=None, status=state
        )

    def result(self, turn_id: str) -> TurnResult:
        return self.worker.result(turn_id)

    def conversation_state(self, conversation_id: str) -> tuple[str, str | None]:
        """A conversation's state (`open`, `awaiting_approval`, `with_human`, `resolved`)
        and who owns it."""
        return self.store.turns.conversation_state(conversation_id)

    # --- decisions -------------------------------------------------------------------
    def pending(self) -> list[PendingApproval]:
        """Drafts waiting for a decision, most urgent first."""
        found: list[PendingApproval] = []
        for turn in self.store.turns.awaiting():
            item = self.pending_of(turn)
            if item is not None:
                found.append(item)
        return found

    def pending_for(self, conversation_id: str) -> PendingApproval | None:
        """The draft waiting in this conversation, if one does."""
        for turn in self.store.turns.turns_of(conversation_id):
            if turn.status == "awaiting_approval":
                return self.pending_of(turn)
        return None

    def pending_of(self, turn: TurnView) -> PendingApproval | None:
        """The draft a turn waits with, from its checkpoint (None: the checkpoint lost it)."""
        snapshot = self.graph.get_state(thread_config(turn.id))
        for task in snapshot.tasks:
            for waiting in task.interrupts:
                if waiting.id == turn.interrupt_id:
                    request = ApprovalRequest.model_validate(waiting.value)
                    return PendingApproval(turn.id, waiting.id, request, turn.updated_at)
        return None  # its checkpoint lost the interrupt: the recovery pass hands it over

    def decide(
        self,
        conversation_id: str,
        interrupt_id: str,
        decision: ApprovalDecision,
        actor: str,
        *,
        override_reason: str | None = None,
        redraft_inline: bool = False,
    ) -> Decided:
        """THE decision on the draft waiting on `interrupt_id` (invariant 3), by `actor`.

        Claimed in one transaction that locks the conversation: a second decision, from
        any thread or process, gets `AlreadyDecidedError` ("already decided by X at T") and
        has no effect. An edit is checked like a draft (the AI disclosure is kept; a
        blocking finding needs `override_reason`, else `DraftCheckError`). Accept, edit,
        reject and take over are applied here and now; a redraft request is left to a
        worker (or run here with `redraft_inline`).
        """
        pending = self._pending_on(conversation_id, interrupt_id)
        request = pending.request
        decision = decision.model_copy(update={"reviewer": actor})
        final_text: str | None = None
        findings: list[CheckFinding] = []
        if decision.action == "edit":
            final_text = self._with_disclosure(decision.text or "", pending.turn_id)
            findings = self.check_reply(pending.turn_id, final_text)
            self._require_override(findings, override_reason)
            decision = decision.model_copy(update={"text": final_text})
        elif decision.action == "accept":
            final_text = request.draft
        holder = None if decision.action == "respond" else self.worker.owner
        approval = self.store.turns.claim_decision(
            interrupt_id,
            decision=decision.action,
            reviewer=actor,
            draft_text=request.draft,
            final_text=final_text,
            diff=edit_diff(request.draft, final_text)
            if decision.action == "edit" and final_text is not None
            else "",
            instruction=decision.instruction,
            override_reason=override_reason if override_reason else None,
            findings=[f.model_dump() for f in findings],
            holder=holder,
            lease=self.worker.lease,
        )
        turn = self.store.turns.turn(pending.turn_id)
        claim = Claim(
            turn_id=turn.id,
            conversation_id=turn.conversation_id,
            message_id=turn.message_id,
            requested_by=turn.requested_by,
            resume=True,
            attempts=1,
        )
        if decision.action != "respond":
            result = self.worker.process(claim)
        elif redraft_inline:
            result = self.process(pending.turn_id)
        else:
            self.worker.notify()
            result = self.result(pending.turn_id)
        return Decided(approval.id, decision.action, result)

    def _pending_on(self, conversation_id: str, interrupt_id: str) -> PendingApproval:
        for turn in self.store.turns.turns_of(conversation_id):
            if turn.interrupt_id != interrupt_id:
                continue
            if turn.status != "awaiting_approval":
                approval = self.store.turns.approval_of_interrupt(interrupt_id)
                if approval is not None:
                    raise AlreadyDecidedError(
                        interrupt_id, approval.decision, approval.reviewer, approval.created_at
                    )
                raise NothingPendingError(f"turn {turn.id} is {turn.status}")
            pending = self.pending_of(turn)
            if pending is not None:
                return pending
        raise NothingPendingError(
            f"no draft of conversation {conversation_id} waits on interrupt {interrupt_id}"
        )

    def resume(
        self,
        conversation_id: str,
        decision: ApprovalDecision,
        *,
        override_reason: str | None = None,
    ) -> TurnResult:
        """Decides the draft waiting in a conversation and, for a redraft request, redrafts
        it here (the command line, the evaluations, the tests)."""
        return self._resume(conversation_id, decision, override_reason).result

    def resume_stream(
        self, conversation_id: str, decision: ApprovalDecision
    ) -> Iterator[DraftToken | TurnResult]:
        """Like `resume`, yielding a redraft's tokens as they come, then the result."""
        if decision.action != "respond":
            yield self.resume(conversation_id, decision)
            return
        pending = self.pending_for(conversation_id)
        if pending is None:
            raise NothingPendingError(f"conversation {conversation_id} has no pending approval")
        self.decide(conversation_id, pending.interrupt_id, decision, decision.reviewer)
        yield from _streamed(lambda on_token: self.process(pending.turn_id, on_token))

    def _resume(
        self, conversation_id: str, decision: ApprovalDecision, override_reason: str | None
    ) -> Decided:
        pending = self.pending_for(conversation_id)
        if pending is None:
            raise NothingPendingError(f"conversation {conversation_id} has no pending approval")
        return self.decide(
            conversation_id,
            pending.interrupt_id,
            decision,
            decision.reviewer,
            override_reason=override_reason,
            redraft_inline=True,
        )

    # --- the draft check on a person's text ------------------------------------------
    def check_reply(
        self, turn_id: str | None, text: str, conversation_id: str = ""
    ) -> list[CheckFinding]:
        """The draft check on a text a person sends (an edit, their own reply), against the
        turn's passages and the customer's record (no passage: no citation may be used)."""
        values: dict[str, Any] = {}
        if turn_id is not None:
            values = self.graph.get_state(thread_config(turn_id)).values
        context: ConversationContext | None = values.get("context")
        passages: list[Passage] = list(values.get("passages", []))
        if context is None:
            if not conversation_id:
                conversation_id = self.store.turns.turn(turn_id).conversation_id if turn_id else ""
            context = self.deps.contexts.load(conversation_id)
        lang = values.get("lang") or context.lang
        return check_draft(
            text,
            passages,
            facts_text(context.facts, lang),
            context.known_identifiers,
            self.deps.policy.max_gesture_eur,
            lang,
        )

    def _with_disclosure(self, text: str, turn_id: str) -> str:
        """An edit of a draft keeps the AI-assistance disclosure (appended if removed)."""
        disclosure = self.deps.policy.ai_disclosure
        if not disclosure.enabled:
            return text
        values = self.graph.get_state(thread_config(turn_id)).values
        lang = values.get("lang") or "fr"
        return with_disclosure(text, getattr(disclosure, lang))

    @staticmethod
    def _require_override(findings: list[CheckFinding], override_reason: str | None) -> None:
        if any(f.blocking for f in findings) and not (override_reason and override_reason.strip()):
            raise DraftCheckError(findings)

    # --- a person's actions ----------------------------------------------------------
    def reply_as_human(
        self,
        conversation_id: str,
        text: str,
        actor: str,
        override_reason: str | None = None,
    ) -> Applied:
        """A person's own reply, checked like a draft (a blocking finding needs an override
        reason, recorded), queued in the outbox; the conversation is theirs. A draft that
        waited is answered by it (once: it races with any decision on that draft)."""
        waiting = self.pending_for(conversation_id)
        findings = self.check_reply(
            waiting.turn_id if waiting else self._latest_turn_id(conversation_id),
            text,
            conversation_id,
        )
        self._require_override(findings, override_reason)
        return self.store.turns.reply_as_human(
            conversation_id,
            text=text,
            reviewer=actor,
            override_reason=override_reason if override_reason else None,
            findings=[f.model_dump() for f in findings],
        )

    def _latest_turn_id(self, conversation_id: str) -> str | None:
        turns = self.store.turns.turns_of(conversation_id)
        return turns[-1].id if turns else None

    def take(self, conversation_id: str, actor: str) -> None:
        """`actor` owns the conversation now; a draft that waited is taken over (its
        decision `take_over`, with a handoff package)."""
        waiting = self.pending_for(conversation_id)
        if waiting is not None:
            self.decide(
                conversation_id,
                waiting.interrupt_id,
                ApprovalDecision(action="take_over", reviewer=actor),
                actor,
            )
            return
        self.store.turns.take(conversation_id, actor)

    def resolve(self, conversation_id: str, actor: str) -> None:
        """The conversation is finished; a new message reopens it."""
        self.store.turns.resolve(conversation_id, actor)

    def give_back(self, conversation_id: str, actor: str) -> None:
        """Hands the conversation back to the copilot."""
        self.store.turns.give_back(conversation_id, actor)

    def request_draft(self, conversation_id: str, actor: str) -> str:
        """A person who owns the conversation asks for a draft (recorded as requested by
        them); a worker drafts it. Returns the turn's id."""
        turn_id = self.store.turns.request_draft(conversation_id, actor)
        self.worker.notify()
        return turn_id

    # --- queues ----------------------------------------------------------------------
    def human_queue(self) -> list[HumanQueueItem]:
        """Conversations a person owns or should take, most urgent first."""
        items: list[HumanQueueItem] = []
        for row in self.store.turns.human_queue():
            turn = row.turn
            items.append(
                HumanQueueItem(
                    conversation_id=row.conversation_id,
                    customer_id=row.customer_id,
                    customer_name=row.customer_name,
                    subject=row.subject,
                    channel=row.channel,
                    assignee=row.assignee,
                    since=row.since,
                    priority=turn.priority if turn else "normal",
                    reason=turn.reason if turn else None,
                    outcome=turn.outcome if turn else None,
                    package=HandoffPackage.model_validate(turn.handoff)
                    if turn and turn.handoff
                    else None,
                    last_message=row.last_message,
                )
            )
        return items

    def handoffs(self) -> list[HandoffPackage]:
        """The handoff packages of the human queue (conversations handed over by a turn)."""
        return [item.package for item in self.human_queue() if item.package is not None]

    def turn_in_progress(self, conversation_id: str) -> TurnInProgress | None:
        """The conversation's latest turn, as far as it got."""
        turns = self.store.turns.turns_of(conversation_id)
        if not turns:
            return None
        turn = turns[-1]
        values = self.graph.get_state(thread_config(turn.id)).values
        outcome: Outcome | None = (
            "awaiting_approval" if turn.status == "awaiting_approval" else turn.outcome  # type: ignore[assignment]
        )
        return TurnInProgress(
            turn_id=turn.id,
            message_id=turn.message_id,
            message=values.get("message"),
            reading=values.get("reading"),
            passages=list(values.get("passages", [])),
            outcome=outcome,
            status=turn.status,
            stage=turn.stage,
            draft_preview=turn.draft_preview,
        )

    def close(self) -> None:
        self.worker.stop()
        self._on_close()


def _streamed(
    run: Callable[[Callable[[DraftToken], None]], TurnResult],
) -> Iterator[DraftToken | TurnResult]:
    """`run(on_token)` on a thread, its tokens yielded as they come, then its result."""
    events: queue.Queue[DraftToken | TurnResult | BaseException] = queue.Queue()

    def work() -> None:
        try:
            events.put(run(events.put))
        except BaseException as exc:  # handed to the caller's thread
            events.put(exc)

    thread = threading.Thread(target=work, name="turn-inline", daemon=True)
    thread.start()
    while True:
        event = events.get()
        if isinstance(event, BaseException):
            thread.join()
            raise event
        yield event
        if isinstance(event, TurnResult):
            thread.join()
            return
