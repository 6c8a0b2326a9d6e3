"""One decision per draft, on SQLite and PostgreSQL: two threads, then two separate
processes, resume the same interrupt at the same instant (accept vs edit, accept vs reject,
accept vs accept). Exactly one approval, at most one outbox row, and the loser is told who
decided first and when."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from agents.support.schemas import ApprovalDecision
from agents.support.service import AlreadyDecidedError
from tests.integration.reliability.conftest import (
    World,
    awaiting_draft,
)
from tools.crm.models import Approval, OutboxMessage

BACKENDS = ["sqlite", "postgresql"]
RACES = [("accept", "edit"), ("accept", "reject"), ("accept", "accept")]
EDITED = "Bonjour, votre colis arrive demain matin."


def _text(action: str) -> str | None:
    return EDITED if action == "edit" else None


def drafts(world: World, count: int) -> list[tuple[str, str]]:
    """`count` conversations, each with a draft waiting: (conversation, interrupt)."""
    root = world.root()
    try:
        return [awaiting_draft(world, root) for _ in range(count)]
    finally:
        root.close()


def check_one_effect(world: World, conversation: str, interrupt: str, winner: str) -> None:
    store = world.store()
    try:
        with store.reading() as session:
            approvals = session.scalar(
                select(func.count()).select_from(Approval).where(Approval.interrupt_id == interrupt)
            )
            outbox = list(
                session.scalars(
                    select(OutboxMessage).where(OutboxMessage.conversation_id == conversation)
                )
            )
    finally:
        store.close()
    assert approvals == 1
    assert len(outbox) == (0 if winner == "reject" else 1)
    if winner == "edit":
        assert outbox[0].body.startswith(EDITED)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_threads_deciding_one_draft_make_one_effect(
    world_factory: Callable[[str], World], backend: str
) -> None:
    world = world_factory(backend)
    root = world.root()
    try:
        for (conversation, interrupt), (first, second) in zip(
            drafts(world, len(RACES)), RACES, strict=True
        ):
            start = threading.Barrier(2)
            results: dict[str, str] = {}

            def decide(
                action: str,
                who: str,
                conversation: str,
                interrupt: str,
                start: threading.Barrier = start,
                results: dict[str, str] = results,
            ) -> None:
                decision = ApprovalDecision(action=action, text=_text(action))  # type: ignore[arg-type]
                start.wait()
                try:
                    root.support.decide(conversation, interrupt, decision, who)
                    results[who] = "won"
                except AlreadyDecidedError as exc:
                    results[who] = str(exc)

            threads = [
                threading.Thread(target=decide, args=(first, "lea", conversation, interrupt)),
                threading.Thread(target=decide, args=(second, "marc", conversation, interrupt)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            [winner] = [who for who, said in results.items() if said == "won"]
            [loser] = [who for who in results if who != winner]
            assert results[loser].startswith(f"already decided by {winner} at ")
            check_one_effect(world, conversation, interrupt, first if winner == "lea" else second)
    finally:
        root.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_deciding_one_draft_make_one_effect(
    world_factory: Callable[[str], World], backend: str
) -> None:
    world = world_factory(backend)
    waiting = drafts(world, len(RACES))
    lea, marc = world.start("decider"), world.start("decider")
    for process in (lea, marc):
        assert process.receive() == {"ready": True}
    for (conversation, interrupt), (first, second) in zip(waiting, RACES, strict=True):
        go_at = time.time() + 0.5  # both processes decide at this instant
        for process, action, who in ((lea, first, "lea"), (marc, second, "marc")):
            job = {
                "conversation_id": conversation,
                "interrupt_id": interrupt,
                "action": action,
                "text": _text(action),
                "reviewer": who,
                "go_at": go_at,
            }
            process.send(job)
        said = {"lea": lea.receive(), "marc": marc.receive()}
        [winner] = [who for who, answer in said.items() if answer["won"]]
        [loser] = [who for who in said if who != winner]
        assert str(said[loser]["error"]).startswith(f"already decided by {winner} at ")
        check_one_effect(world, conversation, interrupt, first if winner == "lea" else second)
