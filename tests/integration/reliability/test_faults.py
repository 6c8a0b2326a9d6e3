"""`kill -9` at each step of a turn, with real processes, on SQLite and PostgreSQL: after
the inbound message is stored, right after a worker claimed its turn, while the draft is
being written, after a decision before its effects, after the effects before the graph's
checkpoint, and after a channel took a reply before the outbox says so. Then a restart
(the recovery pass, then the workers until idle): no message lost, none sent twice, every
conversation pending, with a person, or finished.

Each step has a world of its own (its data folder and databases); the victims of all
steps run at the same time, so the processes' start-up is paid once per backend.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from agents.cli.worker import serve_workers
from agents.support.delivery import OutboundMessage
from agents.support.recovery import RepairReport
from agents.support.schemas import ApprovalDecision
from tests.integration.reliability.conftest import (
    LEASE_S,
    Process,
    World,
    awaiting_draft,
    wait_for,
)
from tools.crm.models import Approval, Conversation, Message, OutboxMessage, Turn

STEPS = [
    "after_inbound",
    "after_claim",
    "during_draft",
    "before_apply",
    "after_apply",
    "after_send",
]


@dataclass
class Crash:
    """One step's world, the process killed there, and what the test knows of it."""

    step: str
    world: World
    victim: Process | None = None
    conversation_id: str = ""
    interrupt_id: str = ""
    report: RepairReport | None = None


def sent(world: World) -> list[OutboundMessage]:
    """What the demo "none" channel was given, every send (a repeat appears twice)."""
    path = Path(world.settings.data_dir) / "outbound" / "none.jsonl"
    if not path.exists():
        return []
    return [
        OutboundMessage.model_validate(json.loads(line))
        for line in path.read_text().split("\n")
        if line
    ]


def prepare(crash: Crash) -> None:
    """The state each step starts from, reached in the test process."""
    world = crash.world
    root = world.root()
    try:
        if crash.step in ("after_claim", "during_draft"):
            received = root.support.receive(world.envelope())
            crash.conversation_id = received.conversation_id
        elif crash.step in ("before_apply", "after_apply", "after_send"):
            crash.conversation_id, crash.interrupt_id = awaiting_draft(world, root)
            if crash.step == "after_send":
                accept = ApprovalDecision(action="accept")
                root.support.decide(crash.conversation_id, crash.interrupt_id, accept, "lea")
    finally:
        root.close()


def launch(crash: Crash) -> None:
    """Starts the process that is killed at this step (or kills itself there)."""
    world = crash.world
    if crash.step == "after_inbound":
        crash.victim = world.start("receive")
    elif crash.step == "after_claim":
        crash.victim = world.start("worker", RESSENTI_CRASH_AT="after_claim")
    elif crash.step == "during_draft":
        crash.victim = world.start("worker", RELIABILITY_TOKEN_DELAY_S="0.3")
    elif crash.step in ("before_apply", "after_apply"):
        crash.victim = world.start("decider", RESSENTI_CRASH_AT=crash.step)
    else:
        crash.victim = world.start("worker", RESSENTI_CRASH_AT="after_send")


def kill_at_its_step(crash: Crash) -> None:
    victim = crash.victim
    assert victim is not None
    if crash.step == "after_inbound":
        victim.send(crash.world.envelope().model_dump_json())
        crash.conversation_id = victim.receive()["conversation_id"]
        victim.kill()  # the message is stored: the process dies
    elif crash.step == "during_draft":
        store = crash.world.store()
        try:

            def drafting() -> bool:
                with store.reading() as session:
                    turn = session.scalars(select(Turn)).one()
                    return turn.stage == "drafting" and len(turn.draft_preview) > 10

            wait_for(drafting)
        finally:
            store.close()
        victim.kill()  # half a draft written
    elif crash.step in ("before_apply", "after_apply"):
        job = {
            "conversation_id": crash.conversation_id,
            "interrupt_id": crash.interrupt_id,
            "action": "accept",
            "text": None,
            "reviewer": "lea",
            "go_at": 0,
        }
        victim.send(job)
    assert victim.wait(180) == -signal.SIGKILL, crash.step


def recover(crash: Crash) -> None:
    """A fresh start over the same databases: the recovery pass, then the workers."""
    root = crash.world.root()
    try:
        crash.report = serve_workers(root, until_idle=True)
    finally:
        root.close()


def check_sound(crash: Crash) -> None:
    """No message lost, none sent twice, every conversation pending, with a person, or
    finished; every reply in the outbox rests on an applied approval."""
    world = crash.world
    root = world.root()
    store = root.store
    try:
        with store.reading() as session:
            conversations = list(session.scalars(select(Conversation)))
            assert conversations, crash.step
            turns = list(session.scalars(select(Turn)))
            customer_messages = list(
                session.scalars(select(Message).where(Message.author == "customer"))
            )
            outbox = list(session.scalars(select(OutboxMessage)))
            approvals = {a.id: a for a in session.scalars(select(Approval))}
        assert [t.status for t in turns if t.status in ("queued", "running", "decided")] == []
        turned = {t.message_id for t in turns}
        for message in customer_messages:
            assert message.id in turned, (crash.step, "a message without its turn")
        for conversation in conversations:
            if conversation.status == "awaiting_approval":
                assert root.support.pending_for(conversation.id) is not None, crash.step
            else:
                assert conversation.status in ("with_human", "open", "resolved"), crash.step
        for row in outbox:
            approval = approvals[row.approval_id] if row.approval_id else None
            assert approval is not None and approval.applied_at is not None, crash.step
            assert approval.decision in ("accept", "edit", "human_reply"), crash.step
        keys = [m.idempotency_key for m in sent(world)]
        assert len(keys) == len(set(keys)), (crash.step, "sent twice", keys)
    finally:
        root.close()


def expect_after(crash: Crash) -> None:
    """What each step's recovery must have done."""
    report = crash.report
    assert report is not None
    store = crash.world.store()
    try:
        [turn] = store.turns.turns_of(crash.conversation_id)
        outbox = store.deliveries.rows(crash.conversation_id)
    finally:
        store.close()
    if crash.step in ("after_inbound", "after_claim", "during_draft"):
        assert turn.status == "awaiting_approval", (crash.step, turn)
        assert outbox == []
        expected_attempts = 1 if crash.step == "after_inbound" else 2
        assert turn.attempts == expected_attempts, crash.step
        if crash.step != "after_inbound":
            assert report.requeued == [turn.id], crash.step
        return
    [row] = outbox
    assert turn.outcome in ("approved", "sent"), crash.step
    if crash.step == "before_apply":
        assert report.resumed == [turn.id]
    if crash.step in ("before_apply", "after_apply"):
        assert (row.status, turn.outcome) == ("delivered", "sent"), crash.step
        assert [m.outbox_id for m in sent(crash.world)] == [row.id]
    if crash.step == "after_send":
        # The channel took it, the worker died before saying so: not sent again on its
        # own (a person checks the channel, then retries).
        assert report.deliveries_dead == [row.id]
        assert row.status == "dead" and "may or may not" in (row.last_error or "")
        assert [m.outbox_id for m in sent(crash.world)] == [row.id]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_at_each_step_loses_nothing_and_sends_nothing_twice(
    world_factory: Callable[[str], World], backend: str
) -> None:
    crashes = [Crash(step, world_factory(backend)) for step in STEPS]
    for crash in crashes:
        prepare(crash)
    for crash in crashes:  # every victim starts at once
        launch(crash)
    for crash in crashes:
        kill_at_its_step(crash)
    time.sleep(LEASE_S + 0.5)  # the dead processes' leases lapse
    for crash in crashes:
        recover(crash)
        check_sound(crash)
        expect_after(crash)
