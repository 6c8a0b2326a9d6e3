"""The turn worker: takes queued turns (a lease in the CRM), runs the support graph on each,
reports its stage and the draft so far, and records where it stopped.

- **Lease.** A turn is claimed in a transaction (`Turns.claim`) and held while it runs (a
  heartbeat renews the lease). A worker that dies leaves its lease to lapse; the recovery
  pass (`agents/support/recovery.py`) puts the turn back in the queue, once, then hands it
  to a person.
- **One thread per turn.** The graph's thread id is the turn's id, so a turn's checkpoint
  is its own: a retried turn continues its checkpoint, a decision resumes the interrupt of
  its own turn, and a superseded draft never stands in a later turn's way.
- **Stage and preview.** While the graph runs, `turns.stage` says which step it is in
  (`STAGE_OF_NODE`) and `turns.draft_preview` holds the draft so far (written every
  `draft_preview_interval_s`), so the app, in any process, can show honest progress.
- **Nothing dropped.** Any exception while a turn runs (the CRM, Chroma, the emotion
  reader, the model, a bug) ends it `to_human` with the reason and a minimal handoff
  package (`failure_package`).
- **A pool.** `start()` runs `worker_concurrency` turns at a time on threads (the app's
  embedded worker, `ressenti worker`); `run_turn` runs one inline (the command line, the
  evaluations, the tests).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from time import monotonic
from typing import Any, cast

from langchain_core.messages import AIMessageChunk
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StreamMode

from agents.core.faults import crash_point
from agents.core.lang import lang_or
from agents.support.graph import (
    STAGE_OF_NODE,
    SupportDeps,
    SupportInput,
    SupportOutput,
    SupportState,
    failure_package,
)
from agents.support.schemas import (
    ApprovalDecision,
    ApprovalRequest,
    CheckFinding,
    DecisionToApply,
    HandoffPackage,
    Outcome,
    RoutingDecision,
)
from tools.crm.errors import LeaseLostError
from tools.crm.store import CRMStore
from tools.crm.turns import ApprovalView, Claim, TurnView

logger = logging.getLogger(__name__)

SupportGraph = CompiledStateGraph[SupportState, SupportDeps, SupportInput, SupportOutput]
STREAM_MODES: list[StreamMode] = ["messages", "tasks"]


@dataclass(frozen=True)
class DraftToken:
    """A piece of the draft as the model writes it (for a live view in this process)."""

    text: str


@dataclass(frozen=True)
class TurnResult:
    """Where a turn stands: waiting for a decision, finished, or still being worked on
    (`outcome` None: queued or running, perhaps in another worker)."""

    conversation_id: str
    outcome: Outcome | None
    decision: RoutingDecision | None
    draft: str = ""
    findings: list[CheckFinding] = field(default_factory=list)
    approval_request: ApprovalRequest | None = None
    handoff: HandoffPackage | None = None
    turn_id: str = ""
    interrupt_id: str | None = None
    status: str = ""
    reason: str | None = None


class CheckpointLostError(RuntimeError):
    """A decided turn's checkpoint no longer holds the interrupt its decision answers."""


def thread_config(turn_id: str, owner: str | None = None) -> RunnableConfig:
    """The graph's config for one turn: its thread, and who holds its lease."""
    configurable: dict[str, Any] = {"thread_id": turn_id}
    if owner is not None:
        configurable["lease_owner"] = owner
    return {"configurable": configurable}


def decision_of(approval: ApprovalView) -> ApprovalDecision:
    """The graph's form of a recorded decision."""
    return ApprovalDecision(
        action=approval.decision,
        text=approval.final_text if approval.decision == "edit" else None,
        instruction=approval.instruction if approval.decision == "respond" else None,
        reviewer=approval.reviewer,
    )


class _Heartbeat:
    """Renews a turn's lease every third of it until stopped (or the lease is lost)."""

    def __init__(self, store: CRMStore, turn_id: str, owner: str, lease: timedelta) -> None:
        self._stop = threading.Event()
        self.lost = False

        def beat() -> None:
            while not self._stop.wait(lease.total_seconds() / 3):
                try:
                    if not store.turns.renew(turn_id, owner, lease):
                        self.lost = True
                        return
                except Exception:  # the next beat tries again; a lapse is recovered
                    logger.exception("could not renew the lease of turn %s", turn_id)

        self._thread = threading.Thread(target=beat, name=f"lease-{turn_id[:8]}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class TurnWorker:
    """Runs turns: one inline (`run_turn`, `run_next`), or a pool of them (`start`)."""

    def __init__(
        self,
        deps: SupportDeps,
        graph: SupportGraph,
        store: CRMStore,
        *,
        name: str | None = None,
    ) -> None:
        self.deps = deps
        self.graph = graph
        self.store = store
        self.settings = deps.settings
        self.owner = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=self.settings.turn_lease_s)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- one turn --------------------------------------------------------------------
    def run_next(self, on_token: Callable[[DraftToken], None] | None = None) -> TurnResult | None:
        """Claims the oldest turn with work to do and runs it; None when there is none."""
        claim = self.store.turns.claim(self.owner, self.lease)
        return None if claim is None else self.process(claim, on_token)

    def run_turn(
        self, turn_id: str, on_token: Callable[[DraftToken], None] | None = None
    ) -> TurnResult:
        """Claims this turn and runs it to its next stop; when it cannot be claimed (it
        waits for a decision, is finished, or another worker holds it), where it stands."""
        claim = self.store.turns.claim(self.owner, self.lease, turn_id=turn_id)
        return self.result(turn_id) if claim is None else self.process(claim, on_token)

    def process(
        self, claim: Claim, on_token: Callable[[DraftToken], None] | None = None
    ) -> TurnResult:
        """Runs a claimed turn until it waits for a decision or ends; any failure sends it
        to a person with the reason."""
        crash_point(self.settings, "after_claim")
        heartbeat = _Heartbeat(self.store, claim.turn_id, self.owner, self.lease)
        stage: list[str | None] = [None]
        try:
            graph_input = self._input(claim)
            if graph_input is not _SETTLE:
                self._stream(claim, graph_input, stage, on_token)
            self._settle(claim)
        except LeaseLostError:
            logger.warning("turn %s: lease lost to another worker; leaving it", claim.turn_id)
        except CheckpointLostError:
            self.finish_without_graph(claim)
        except Exception as exc:
            logger.exception("turn %s failed", claim.turn_id)
            self._failed(claim, exc, stage[0])
        finally:
            heartbeat.stop()
        return self.result(claim.turn_id)

    def _failed(self, claim: Claim, error: Exception, stage: str | None) -> None:
        """A new turn that fails goes to a person. A decision that failed to apply (the
        database restarting, say) is released for a worker to try again; past
        `turn_max_attempts`, it is applied from its approval row alone, without the graph."""
        if not claim.resume:
            self.fail(claim.turn_id, error, stage, holder=self.owner)
        elif claim.attempts < self.settings.turn_max_attempts:
            self.store.turns.release(claim.turn_id, self.owner)
        else:
            try:
                self.finish_without_graph(claim)
            except Exception as again:
                logger.exception("turn %s: its decision could not be applied", claim.turn_id)
                self.fail(claim.turn_id, again, stage, holder=self.owner)

    def _input(self, claim: Claim) -> Any:
        config = thread_config(claim.turn_id)
        snapshot = self.graph.get_state(config)
        waiting = [i.id for task in snapshot.tasks for i in task.interrupts]
        if claim.resume:
            approval = self.store.turns.approval_for(claim.turn_id)
            if approval is None:  # nothing left to apply: continue where the graph stopped
                return None if snapshot.next else _SETTLE
            if approval.interrupt_id in waiting:
                claimed = DecisionToApply(approval_id=approval.id, decision=decision_of(approval))
                return Command(resume={approval.interrupt_id: claimed.model_dump(mode="json")})
            if snapshot.next and not waiting:
                return None  # past the interrupt already (a redraft under way): go on
            raise CheckpointLostError(claim.turn_id)
        if waiting:
            return _SETTLE  # the draft reached its interrupt; its worker died before saying so
        if snapshot.next:
            return None  # a run that stopped halfway: continue it from its checkpoint
        return SupportInput(
            turn_id=claim.turn_id,
            conversation_id=claim.conversation_id,
            message_id=claim.message_id,
            requested_by=claim.requested_by,
        )

    def _stream(
        self,
        claim: Claim,
        graph_input: Any,
        stage: list[str | None],
        on_token: Callable[[DraftToken], None] | None,
    ) -> None:
        text = ""
        written = monotonic()
        interval = self.settings.draft_preview_interval_s
        for mode, payload in self.graph.stream(
            graph_input,
            config=thread_config(claim.turn_id, self.owner),
            context=self.deps,
            stream_mode=STREAM_MODES,
            durability="sync",
        ):
            if mode == "tasks":
                event = cast(dict[str, Any], payload)
                if "input" not in event:  # a task's end
                    continue
                name = str(event.get("name"))
                now_stage = STAGE_OF_NODE.get(name)
                if name == "draft":
                    text = ""
                if now_stage is not None and (now_stage != stage[0] or name == "draft"):
                    stage[0] = now_stage
                    preview = "" if name == "draft" else None
                    self._progress(claim, stage=now_stage, draft_preview=preview)
                continue
            chunk, metadata = cast(tuple[Any, dict[str, Any]], payload)
            if metadata.get("langgraph_node") != "draft" or not isinstance(chunk, AIMessageChunk):
                continue
            piece = chunk.text if isinstance(chunk.text, str) else ""
            if not piece:
                continue
            text += piece
            if on_token is not None:
                on_token(DraftToken(piece))
            if monotonic() - written >= interval:
                written = monotonic()
                self._progress(claim, draft_preview=text)

    def _progress(self, claim: Claim, **values: Any) -> None:
        if not self.store.turns.progress(claim.turn_id, self.owner, lease=self.lease, **values):
            raise LeaseLostError(f"turn {claim.turn_id} is no longer held by {self.owner}")

    def _settle(self, claim: Claim) -> None:
        """Records where the graph stopped: a draft waiting on its interrupt, or the end
        (whose effects `commit` or `handoff` wrote)."""
        snapshot = self.graph.get_state(thread_config(claim.turn_id))
        waiting = [(i.id, i.value) for task in snapshot.tasks for i in task.interrupts]
        if waiting:
            interrupt_id, value = waiting[-1]
            request = ApprovalRequest.model_validate(value)
            self.store.turns.record_interrupt(
                claim.turn_id,
                self.owner,
                interrupt_id=interrupt_id,
                draft=request.draft,
                priority=request.priority,
                reading=request.reading,
            )
            return
        turn = self.store.turns.turn(claim.turn_id)
        if turn.status not in ("done", "to_human"):
            raise RuntimeError("the turn's graph ended without recording an outcome")

    def finish_without_graph(self, claim: Claim) -> None:
        """A decided turn whose checkpoint lost its interrupt: the recorded decision is
        applied from its approval row alone (a redraft cannot be: a person answers)."""
        approval = self.store.turns.approval_for(claim.turn_id)
        if approval is None:
            return
        if approval.decision in ("accept", "edit", "reject"):
            self.store.turns.apply(approval.id, holder=self.owner)
            return
        reason = (
            f"taken over by {approval.reviewer}"
            if approval.decision == "take_over"
            else "the redraft could not resume: the turn's checkpoint is gone"
        )
        self.fail(
            claim.turn_id,
            CheckpointLostError(reason),
            None,
            holder=self.owner,
            approval_id=approval.id,
        )

    def fail(
        self,
        turn_id: str,
        error: BaseException,
        stage: str | None,
        *,
        holder: str | None,
        approval_id: int | None = None,
    ) -> None:
        """The turn goes to a person with the error as its reason (invariant 2)."""
        reason = f"{type(error).__name__}: {error}"[:1000]
        try:
            brief = self.store.turns.brief(turn_id)
            package = failure_package(
                conversation_id=brief.conversation_id,
                customer_id=brief.customer_id,
                first_name=brief.first_name,
                lang=lang_or(brief.language),
                message=brief.message_text,
                reason=reason,
                stage=stage,
                policy=self.deps.policy,
            )
            self.store.turns.fail(
                turn_id,
                package=package.model_dump(mode="json"),
                reason=reason,
                holder=holder,
                approval_id=approval_id,
            )
        except LeaseLostError:
            logger.warning("turn %s: lease lost before its failure was recorded", turn_id)
        except Exception:  # the CRM itself is down: the lease lapses, recovery retries
            logger.exception("turn %s: the failure could not be recorded", turn_id)

    def result(self, turn_id: str) -> TurnResult:
        """Where a turn stands, from its row and its checkpoint."""
        turn = self.store.turns.turn(turn_id)
        return result_of(turn, self.graph)

    # --- the pool --------------------------------------------------------------------
    def start(self) -> None:
        """Runs `worker_concurrency` turns at a time on background threads until `stop`."""
        if self._threads:
            return
        self._stop.clear()
        for number in range(self.settings.worker_concurrency):
            thread = threading.Thread(target=self._loop, name=f"turn-worker-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def notify(self) -> None:
        """Wakes an idle pool (a message was just received in this process)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                result = self.run_next()
            except Exception:  # a claim failed (the database restarting): try again later
                logger.exception("turn worker: claiming a turn failed")
                result = None
            if result is None:
                self._wake.wait(self.settings.worker_poll_s)
                self._wake.clear()

    def stop(self, timeout: float = 30.0) -> None:
        """Stops the pool; a turn under way finishes first (or its lease lapses)."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=timeout)
        self._threads = []


_SETTLE = object()
"""`_input`'s answer when there is nothing to run, only to record where the graph is."""


def result_of(turn: TurnView, graph: SupportGraph) -> TurnResult:
    """A turn's `TurnResult`: its row (status, outcome, reason, package) and its checkpoint
    (routing, draft, findings, the approval request while one waits)."""
    snapshot = graph.get_state(thread_config(turn.id))
    values = snapshot.values
    request: ApprovalRequest | None = None
    interrupt_id: str | None = None
    if turn.status == "awaiting_approval":
        for task in snapshot.tasks:
            for pending in task.interrupts:
                if pending.id == turn.interrupt_id:
                    request = ApprovalRequest.model_validate(pending.value)
                    interrupt_id = pending.id
    outcome: Outcome | None
    if turn.status == "awaiting_approval":
        outcome = "awaiting_approval"
    else:
        outcome = cast(Outcome | None, turn.outcome)
    handoff = HandoffPackage.model_validate(turn.handoff) if turn.handoff else None
    return TurnResult(
        conversation_id=turn.conversation_id,
        outcome=outcome,
        decision=values.get("decision"),
        draft=values.get("draft", "") or turn.draft_preview,
        findings=list(values.get("findings", [])),
        approval_request=request,
        handoff=handoff,
        turn_id=turn.id,
        interrupt_id=interrupt_id,
        status=turn.status,
        reason=turn.reason,
    )
