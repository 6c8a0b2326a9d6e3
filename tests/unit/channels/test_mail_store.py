"""The e-mail channel's CRM side over a real SQLite store: mailbox cursors and the
conversation a mail's thread ids point to."""

from __future__ import annotations

from pathlib import Path

from agents.core.config import Settings
from agents.support.intake import InboundEnvelope, Intake
from tools.crm.models import OutboxMessage
from tools.crm.store import CRMStore


def store(tmp_path: Path) -> CRMStore:
    return CRMStore.from_url(f"sqlite:///{tmp_path / 'crm.db'}")


def test_a_cursor_moves_forward_and_restarts_with_a_new_uidvalidity(tmp_path: Path) -> None:
    crm = store(tmp_path)
    mail = crm.mail
    assert mail.cursor("box") is None
    mail.advance("box", 7, 3)
    mail.advance("box", 7, 2)  # never backwards
    cursor = mail.cursor("box")
    assert cursor is not None and (cursor.uidvalidity, cursor.last_uid) == (7, 3)
    mail.advance("box", 9, 1)  # the folder was renumbered
    cursor = mail.cursor("box")
    assert cursor is not None and (cursor.uidvalidity, cursor.last_uid) == (9, 1)
    assert mail.cursor("other") is None
    crm.close()


def test_thread_ids_find_the_conversation_by_root_inbound_or_sent_id(tmp_path: Path) -> None:
    crm = store(tmp_path)
    intake = Intake(crm, Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    first = intake.receive(
        InboundEnvelope(
            channel="email",
            text="Bonjour",
            external_conversation_id="root@exemple.fr",
            external_message_id="root@exemple.fr",
            sender_email="camille@exemple.fr",
        )
    )
    later = intake.receive(
        InboundEnvelope(
            channel="email",
            text="Encore moi",
            conversation_id=first.conversation_id,
            external_message_id="second@exemple.fr",
            sender_email="camille@exemple.fr",
        )
    )
    chat = intake.receive(
        InboundEnvelope(
            channel="chat",
            text="Salut",
            external_conversation_id="chat-1",
            external_message_id="sent@lumio.example",  # the same id on another channel
            sender_email="paul@exemple.fr",
        )
    )
    with crm.transaction() as session:
        session.add(
            OutboxMessage(
                conversation_id=first.conversation_id,
                customer_id=crm.conversation_customer(first.conversation_id),
                kind="handoff_note",
                channel="email",
                language="fr",
                body="…",
                status="delivered",
                idempotency_key="handoff:t",
                external_id="ours@lumio.example",
                created_at=crm.clock(),
            )
        )
    mail = crm.mail
    assert later.conversation_id == first.conversation_id
    assert mail.conversation_of(["root@exemple.fr"]) == first.conversation_id
    assert mail.conversation_of(["unknown@x", "second@exemple.fr"]) == first.conversation_id
    assert mail.conversation_of(["ours@lumio.example"]) == first.conversation_id
    assert mail.conversation_of(["sent@lumio.example"]) is None  # a chat message: not a mail
    assert mail.conversation_of(["unknown@x"]) is None and mail.conversation_of([]) is None
    assert chat.conversation_id != first.conversation_id
    crm.close()
