"""The e-mail channel's sender: an approved reply leaves by SMTP (`ChannelSender` of the
conversation channel `email`).

Each reply is one new mail: `From` the company's address (`mail_from`), `To` the customer,
`Subject` "Re: " and the conversation's subject, a new `Message-ID` (on `mail_from`'s
domain) returned as the outbox row's external id (so the customer's answer to it finds its
conversation), `In-Reply-To` the inbound mail its draft answered and `References` the
thread (`store.mail.reply_headers`), `Content-Language` the reply's language, the approved
text as the plain-text body (the AI disclosure is part of that text: the draft check puts
it there, and puts it back into an edit) and, with `mail_html`, an HTML alternative of the
same text.

Sends are not idempotent (`idempotent = False`): SMTP has no way to ask whether a mail was
taken, so a send interrupted mid-way is left to a person (the row goes `dead`). A
permanent refusal (5xx: unknown recipient, a message refused) is not retried; a
connection or temporary failure is.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from agents.channels.mailparse import one_line, thread_subject
from agents.core.config import Settings
from agents.support.delivery import DeliveryError, DeliveryReceipt, OutboundMessage
from tools.crm.store import CRMStore

REPLY_PREFIX = "Re: "


def _angle(message_id: str) -> str:
    return f"<{message_id}>"


def open_smtp(settings: Settings) -> smtplib.SMTP:
    """A connection to the configured SMTP server, upgraded (STARTTLS) and logged in as
    configured. Raises `smtplib.SMTPException` or `OSError`."""
    host, port, timeout = settings.smtp_host or "", settings.smtp_port, settings.mail_timeout_s
    context = ssl.create_default_context()
    client: smtplib.SMTP = (
        smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        if settings.smtp_ssl
        else smtplib.SMTP(host, port, timeout=timeout)
    )
    try:
        client.ehlo()
        if settings.smtp_starttls and not settings.smtp_ssl:
            client.starttls(context=context)
            client.ehlo()
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            client.login(settings.smtp_user, password)
    except BaseException:
        client.close()
        raise
    return client


class SmtpSender:
    """Sends approved replies of e-mail conversations through the configured SMTP server."""

    idempotent = False

    def __init__(self, settings: Settings, store: CRMStore) -> None:
        if not settings.mail_from:
            raise ValueError("the e-mail channel needs RESSENTI_MAIL_FROM (the company's From)")
        self.settings = settings
        self.store = store
        self.from_header = settings.mail_from
        self.from_address = parseaddr(settings.mail_from)[1]
        self.domain = self.from_address.rpartition("@")[2] or "ressenti.invalid"

    def compose(self, message: OutboundMessage) -> EmailMessage:
        """The mail of one outbox reply (its `Message-ID` is new at each call)."""
        if message.kind != "reply":
            raise DeliveryError(
                f"the e-mail channel sends replies to customers, not {message.kind!r}",
                retryable=False,
            )
        if not message.recipient or "@" not in message.recipient:
            raise DeliveryError("the customer has no e-mail address to reply to", retryable=False)
        headers = self.store.mail.reply_headers(message.outbox_id)
        mail = EmailMessage()
        mail["From"] = self.from_header
        mail["To"] = formataddr((one_line(message.customer_name), one_line(message.recipient)))
        subject = thread_subject(message.subject) or one_line(message.subject)
        mail["Subject"] = f"{REPLY_PREFIX}{subject}"
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = make_msgid(domain=self.domain)
        if headers.in_reply_to:
            mail["In-Reply-To"] = _angle(headers.in_reply_to)
        if headers.references:
            mail["References"] = " ".join(_angle(i) for i in headers.references)
        mail.set_content(message.body, charset="utf-8")
        if self.settings.mail_html:
            paragraphs = "".join(
                f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>"
                for block in message.body.split("\n\n")
                if block.strip()
            )
            mail.add_alternative(
                f'<!DOCTYPE html><html lang="{html.escape(message.language)}"><body>'
                f"{paragraphs}</body></html>",
                subtype="html",
                charset="utf-8",
            )
        # After the body: setting the content replaces every `Content-*` header.
        mail["Content-Language"] = message.language
        return mail

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        mail = self.compose(message)
        try:
            client = open_smtp(self.settings)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot reach the SMTP server: {exc}") from exc
        try:
            client.send_message(mail, from_addr=self.from_address, to_addrs=[message.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"the SMTP server refused the recipient: {exc.recipients}",
                retryable=any(400 <= code < 500 for code in codes),
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"the SMTP server refused the mail: {exc.smtp_code} {exc.smtp_error!r}",
                retryable=not 500 <= exc.smtp_code < 600,
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"the SMTP connection failed: {exc}") from exc
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        return DeliveryReceipt(external_id=str(mail["Message-ID"]).strip().strip("<>"))
