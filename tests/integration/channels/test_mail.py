"""The e-mail channel end to end against real servers (Dovecot IMAP, aiosmtpd SMTP): a mail
in the support mailbox becomes a conversation, its draft is approved, the reply lands in
the customer's mailbox with the thread's headers, and the customer's answer joins the same
conversation; what is not a customer message is kept for a person."""

from __future__ import annotations

import imaplib
import logging
import time
from collections.abc import Callable
from email.message import EmailMessage

import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from agents.channels.imap import MailPoller
from agents.cli import app as cli
from agents.services.root import Root
from agents.support.schemas import ApprovalDecision
from tests.integration.channels.conftest import (
    CAMILLE,
    STRANGER,
    SUPPORT,
    MailWorld,
    mail_settings,
)
from tests.integration.reliability.proc import open_root
from tools.crm.models import Conversation, MailCursor, Message, OutboxMessage

DISCLOSURE_FR = "préparée avec l'aide d'un assistant IA"


def customer_mail(
    message_id: str,
    text: str,
    *,
    sender: str = CAMILLE,
    subject: str = "Où est mon colis ?",
    in_reply_to: str | None = None,
    references: str | None = None,
    html: str | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Camille Martin <{sender}>"
    mail["To"] = f"Lumio <{SUPPORT}>"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{message_id}>"
    mail["Date"] = "Wed, 02 Dec 2026 09:00:00 +0100"
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    if text:
        mail.set_content(text)
        if html:
            mail.add_alternative(html, subtype="html")
    else:  # an HTML-only mail
        mail.set_content(html or "", subtype="html")
    return bytes(mail)


def wait_for(check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("the awaited state never came")


def flags(world: MailWorld, address: str) -> list[bytes]:
    client = world.dovecot.login(address)
    try:
        client.select("INBOX", readonly=True)
        _, data = client.uid("FETCH", "1:*", "(FLAGS)")
        return [line for line in data if isinstance(line, bytes)]
    finally:
        client.logout()


def poller(root: Root) -> MailPoller:
    found = root.mail_poller
    assert found is not None
    return found


def test_a_mail_is_answered_in_its_thread_and_the_answer_joins_the_conversation(
    mail_world: MailWorld,
) -> None:
    world, root = mail_world, mail_world.root
    world.dovecot.append(
        SUPPORT,
        customer_mail(
            "m1.camille@exemple.fr",
            "Bonjour,\n\nMon colis CMD-1001 n'est toujours pas arrivé.\n\nCordialement,\nCamille"
            "\n06 12 34 56 78\n",
        ),
    )

    first = poller(root).poll_once()
    [received] = first.received
    assert received.new_conversation and not received.new_customer
    with root.store.reading() as session:
        conversation = session.get(Conversation, received.conversation_id)
        assert conversation is not None
        assert (conversation.channel, conversation.external_id) == (
            "email",
            "m1.camille@exemple.fr",
        )
        assert conversation.customer_id == "CUS-CAMILLE"  # matched by e-mail
        message = session.get(Message, received.message_id)
        assert message is not None
        assert message.external_id == "m1.camille@exemple.fr"
        assert message.text == (
            "Bonjour,\n\nMon colis CMD-1001 n'est toujours pas arrivé.\n\nCordialement,"
        )  # the signature block is not read

    # Polling again reads nothing new; read again from the start (cursor gone), the same
    # Message-ID is stored once.
    assert poller(root).poll_once().received == []
    with root.store.transaction() as session:
        session.execute(delete(MailCursor))
    [again] = poller(root).poll_once().received
    assert again.duplicate and again.message_id == received.message_id

    # Drafted, approved, delivered by SMTP into Camille's mailbox.
    assert received.turn_id is not None
    drafted = root.support.process(received.turn_id)
    assert drafted.outcome == "awaiting_approval" and drafted.interrupt_id, drafted
    decided = root.support.decide(
        received.conversation_id,
        drafted.interrupt_id,
        ApprovalDecision(action="accept"),
        "agent@lumio.example",
    )
    [delivery] = root.delivery.run_until_idle()
    assert delivery.status == "delivered", delivery
    with root.store.reading() as session:
        outbox = session.scalars(
            select(OutboxMessage).where(OutboxMessage.approval_id == decided.approval_id)
        ).one()
    [reply] = world.dovecot.messages(CAMILLE)
    assert reply["Message-ID"] == f"<{outbox.external_id}>"
    assert reply["In-Reply-To"] == "<m1.camille@exemple.fr>"
    assert reply["References"] == "<m1.camille@exemple.fr>"
    assert reply["Content-Language"] == "fr"
    assert reply["From"] == f"Lumio <{SUPPORT}>"
    assert reply["To"] == f"Camille Martin <{CAMILLE}>"
    assert reply["Subject"] == "Re: Où est mon colis ?"
    body = reply.get_content().replace("\r\n", "\n").strip()
    assert body == outbox.body.strip()  # exactly the approved text
    assert DISCLOSURE_FR in body
    [sent] = world.smtp.received
    assert sent.recipients == [CAMILLE] and sent.mail_from == SUPPORT

    # Camille answers our reply (her client quotes it): same conversation, her words only.
    ours = reply["Message-ID"]
    world.dovecot.append(
        SUPPORT,
        customer_mail(
            "m2.camille@exemple.fr",
            "Merci, je l'attends donc jusqu'à vendredi.\n\n"
            f"Le mer. 2 déc. 2026 à 10:00, Lumio <{SUPPORT}> a écrit :\n"
            "> Bonjour Camille,\n> votre colis est en route.\n",
            subject="Re: Où est mon colis ?",
            in_reply_to=ours,
            references=f"<m1.camille@exemple.fr> {ours}",
        ),
    )
    [answer] = poller(root).poll_once().received
    assert answer.conversation_id == received.conversation_id
    assert not answer.new_conversation and not answer.duplicate
    with root.store.reading() as session:
        stored = session.get(Message, answer.message_id)
        assert stored is not None
        assert stored.text == "Merci, je l'attends donc jusqu'à vendredi."

    # Our second reply answers her second mail, after the whole thread.
    assert answer.turn_id is not None
    second = root.support.process(answer.turn_id)
    assert second.outcome == "awaiting_approval" and second.interrupt_id, second
    root.support.decide(
        received.conversation_id,
        second.interrupt_id,
        ApprovalDecision(
            action="edit", text="Bonjour Camille, c'est bien cela : vendredi au plus tard."
        ),
        "agent@lumio.example",
    )
    [delivered] = root.delivery.run_until_idle()
    assert delivered.status == "delivered", delivered
    [_, reply2] = world.dovecot.messages(CAMILLE)
    assert reply2["In-Reply-To"] == "<m2.camille@exemple.fr>"
    assert reply2["References"] == f"<m1.camille@exemple.fr> {ours} <m2.camille@exemple.fr>"
    assert reply2["Message-ID"] != ours
    body2 = reply2.get_content().replace("\r\n", "\n")
    assert "vendredi au plus tard" in body2 and DISCLOSURE_FR in body2  # put back into the edit

    # A stranger answering the same reply is refused by Intake; the mail stays flagged.
    world.dovecot.append(
        SUPPORT,
        customer_mail(
            "m3.stranger@ailleurs.example",
            "Je réponds à la place de Camille.",
            sender=STRANGER,
            in_reply_to=ours,
        ),
    )
    third = poller(root).poll_once()
    assert third.received == []
    [(_, reason)] = third.kept
    assert STRANGER in reason
    with root.store.reading() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.conversation_id == received.conversation_id)
        )
    assert count == 4  # her two mails and our two replies, nothing of the stranger
    support_flags = flags(world, SUPPORT)
    assert b"\\Flagged" in support_flags[-1] and b"\\Seen" not in support_flags[-1]
    assert all(b"\\Seen" in line for line in support_flags[:2])


def test_unreadable_mail_is_kept_for_a_person_and_the_poller_goes_on(
    mail_world: MailWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world, root = mail_world, mail_world.root
    # 8-bit text that is not valid in the charset the mail declares (none: us-ascii).
    broken = (
        b"From: Camille <camille.martin@exemple.fr>\r\nTo: support@lumio.example\r\n"
        b"Subject: colis\r\nMessage-ID: <broken@exemple.fr>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"Mon colis n'est pas arriv\xe9, c'est \xe9nervant.\r\n"
    )
    world.dovecot.append(SUPPORT, broken)
    latin1 = customer_mail("latin1@exemple.fr", "Où est ma facture ?")
    latin1 = latin1.replace(b'charset="utf-8"', b'charset="iso-8859-1"')
    latin1 = latin1.replace("Où est ma facture ?".encode(), "Où est ma facture ?".encode("latin-1"))
    world.dovecot.append(SUPPORT, latin1)
    world.dovecot.append(SUPPORT, b"Subject: no sender\r\n\r\nhello\r\n")

    with caplog.at_level(logging.WARNING, logger="agents.channels.imap"):
        report = poller(root).poll_once()

    [(first_uid, first_reason), (third_uid, third_reason)] = report.kept
    assert (first_uid, third_uid) == (1, 3)
    assert "not valid" in first_reason and "us-ascii" in first_reason
    assert "sender" in third_reason
    [taken] = report.received  # the correctly declared ISO-8859-1 mail is read
    with root.store.reading() as session:
        stored = session.get(Message, taken.message_id)
        assert stored is not None and stored.text == "Où est ma facture ?"
    logged = [r.getMessage() for r in caplog.records]
    assert any("kept for a person" in line and "<broken@exemple.fr>" in line for line in logged)
    support_flags = flags(world, SUPPORT)
    assert b"\\Flagged" in support_flags[0] and b"\\Flagged" in support_flags[2]


def test_workers_poll_draft_and_send_on_their_threads(mail_world: MailWorld) -> None:
    world = mail_world
    settings = mail_settings(world.settings.data_dir, world.dovecot, world.smtp, mail_html=True)
    root = open_root(settings)  # a second process's view of the same databases
    root.start_workers()
    world.dovecot.append(
        SUPPORT,
        customer_mail(
            "w1@exemple.fr",
            "",
            html="<p>Bonjour, <b>où en est</b> ma commande&nbsp;?</p>",
        ),
    )

    def waiting() -> bool:
        return bool(root.support.pending())

    wait_for(waiting)
    [pending] = root.support.pending()
    with root.store.reading() as session:
        conversation = session.scalars(
            select(Conversation).where(Conversation.external_id == "w1@exemple.fr")
        ).one()
    root.support.decide(
        conversation.id, pending.interrupt_id, ApprovalDecision(action="accept"), "agent@lumio"
    )
    wait_for(lambda: len(world.dovecot.messages(CAMILLE)) == 1)
    [reply] = world.dovecot.messages(CAMILLE)
    assert reply["In-Reply-To"] == "<w1@exemple.fr>"
    assert reply["Content-Language"] == "fr"
    assert reply.get_content_type() == "multipart/alternative"
    plain = reply.get_body(preferencelist=("plain",))
    rich = reply.get_body(preferencelist=("html",))
    assert plain is not None and rich is not None
    assert DISCLOSURE_FR in plain.get_content()
    assert "<p>" in rich.get_content() and "assistant IA" in rich.get_content()
    with root.store.reading() as session:  # her HTML mail was read as text
        [message] = session.scalars(
            select(Message).where(Message.external_id == "w1@exemple.fr")
        ).all()
    assert message.text == "Bonjour, où en est ma commande ?"
    poller_thread = root.mail_poller
    root.close()  # stops the poller's thread with the others
    assert poller_thread is not None and poller_thread._thread is None


def test_a_refused_recipient_is_not_retried(mail_world: MailWorld) -> None:
    world, root = mail_world, mail_world.root
    world.dovecot.append(
        SUPPORT, customer_mail("r1@nowhere.example", "Bonjour ?", sender="perdu@nowhere.example")
    )
    [received] = poller(root).poll_once().received
    assert received.new_customer  # an unknown sender: a new, unverified customer
    assert received.turn_id is not None
    drafted = root.support.process(received.turn_id)
    assert drafted.interrupt_id
    root.support.decide(
        received.conversation_id, drafted.interrupt_id, ApprovalDecision(action="accept"), "a"
    )
    [delivery] = root.delivery.run_until_idle()
    assert delivery.status == "dead"  # 550 from the server: a person looks at it
    assert delivery.error is not None and "refused the recipient" in delivery.error


def test_channels_check_says_what_works_and_what_is_wrong(
    mail_world: MailWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = mail_world
    runner = CliRunner()
    env = {
        "RESSENTI_DATA_DIR": str(world.settings.data_dir),
        "RESSENTI_IMAP_HOST": world.dovecot.host,
        "RESSENTI_IMAP_PORT": str(world.dovecot.port),
        "RESSENTI_IMAP_USER": SUPPORT,
        "RESSENTI_IMAP_PASSWORD": "support-secret",
        "RESSENTI_IMAP_SSL": "false",
        "RESSENTI_SMTP_HOST": world.smtp.host,
        "RESSENTI_SMTP_PORT": str(world.smtp.port),
        "RESSENTI_SMTP_USER": SUPPORT,
        "RESSENTI_SMTP_PASSWORD": "support-secret",
        "RESSENTI_SMTP_STARTTLS": "false",
        "RESSENTI_MAIL_FROM": f"Lumio <{SUPPORT}>",
    }
    monkeypatch.chdir(world.settings.data_dir)  # no .env of the working copy
    good = runner.invoke(cli, ["channels", "check", "--lang", "en"], env=env)
    assert good.exit_code == 0, good.output
    mail_lines = [line for line in good.output.splitlines() if "email (" in line]
    assert [line.split(":")[0] for line in mail_lines] == ["OK email (imap)", "OK email (smtp)"]
    assert "not configured chatwoot" in good.output  # the other channel says what it needs

    wrong = {**env, "RESSENTI_IMAP_PASSWORD": "wrong-one", "RESSENTI_SMTP_PASSWORD": "nope"}
    bad = runner.invoke(cli, ["channels", "check", "--lang", "fr"], env=wrong)
    assert bad.exit_code == 1
    assert "identifiant ou mot de passe refusé" in bad.output
    assert "wrong-one" not in bad.output and "nope" not in bad.output

    closed = {**env, "RESSENTI_IMAP_PORT": "9", "RESSENTI_SMTP_PORT": "9"}
    down = runner.invoke(cli, ["channels", "check", "--lang", "en"], env=closed)
    assert down.exit_code == 1
    lines = [line for line in down.output.splitlines() if "email (" in line]
    assert [line.split(" ")[:2] for line in lines] == [["FAILED", "email"]] * 2
    assert all("cannot connect (host, port, TLS or firewall)" in line for line in lines)


def test_a_mail_poller_over_a_wrong_folder_fails_plainly(mail_world: MailWorld) -> None:
    settings = mail_settings(
        mail_world.settings.data_dir / "other",
        mail_world.dovecot,
        mail_world.smtp,
        imap_folder="Nulle-part",
    )
    with open_root(settings) as root, pytest.raises(Exception, match="Nulle-part") as caught:
        poller(root).poll_once()
    assert not isinstance(caught.value, imaplib.IMAP4.error)  # said as a MailboxError


def test_smtp_down_is_retried_then_delivered_once(mail_world: MailWorld) -> None:
    world = mail_world
    down = mail_settings(
        world.settings.data_dir, world.dovecot, world.smtp, smtp_port=9, delivery_backoff_s=0.2
    )
    world.dovecot.append(SUPPORT, customer_mail("d1@exemple.fr", "Bonjour, et ma commande ?"))
    with open_root(down) as root:
        [received] = poller(root).poll_once().received
        assert received.turn_id is not None
        drafted = root.support.process(received.turn_id)
        assert drafted.interrupt_id
        root.support.decide(
            received.conversation_id, drafted.interrupt_id, ApprovalDecision(action="accept"), "a"
        )
        [failed] = root.delivery.run_until_idle()
        assert failed.status == "failed" and "cannot reach the SMTP server" in (failed.error or "")
    time.sleep(0.3)  # past the back-off
    with open_root(world.settings) as root:  # the server is reachable again
        [delivered] = root.delivery.run_until_idle()
        assert delivered.status == "delivered"
        assert root.delivery.run_until_idle() == []
    assert len(world.dovecot.messages(CAMILLE)) == 1
