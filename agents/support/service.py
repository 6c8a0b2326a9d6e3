"""The support service: what the UI, the command line and the evaluations call.

Submit a message, list pending approvals, resume one with a decision, list handoffs. None
of its callers touches the graph's internals; any worker holding the same databases can
resume any pending approval (threads are keyed by conversation id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.messages import AIMessageChunk
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command, StreamMode

from agents.core.emotion import EmotionReading
from agents.support.graph import SupportDeps, build_support_graph
from agents.support.schemas import (
    ApprovalDecision,
    ApprovalRequest,
    CheckFinding,
    HandoffPackage,
    InboundMessage,
    Outcome,
    Passage,
    RoutingDecision,
)
from agents.support.threads import ThreadIndex
from tools.checkpoints import StateTypes

STREAM_MODES: list[StreamMode] = ["messages", "updates"]

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
        "HandoffPackage",
    ),
    "agents.support.ports": ("ConversationContext", "ApprovalRecord"),
    "agents.support.policy": ("TurnSignals",),
}
"""The types the support graph's checkpoints hold (nothing else is rebuilt from them)."""


class ConversationBusyError(RuntimeError):
    """A new message arrived while the conversation's last draft waits for a decision."""


class NothingPendingError(LookupError):
    """A decision was sent for a conversation that has no pending approval."""


@dataclass(frozen=True)
class TurnResult:
    """Where a turn stopped: waiting for approval, sent, rejected, or with a human."""

    conversation_id: str
    outcome: Outcome
    decision: RoutingDecision | None
    draft: str = ""
    findings: list[CheckFinding] = field(default_factory=list)
    approval_request: ApprovalRequest | None = None
    handoff: HandoffPackage | None = None


@dataclass(frozen=True)
class TurnInProgress:
    """The latest turn's inbound message, its reading and the passages it retrieved."""

    message: InboundMessage
    reading: EmotionReading | None
    passages: list[Passage]
    outcome: Outcome | None
    """`awaiting_approval` while the turn waits for a decision (its message is not yet in
    the CRM then)."""


@dataclass(frozen=True)
class DraftToken:
    """A piece of the draft as the model writes it (for a live view)."""

    text: str


class SupportService:
    def __init__(
        self,
        deps: SupportDeps,
        checkpointer: BaseCheckpointSaver[Any],
        threads: ThreadIndex,
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        self.deps = deps
        self.graph = build_support_graph(checkpointer)
        self.threads = threads
        self._on_close = on_close

    @staticmethod
    def _config(conversation_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": conversation_id}}

    # --- turns ---------------------------------------------------------------------------
    def submit(self, message: InboundMessage) -> TurnResult:
        """Run a turn until it needs a human decision or ends."""
        result: TurnResult | None = None
        for event in self.stream(message):
            if isinstance(event, TurnResult):
                result = event
        assert result is not None
        return result

    def stream(self, message: InboundMessage) -> Iterator[DraftToken | TurnResult]:
        """Like `submit`, yielding the draft's tokens as they come, then the result."""
        if self.threads.status(message.conversation_id) == "awaiting_approval":
            raise ConversationBusyError(
                f"conversation {message.conversation_id} has a draft waiting for approval"
            )
        yield from self._run({"message": message}, message.conversation_id)

    def resume(self, conversation_id: str, decision: ApprovalDecision) -> TurnResult:
        """Apply a human decision to the pending draft of a conversation."""
        result: TurnResult | None = None
        for event in self.resume_stream(conversation_id, decision):
            if isinstance(event, TurnResult):
                result = event
        assert result is not None
        return result

    def resume_stream(
        self, conversation_id: str, decision: ApprovalDecision
    ) -> Iterator[DraftToken | TurnResult]:
        state = self.graph.get_state(self._config(conversation_id))
        if not any(task.interrupts for task in state.tasks):
            raise NothingPendingError(f"conversation {conversation_id} has no pending approval")
        yield from self._run(Command(resume=decision.model_dump(mode="json")), conversation_id)

    def _run(self, graph_input: Any, conversation_id: str) -> Iterator[DraftToken | TurnResult]:
        config = self._config(conversation_id)
        for mode, payload in self.graph.stream(
            graph_input,
            config=config,
            context=self.deps,
            stream_mode=STREAM_MODES,
        ):
            if mode != "messages":
                continue
            chunk, metadata = cast(tuple[Any, dict[str, Any]], payload)
            if metadata.get("langgraph_node") == "draft" and isinstance(chunk, AIMessageChunk):
                text = chunk.text if isinstance(chunk.text, str) else ""
                if text:
                    yield DraftToken(text)
        yield self._result(conversation_id)

    def _result(self, conversation_id: str) -> TurnResult:
        snapshot = self.graph.get_state(self._config(conversation_id))
        values = snapshot.values
        request: ApprovalRequest | None = None
        for task in snapshot.tasks:
            for pending in task.interrupts:
                request = ApprovalRequest.model_validate(pending.value)
        outcome: Outcome = "awaiting_approval" if request else values.get("outcome", "handed_off")
        reading = values.get("reading")
        decision = values.get("decision")
        handoff = values.get("handoff")
        self.threads.record(
            conversation_id=conversation_id,
            customer_id=values["context"].customer_id,
            status=outcome,
            priority=decision.priority if decision else "normal",
            emotion=reading.label if reading else "unknown",
            intensity=reading.intensity if reading else 0.0,
            valence=reading.valence if reading else 0.0,
            preview=values["message"].text,
            handoff=handoff,
        )
        return TurnResult(
            conversation_id=conversation_id,
            outcome=outcome,
            decision=decision,
            draft=values.get("draft", ""),
            findings=values.get("findings", []),
            approval_request=request,
            handoff=handoff,
        )

    # --- queues --------------------------------------------------------------------------
    def pending(self) -> list[ApprovalRequest]:
        """Drafts waiting for a human, most urgent first."""
        requests: list[ApprovalRequest] = []
        for row in self.threads.rows("awaiting_approval"):
            snapshot = self.graph.get_state(self._config(str(row["conversation_id"])))
            for task in snapshot.tasks:
                requests.extend(ApprovalRequest.model_validate(i.value) for i in task.interrupts)
        return requests

    def turn_in_progress(self, conversation_id: str) -> TurnInProgress | None:
        """The latest turn of a conversation as the graph holds it (its inbound message is
        written to the CRM only when the turn commits or hands off)."""
        values = self.graph.get_state(self._config(conversation_id)).values
        if "message" not in values:
            return None
        return TurnInProgress(
            message=values["message"],
            reading=values.get("reading"),
            passages=list(values.get("passages", [])),
            outcome=values.get("outcome"),
        )

    def handoffs(self) -> list[HandoffPackage]:
        """Conversations handed to a human, most urgent first, with their packages."""
        return [
            HandoffPackage.model_validate_json(str(row["handoff"]))
            for row in self.threads.rows("handed_off", "taken_over")
            if row["handoff"]
        ]

    def close(self) -> None:
        self._on_close()
