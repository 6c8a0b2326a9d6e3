"""One mail through the real vLLM server: the mailbox poller takes it in, the real model
assesses and drafts, an agent approves, and the reply lands in the customer's mailbox in
the thread. The 135M CPU model decides little, so the turn may instead go to a person:
then nothing may reach the customer's mailbox."""

from __future__ import annotations

from pathlib import Path

from agents.core.config import Settings
from agents.services.root import Overrides, Root
from agents.support.schemas import ApprovalDecision
from tests.integration.channels.conftest import CAMILLE, SUPPORT, SUPPORT_PASSWORD
from tests.integration.channels.test_mail import DISCLOSURE_FR, customer_mail
from tests.integration.reliability.proc import Calm, OnePassage
from tests.mailservers import Dovecot, SmtpDrop


def test_a_mail_is_drafted_by_the_real_model_and_answered_in_its_thread(
    llm_settings: Settings, tmp_path: Path
) -> None:
    dovecot = Dovecot()
    dovecot.add_user(SUPPORT, SUPPORT_PASSWORD)
    dovecot.add_user(CAMILLE, "client-secret")
    dovecot.start()
    smtp = SmtpDrop(dovecot)
    try:
        smtp.start()
        settings = llm_settings.model_copy(
            update={
                "data_dir": tmp_path,
                "imap_host": dovecot.host,
                "imap_port": dovecot.port,
                "imap_user": SUPPORT,
                "imap_password": Settings(
                    imap_password=SUPPORT_PASSWORD,
                    _env_file=None,  # type: ignore[call-arg]
                ).imap_password,
                "imap_ssl": False,
                "smtp_host": smtp.host,
                "smtp_port": smtp.port,
                "smtp_starttls": False,
                "mail_from": f"Lumio <{SUPPORT}>",
                "delivery_fallback": "hold",
            }
        )
        dovecot.append(
            SUPPORT,
            customer_mail(
                "real1@exemple.fr",
                "Bonjour, ma commande n'est pas encore arrivée. Pouvez-vous me dire où elle en"
                " est ?\n\nCordialement,\nCamille",
            ),
        )
        with Root(settings, Overrides(knowledge=OnePassage(), emotions=Calm())) as root:
            poller = root.mail_poller
            assert poller is not None
            [received] = poller.poll_once().received
            assert received.turn_id is not None
            result = root.support.process(received.turn_id)
            if result.outcome == "awaiting_approval":
                assert result.interrupt_id and result.draft and len(result.draft.strip()) > 20
                root.support.decide(
                    received.conversation_id,
                    result.interrupt_id,
                    ApprovalDecision(action="accept"),
                    "agent@lumio.example",
                )
                [delivery] = root.delivery.run_until_idle()
                assert delivery.status == "delivered", delivery
                [reply] = dovecot.messages(CAMILLE)
                assert reply["In-Reply-To"] == "<real1@exemple.fr>"
                assert reply["Content-Language"] == "fr"
                assert DISCLOSURE_FR in reply.get_content()
            else:
                assert result.status == "to_human", result
                assert root.delivery.run_until_idle() == []
                assert dovecot.messages(CAMILLE) == []
    finally:
        smtp.stop()
        dovecot.stop()
