"""The recovery pass (`ressenti doctor`, also run when the app and `ressenti worker` start):
no conversation is left neither pending nor finished (invariant 5).

It repairs, each under the conversation's lock and after checking the state again (so it
may run while workers run, in any process):

- turns whose worker died (lease lapsed): put back in the queue for their one retry, or,
  past `turn_max_attempts` runs, handed to a person with the reason;
- decisions claimed but not applied (the deciding process died): the graph is resumed with
  the recorded decision and its effects are written, once (a redraft request is left to
  the workers, which run it);
- drafts `awaiting_approval` whose checkpoint holds no interrupt: handed to a person;
- conversations `awaiting_approval` with no draft waiting: handed to a person;
- outbox rows left `delivering` (the worker died mid-send): `dead`, for a person to check
  the channel and retry, unless the channel's sends are idempotent (then sent again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from agents.support.delivery import DeliveryWorker
from agents.support.service import SupportService

logger = logging.getLogger(__name__)


class WorkerStoppedError(RuntimeError):
    """The worker running a turn stopped (its lease lapsed) as often as a turn may run."""


class DraftLostError(RuntimeError):
    """A draft waited for a decision, but its checkpoint holds no interrupt any more."""


@dataclass
class RepairReport:
    """What one recovery pass repaired (turn ids, conversation ids, outbox ids)."""

    requeued: list[str] = field(default_factory=list)
    """Turns whose worker died, back in the queue for their one retry."""
    resumed: list[str] = field(default_factory=list)
    """Turns whose claimed decision was applied."""
    redrafts_waiting: list[str] = field(default_factory=list)
    """Turns with a redraft request a worker will run."""
    to_human: list[str] = field(default_factory=list)
    """Turns handed to a person (their worker died too often, or their draft was lost)."""
    stranded: list[str] = field(default_factory=list)
    """Conversations that waited for a draft that did not exist, now with a person."""
    deliveries_dead: list[int] = field(default_factory=list)
    """Outbox rows interrupted mid-send: `dead` until a person checks and retries."""
    deliveries_requeued: list[int] = field(default_factory=list)
    """Outbox rows interrupted mid-send on an idempotent channel: sent again."""

    @property
    def repaired(self) -> int:
        return sum(
            len(part)
            for part in (
                self.requeued,
                self.resumed,
                self.to_human,
                self.stranded,
                self.deliveries_dead,
                self.deliveries_requeued,
            )
        )

    def lines(self) -> list[str]:
        """One line per kind of repair (none: everything was in order)."""
        parts: list[tuple[str, list[str] | list[int]]] = [
            ("turns put back in the queue (their worker stopped)", self.requeued),
            ("decisions applied (their process stopped)", self.resumed),
            ("redraft requests waiting for a worker", self.redrafts_waiting),
            ("turns handed to a person", self.to_human),
            ("conversations handed to a person (no draft waited)", self.stranded),
            ("deliveries cut off mid-send, now dead (check, then retry)", self.deliveries_dead),
            ("deliveries cut off mid-send, sent again", self.deliveries_requeued),
        ]
        return [f"{label}: {len(ids)} ({', '.join(map(str, ids))})" for label, ids in parts if ids]


def doctor(support: SupportService, delivery: DeliveryWorker | None = None) -> RepairReport:
    """One recovery pass over the CRM, the checkpoints and the outbox."""
    report = RepairReport()
    turns = support.store.turns
    worker = support.worker
    max_attempts = support.settings.turn_max_attempts

    for turn in turns.lapsed():
        if turn.status == "running" and turn.attempts >= max_attempts:
            stopped = WorkerStoppedError(
                f"the worker running this turn stopped {turn.attempts} times (lease lapsed)"
            )
            worker.fail(turn.id, stopped, turn.stage, holder=None)
            report.to_human.append(turn.id)
        elif turns.requeue(turn.id) and turn.status == "running":
            report.requeued.append(turn.id)

    for turn in turns.in_status("decided"):
        if turn.lease_until is not None and turn.lease_until >= support.store.clock():
            continue  # being applied right now
        approval = turns.approval_for(turn.id)
        if approval is None:
            continue
        if approval.decision == "respond":
            report.redrafts_waiting.append(turn.id)
            continue
        claim = turns.claim(worker.owner, worker.lease, turn_id=turn.id)
        if claim is None:
            continue
        if claim.attempts > max_attempts:  # resuming its graph kept failing: no graph
            worker.finish_without_graph(claim)
        else:
            worker.process(claim)
        report.resumed.append(turn.id)

    for turn in turns.in_status("awaiting_approval"):
        if support.pending_of(turn) is None:
            lost = DraftLostError("the waiting draft's checkpoint holds no interrupt")
            worker.fail(turn.id, lost, None, holder=None)
            report.to_human.append(turn.id)

    for conversation_id in turns.stranded_conversations():
        if turns.to_human_without_turn(conversation_id, "no draft waited for a decision"):
            report.stranded.append(conversation_id)

    deliveries = support.store.deliveries
    for row in deliveries.lapsed():
        resend = delivery.idempotent(row.channel) if delivery is not None else False
        if deliveries.interrupted(row.id, resend=resend):
            (report.deliveries_requeued if resend else report.deliveries_dead).append(row.id)

    if report.repaired:
        for line in report.lines():
            logger.warning("recovery: %s", line)
    return report
