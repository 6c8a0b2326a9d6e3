"""The turn lifecycle over a real SQLite CRM (docs/turn-lifecycle.md): inbound first and
idempotent, nothing dropped, one decision per draft and its effects once, the human queue,
the recovery pass and the delivery worker. Real processes, PostgreSQL and kill -9 are in
tests/integration/reliability/."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from agents.cli.support import auto_approver
from agents.core.config import Settings
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.support.delivery import (
    DeliveryError,
    DeliveryReceipt,
    DeliveryWorker,
    LocalRecordSender,
    OutboundMessage,
)
from agents.support.intake import InboundEnvelope
from agents.support.recovery import doctor
from agents.support.schemas import ApprovalDecision, HistoryLine
from agents.support.service import (
    AlreadyAssignedError,
    AlreadyDecidedError,
    ConversationStateError,
    DraftCheckError,
    NothingPendingError,
)
from tests.unit.support.conftest import ANGRY, ASSESS_SIMPLE, DRAFT_OK, Harness
from tools.crm.errors import SenderMismatchError
from tools.crm.models import Approval, Conversation, Customer, EmotionReadingRow, Message, Turn
from tools.crm.models import OutboxMessage as Outbox

Make = Any
QUESTION = "Bonjour, où en est ma commande CMD-1001 ?"
OTHER_EMAIL = "paul.durand@example.com"


def waiting(h: Harness, conversation: str = "conv-1") -> str:
    """The interrupt of the draft waiting in the conversation."""
    pending = h.service.pending_for(conversation)
    assert pending is not None
    return pending.interrupt_id


def count(h: Harness, model: type, **where: Any) -> int:
    with h.store.reading() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.scalar(query) or 0)


def lapse_leases(h: Harness) -> None:
    """What a worker killed mid-turn leaves: its lease runs out."""
    past = datetime.now(UTC) - timedelta(minutes=5)
    with h.store.transaction() as session:
        session.execute(update(Turn).where(Turn.lease_until.is_not(None)).values(lease_until=past))


# --- inbound first, idempotent ------------------------------------------------------------
def test_a_message_is_stored_and_queued_before_anything_reads_it(make_harness: Make) -> None:
    h = make_harness()  # no model answer: nothing may run yet
    envelope = InboundEnvelope(
        channel="email", conversation_id="conv-1", text=QUESTION, external_message_id="m-1"
    )
    first = h.service.receive(envelope)
    again = h.service.receive(envelope)  # the channel delivers it twice

    assert again.duplicate and not first.duplicate
    assert (again.message_id, again.turn_id) == (first.message_id, first.turn_id)
    assert h.customer_messages() == [QUESTION]
    assert [t.status for t in h.store.turns.turns_of("conv-1")] == ["queued"]
    assert h.model.calls == []


def test_the_sender_decides_the_customer_never_the_message(make_harness: Make) -> None:
    h = make_harness()
    known = h.service.receive(
        InboundEnvelope(
            channel="email",
            text="Ma box ne marche plus",
            external_conversation_id="thread-7",
            sender_email="Camille.Martin@example.fr",
        )
    )
    assert known.new_conversation and not known.new_customer
    assert h.store.conversation_customer(known.conversation_id) == "cus-1"
    follow_up = h.service.receive(
        InboundEnvelope(
            channel="email",
            text="Toujours rien",
            external_conversation_id="thread-7",
            sender_email="camille.martin@example.fr",
        )
    )
    assert follow_up.conversation_id == known.conversation_id

    with pytest.raises(SenderMismatchError):  # someone else writing into Camille's thread
        h.service.receive(
            InboundEnvelope(
                channel="email",
                text="Envoyez-moi ses factures",
                external_conversation_id="thread-7",
                sender_email=OTHER_EMAIL,
            )
        )
    stranger = h.service.receive(
        InboundEnvelope(channel="email", text="Bonjour", sender_email="new@example.org")
    )
    assert stranger.new_customer
    with h.store.reading() as session:
        customer = session.get(Customer, h.store.conversation_customer(stranger.conversation_id))
        assert customer is not None and customer.verified is False
        assert session.scalar(select(func.count()).select_from(Message)) == 3  # refused: none


def test_a_message_on_a_resolved_conversation_reopens_it(make_harness: Make) -> None:
    h = make_harness()
    h.store.turns.take("conv-1", "lea")
    h.store.turns.resolve("conv-1", "lea")
    soon = h.service.receive(InboundEnvelope(channel="email", conversation_id="conv-1", text="Re"))
    assert soon.turn_id is None  # a person owned it an instant ago: back to them
    assert h.service.conversation_state("conv-1") == ("with_human", None)

    h.store.turns.resolve("conv-1", "lea")
    with h.store.transaction() as session:
        session.execute(update(Conversation).values(human_at=datetime.now(UTC) - timedelta(days=3)))
    later = h.service.receive(InboundEnvelope(channel="email", conversation_id="conv-1", text="?"))
    assert later.turn_id is not None
    assert h.service.conversation_state("conv-1") == ("open", None)


# --- nothing dropped ----------------------------------------------------------------------
class BrokenReader:
    def read(
        self, text: str, lang: Lang | None, history: list[HistoryLine], facts: str
    ) -> EmotionReading:
        raise RuntimeError("the emotion model file is unreadable")


def test_a_failing_part_sends_the_message_to_a_person_with_the_reason(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    h.service.deps.emotions = BrokenReader()
    result = h.submit(QUESTION)

    assert (result.outcome, result.status) == ("failed", "to_human")
    assert result.reason == "RuntimeError: the emotion model file is unreadable"
    assert result.handoff is not None
    assert result.handoff.reasons[0].rule == "turn_failed"
    assert result.handoff.last_message == QUESTION
    assert result.handoff.suggested_opening.startswith("Bonjour Camille")
    [item] = h.service.human_queue()
    assert (item.conversation_id, item.outcome, item.priority) == ("conv-1", "failed", "high")
    assert item.reason == result.reason and item.package == result.handoff
    assert h.customer_messages() == [QUESTION]
    assert count(h, Outbox) == 0


# --- one decision per draft, effects once -------------------------------------------------
def test_a_second_decision_on_a_draft_is_told_who_won(make_harness: Make) -> None:
    h0 = make_harness()
    with pytest.raises(NothingPendingError):
        h0.service.decide("conv-1", "no-such-interrupt", ApprovalDecision(action="accept"), "x")
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    h.submit(QUESTION)
    interrupt = waiting(h)
    accept = ApprovalDecision(action="accept")
    h.service.decide("conv-1", interrupt, accept, "lea")
    with pytest.raises(AlreadyDecidedError, match=r"already decided by lea at .* \(accept\)"):
        h.service.decide("conv-1", interrupt, ApprovalDecision(action="reject"), "marc")

    assert count(h, Approval, interrupt_id=interrupt) == 1
    assert count(h, Outbox) == 1
    assert count(h, EmotionReadingRow) == 1  # the inbound message's reading, once
    assert count(h, Message, author="assistant") == 1


def race(h: Harness, interrupt: str, first: str, second: str) -> list[str]:
    """Two agents decide the same draft at the same instant, on two threads."""
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(action: str, who: str) -> None:
        text = "Bonjour, votre colis arrive demain." if action == "edit" else None
        decision = ApprovalDecision(action=action, text=text)
        start.wait()
        try:
            h.service.decide("conv-1", interrupt, decision, who)
            outcomes.append("won")
        except AlreadyDecidedError as exc:
            outcomes.append(f"lost to {exc.reviewer}")

    threads = [
        threading.Thread(target=decide, args=(first, "lea")),
        threading.Thread(target=decide, args=(second, "marc")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.parametrize(
    ("first", "second"), [("accept", "edit"), ("accept", "reject"), ("accept", "accept")]
)
def test_concurrent_decisions_in_threads_make_one_effect(
    make_harness: Make, first: str, second: str
) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    h.submit(QUESTION)
    interrupt = waiting(h)
    outcomes = race(h, interrupt, first, second)
    assert outcomes in (["lost to lea", "won"], ["lost to marc", "won"]), outcomes
    assert count(h, Approval, interrupt_id=interrupt) == 1
    assert count(h, Outbox) <= 1
    assert count(h, Message, author="customer") == 1


def test_an_edit_is_checked_like_a_draft_and_an_override_is_recorded(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    h.submit(QUESTION)
    interrupt = waiting(h)
    leaky = f"Bonjour, écrivez plutôt à {OTHER_EMAIL}."  # and the AI disclosure removed
    edit = ApprovalDecision(action="edit", text=leaky)
    with pytest.raises(DraftCheckError, match=OTHER_EMAIL) as refused:
        h.service.decide("conv-1", interrupt, edit, "lea")
    assert [f.kind for f in refused.value.findings if f.blocking] == ["foreign_data"]
    assert count(h, Approval) == 0  # a refused edit claims nothing

    reason = "Adresse du service partenaire, vérifiée avec le client."
    h.service.decide("conv-1", interrupt, edit, "lea", override_reason=reason)
    with h.store.reading() as session:
        [approval] = session.scalars(select(Approval))
        [outgoing] = session.scalars(select(Outbox))
    assert (approval.decision, approval.override_reason) == ("edit", reason)
    assert "foreign_data" in [f["kind"] for f in approval.findings]
    assert outgoing.body.startswith(leaky)
    assert outgoing.body.endswith("relue par un conseiller.")  # the disclosure is put back


def test_a_persons_own_reply_is_checked_recorded_and_theirs(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    h.submit(QUESTION)
    interrupt = waiting(h)
    with pytest.raises(DraftCheckError):
        h.service.reply_as_human("conv-1", f"Voyez avec {OTHER_EMAIL}", "marc")
    applied = h.service.reply_as_human("conv-1", "Je m'en occupe, je vous rappelle.", "marc")

    assert applied.outbox_id is not None and applied.outcome == "approved"
    assert h.service.conversation_state("conv-1") == ("with_human", "marc")
    with pytest.raises(AlreadyDecidedError, match="marc"):  # the draft it answered
        h.service.decide("conv-1", interrupt, ApprovalDecision(action="accept"), "lea")
    assert count(h, Approval, decision="human_reply") == 1
    assert count(h, Outbox) == 1


def test_a_rejected_draft_leaves_the_conversation_with_a_person(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    h.submit(QUESTION)
    h.resume(action="reject", reviewer="lea")
    assert h.service.conversation_state("conv-1")[0] == "with_human"
    assert [i.conversation_id for i in h.service.human_queue()] == ["conv-1"]


# --- a person's actions -------------------------------------------------------------------
def test_take_give_back_resolve_and_a_requested_draft(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, ASSESS_SIMPLE, DRAFT_OK, reading=ANGRY)
    handed = h.submit("C'est inadmissible, troisième appel !")
    assert handed.outcome == "handed_off"

    h.service.take("conv-1", "lea")
    with pytest.raises(AlreadyAssignedError):
        h.service.take("conv-1", "marc")
    [item] = h.service.human_queue()
    assert (item.assignee, item.outcome) == ("lea", "handed_off")

    turn_id = h.service.request_draft("conv-1", "lea")  # the rules would hand off again
    drafted = h.service.process(turn_id)
    assert drafted.outcome == "awaiting_approval"
    assert h.store.turns.turn(turn_id).requested_by == "lea"
    h.resume(action="accept", reviewer="lea")
    assert h.service.conversation_state("conv-1") == ("with_human", "lea")  # still hers

    with pytest.raises(ConversationStateError):
        h.service.give_back("conv-2", "lea")  # conv-2 is with the copilot already
    h.service.give_back("conv-1", "lea")
    assert h.service.conversation_state("conv-1") == ("open", None)
    h.service.resolve("conv-1", "lea")
    assert h.service.conversation_state("conv-1") == ("resolved", None)
    assert h.service.human_queue() == []


# --- recovery -----------------------------------------------------------------------------
def test_a_dead_workers_turn_is_retried_once_then_handed_to_a_person(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    received = h.service.receive(
        InboundEnvelope(channel="email", conversation_id="conv-1", text=QUESTION)
    )
    assert received.turn_id is not None
    for attempt in (1, 2):  # a worker claims the turn, then dies
        claim = h.store.turns.claim(f"dead-worker-{attempt}", timedelta(seconds=30))
        assert claim is not None and claim.attempts == attempt
        lapse_leases(h)
        report = doctor(h.service)
    assert report.to_human == [received.turn_id]
    turn = h.store.turns.turn(received.turn_id)
    assert (turn.status, turn.outcome) == ("to_human", "failed")
    assert "stopped 2 times" in (turn.reason or "")


def test_a_retried_turn_reaches_its_draft(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    received = h.service.receive(
        InboundEnvelope(channel="email", conversation_id="conv-1", text=QUESTION)
    )
    assert h.store.turns.claim("dead-worker", timedelta(seconds=30)) is not None
    lapse_leases(h)
    assert doctor(h.service).requeued == [received.turn_id]
    assert h.service.process(received.turn_id or "").outcome == "awaiting_approval"


def test_a_decision_whose_process_died_is_applied_by_the_recovery_pass(
    make_harness: Make,
) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    h.submit(QUESTION)
    interrupt = waiting(h)
    pending = h.service.pending_for("conv-1")
    assert pending is not None
    h.store.turns.claim_decision(  # claimed, then the deciding process died
        interrupt, decision="accept", reviewer="lea", draft_text=pending.request.draft,
        holder="dead-app",
    )  # fmt: skip
    lapse_leases(h)
    assert doctor(h.service).resumed == [pending.turn_id]
    assert count(h, Outbox) == 1
    assert doctor(h.service).repaired == 0  # a second pass finds nothing to do
    assert count(h, Outbox) == 1


def test_a_draft_whose_checkpoint_is_gone_goes_to_a_person(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    result = h.submit(QUESTION)
    with h.store.transaction() as session:  # its checkpoint lost: another interrupt id
        session.execute(update(Turn).values(interrupt_id="gone"))
    assert doctor(h.service).to_human == [result.turn_id]
    assert h.service.conversation_state("conv-1")[0] == "with_human"


def test_the_live_view_shows_the_stage_and_the_draft_from_another_thread(
    make_harness: Make,
) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    h.model.token_delay_s = 0.06
    h.service.settings.draft_preview_interval_s = 0.05  # type: ignore[misc]
    received = h.service.receive(
        InboundEnvelope(channel="email", conversation_id="conv-1", text=QUESTION)
    )
    assert received.turn_id is not None
    runner = threading.Thread(target=h.service.process, args=(received.turn_id,))
    runner.start()
    seen: set[tuple[str | None, bool]] = set()
    while runner.is_alive():
        turn = h.store.turns.turn(received.turn_id)
        seen.add((turn.stage, bool(turn.draft_preview)))
        time.sleep(0.02)
    runner.join()
    assert ("drafting", True) in seen  # part of the draft, while it was being written
    assert h.store.turns.turn(received.turn_id).draft_preview.startswith(DRAFT_OK)


# --- delivery -----------------------------------------------------------------------------
class FlakySender:
    idempotent = False

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[OutboundMessage] = []

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("the helpdesk answered 503")
        self.sent.append(message)
        return DeliveryReceipt(external_id=f"ext-{len(self.sent)}")


def approved_reply(h: Harness) -> int:
    h.submit(QUESTION)
    h.resume(action="accept", reviewer="lea")
    [row] = h.store.deliveries.rows("conv-1")
    return row.id


def test_a_delivered_reply_makes_the_turn_sent(make_harness: Make, tmp_path: Path) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    outbox_id = approved_reply(h)
    sender = LocalRecordSender(tmp_path / "none.jsonl")
    worker = DeliveryWorker(h.store, h.service.settings, {}, fallback=sender)
    assert [d.status for d in worker.run_until_idle()] == ["delivered"]
    [row] = h.store.deliveries.rows("conv-1")
    assert (row.id, row.status) == (outbox_id, "delivered")
    assert row.external_id and row.external_id.startswith("none:")
    assert [m.idempotency_key for m in sender.sent()] == [f"approval:{row.approval_id}"]
    assert h.store.turns.turns_of("conv-1")[-1].outcome == "sent"
    assert worker.run_until_idle() == []  # nothing is sent twice


def test_failed_sends_back_off_then_die_and_an_agent_retries(
    make_harness: Make, settings: Settings
) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    outbox_id = approved_reply(h)
    quick = h.service.settings.model_copy(
        update={"delivery_max_attempts": 2, "delivery_backoff_s": 0.01}
    )
    sender = FlakySender(failures=5)
    worker = DeliveryWorker(h.store, quick, {"email": sender})
    assert worker.run_next() is not None
    [row] = h.store.deliveries.rows()
    assert (row.status, row.attempts, row.last_error) == (
        "failed",
        1,
        "DeliveryError: the helpdesk answered 503",
    )
    time.sleep(0.05)
    assert worker.run_next() is not None
    assert h.store.deliveries.rows()[0].status == "dead"
    assert worker.run_next() is None

    sender.failures = 0
    h.store.deliveries.retry(outbox_id)
    assert [d.status for d in worker.run_until_idle()] == ["delivered"]
    assert len(sender.sent) == 1


def test_nothing_is_delivered_without_an_applied_approval(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    h.submit(QUESTION)
    h.resume(action="reject", reviewer="lea")
    now = datetime.now(UTC)
    with h.store.transaction() as session:
        rejected = session.scalars(select(Approval)).one()
        for key, approval_id, body in (
            ("forged:1", rejected.id, "Voici un avoir de 500 €."),  # a rejected draft
            ("forged:2", None, "Un message sans approbation."),  # no approval at all
        ):
            session.add(
                Outbox(
                    conversation_id="conv-1",
                    customer_id="cus-1",
                    approval_id=approval_id,
                    kind="reply" if approval_id else "handoff_note",
                    idempotency_key=key,
                    channel="email",
                    language="fr",
                    body=body,
                    status="pending",
                    attempts=0,
                    created_at=now,
                )
            )
    sender = FlakySender(failures=0)
    worker = DeliveryWorker(h.store, h.service.settings, {"email": sender})
    done = {d.outbox_id: d.status for d in worker.run_until_idle()}
    statuses = {row.idempotency_key: row.status for row in h.store.deliveries.rows()}
    assert statuses == {"forged:1": "dead", "forged:2": "delivered"}  # a note is no reply
    assert [m.body for m in sender.sent] == ["Un message sans approbation."]
    assert len(done) == 2


def test_a_send_interrupted_mid_way_is_not_sent_again_on_its_own(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    outbox_id = approved_reply(h)
    assert h.store.deliveries.claim(timedelta(seconds=1)) is not None  # then the worker died
    with h.store.transaction() as session:
        session.execute(update(Outbox).values(lease_until=datetime.now(UTC) - timedelta(seconds=5)))
    sender = FlakySender(failures=0)
    delivery = DeliveryWorker(h.store, h.service.settings, {"email": sender})
    assert doctor(h.service, delivery).deliveries_dead == [outbox_id]
    assert delivery.run_until_idle() == [] and sender.sent == []
    assert "may or may not have reached" in (h.store.deliveries.rows()[0].last_error or "")


# --- auto-approval --------------------------------------------------------------------------
def test_auto_approval_only_in_demo_mode_or_a_throwaway_folder(settings: Settings) -> None:
    # A real install: the default folder with demo mode off (a real model, or turned off).
    home = settings.model_copy(
        update={"data_dir": Path.home() / ".local/share/ressenti", "demo_mode": False}
    )
    assert auto_approver(home) is None
    assert auto_approver(home.model_copy(update={"demo_mode": True})) == "auto-approve (demo mode)"
    assert auto_approver(settings) == "auto-approve (throwaway data folder)"  # under /tmp


def test_a_decision_whose_effects_failed_is_tried_again_not_dropped(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK)
    h.submit(QUESTION)
    real_apply = h.writer.inner.apply
    failures = [OperationalError("UPDATE turns", {}, Exception("database is locked"))]

    def flaky_apply(*args: Any) -> Any:
        if failures:
            raise failures.pop()
        return real_apply(*args)

    h.writer.inner.apply = flaky_apply  # type: ignore[method-assign]
    decided = h.service.decide("conv-1", waiting(h), ApprovalDecision(action="accept"), "lea")
    assert (decided.result.status, decided.result.outcome) == ("decided", None)  # released
    assert count(h, Outbox) == 0

    again = h.service.process(decided.result.turn_id)  # a worker (or the pool) resumes it
    assert again.outcome == "approved"
    assert count(h, Outbox) == 1 and count(h, Approval) == 1
