"""The mailbox poller: new mail in the support mailbox becomes inbound messages.

Each poll logs in, selects the folder, and asks for the UIDs after the last one handled
(the cursor kept in the CRM per mailbox and UIDVALIDITY, `store.mail`). Each new mail is
read (`mailparse.parse_mail`), its thread found (`In-Reply-To` / `References` against the
conversations' roots, the stored inbound mails and the replies Ressenti sent), and handed
to `Intake` (`receive`): the Message-ID is the external message id, so a mail fetched twice
is stored once; the thread's root Message-ID is a new conversation's external id. The
cursor moves past each mail once it is handled, so a poller stopped mid-way resumes
where it was.

A mail that is not a customer message for Ressenti is never lost and never stops the
poller:
- unreadable (no sender, a charset it cannot decode, no text, too long) or refused by
  `Intake` (its sender is not the customer of the thread it answers): a warning names the
  UID, the Message-ID and the reason, and the mail stays in the folder marked `\\Flagged`
  (and unread) for a person;
- automatic (an out-of-office, a bulk or list mail) or sent from our own address: logged
  and left as it is.
A mail taken in is marked `\\Seen`. A failure of the server or the CRM ends that poll
(logged); the next poll tries again from the cursor.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parseaddr

from pydantic import ValidationError

import prompts
from agents.channels.mailparse import (
    Attachment,
    ParsedMail,
    UnreadableMailError,
    identify,
    parse_mail,
)
from agents.core.config import Settings
from agents.core.lang import Lang
from agents.support.intake import MAX_MESSAGE_CHARS, InboundEnvelope
from tools.crm.errors import ConversationNotFoundError, InvalidWriteError, SenderMismatchError
from tools.crm.store import CRMStore
from tools.crm.turns import Received

logger = logging.getLogger(__name__)

CHANNEL = "email"
FETCH_BATCH = 50
"""Mails handled per poll at most (the next poll goes on)."""
KEPT_FLAG = "\\Flagged"


class MailboxError(RuntimeError):
    """The mailbox could not be read; `step` says where: `connect`, `login`, `folder` or
    `read`."""

    def __init__(self, message: str, step: str = "read") -> None:
        super().__init__(message)
        self.step = step


@dataclass
class PollReport:
    """What one poll did, mail by mail."""

    received: list[Received] = field(default_factory=list)
    """Mails taken in (a duplicate included: `Received.duplicate`)."""
    kept: list[tuple[int, str]] = field(default_factory=list)
    """(UID, reason) of mails left flagged for a person."""
    skipped: list[tuple[int, str]] = field(default_factory=list)
    """(UID, reason) of automatic mails and our own."""


def attachments_line(attachments: tuple[Attachment, ...], lang: Lang) -> str:
    """The line that lists a mail's attachments in its text (names, types, sizes)."""
    texts = prompts.snippets("mail")

    def size(count: int) -> str:
        if count >= 1024:
            return texts.text("size_kb", lang, kb=round(count / 1024))
        return texts.text("size_bytes", lang, bytes=count)

    names = ", ".join(
        texts.text(
            "attachment",
            lang,
            name=a.name or texts.text("unnamed", lang),
            kind=a.content_type,
            size=size(a.size),
        )
        for a in attachments
    )
    return texts.text("attachments", lang, names=names)


def mailbox_key(settings: Settings) -> str:
    """The cursor's name of the configured folder: `user@host:port/folder`."""
    return f"{settings.imap_user}@{settings.imap_host}:{settings.imap_port}/{settings.imap_folder}"


def connect(settings: Settings) -> imaplib.IMAP4:
    """A logged-in IMAP connection with the configured folder selected (read-write), or
    `MailboxError` saying what is wrong."""
    host, port = settings.imap_host or "", settings.imap_port
    try:
        client: imaplib.IMAP4 = (
            imaplib.IMAP4_SSL(host, port, timeout=settings.mail_timeout_s)
            if settings.imap_ssl
            else imaplib.IMAP4(host, port, timeout=settings.mail_timeout_s)
        )
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(
            f"cannot connect to the IMAP server {host}:{port}: {exc}", "connect"
        ) from exc
    try:
        password = settings.imap_password.get_secret_value() if settings.imap_password else ""
        client.login(settings.imap_user or "", password)
    except (OSError, imaplib.IMAP4.error) as exc:
        _close(client)
        raise MailboxError(
            f"the IMAP server refused the login of {settings.imap_user}: {exc}", "login"
        ) from exc
    try:
        status, detail = client.select(_quoted(settings.imap_folder))
    except (OSError, imaplib.IMAP4.error) as exc:
        _close(client)
        raise MailboxError(
            f"cannot open the folder {settings.imap_folder!r}: {exc}", "folder"
        ) from exc
    if status != "OK":
        _close(client)
        raise MailboxError(f"cannot open the folder {settings.imap_folder!r}: {detail!r}", "folder")
    return client


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _close(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        client.logout()


def _uidvalidity(client: imaplib.IMAP4, folder: str) -> int:
    """The selected folder's UIDVALIDITY (sent with SELECT; else asked with STATUS)."""
    _, data = client.response("UIDVALIDITY")
    if data and data[0]:
        return int(data[0])
    status, found = client.status(_quoted(folder), "(UIDVALIDITY)")
    first = found[0] if found and isinstance(found[0], bytes) else b""
    match = re.search(rb"UIDVALIDITY (\d+)", first)
    if status != "OK" or match is None:
        raise MailboxError("the IMAP server gave no UIDVALIDITY for the folder")
    return int(match.group(1))


class MailPoller:
    """Polls the configured mailbox folder (`poll_once`, or on a thread: `start`)."""

    def __init__(
        self,
        settings: Settings,
        store: CRMStore,
        receive: Callable[[InboundEnvelope], Received],
    ) -> None:
        self.settings = settings
        self.store = store
        self.receive = receive
        self.mailbox = mailbox_key(settings)
        self.own_address = parseaddr(settings.mail_from or "")[1].lower()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one poll ------------------------------------------------------------------------
    def poll_once(self) -> PollReport:
        """Reads the new mail of the folder (at most `FETCH_BATCH`); raises `MailboxError`
        when the mailbox cannot be read."""
        report = PollReport()
        client = connect(self.settings)
        try:
            uidvalidity = _uidvalidity(client, self.settings.imap_folder)
            cursor = self.store.mail.cursor(self.mailbox)
            after = cursor.last_uid if cursor and cursor.uidvalidity == uidvalidity else 0
            status, found = client.uid("SEARCH", f"UID {after + 1}:*")
            if status != "OK":
                raise MailboxError(f"the IMAP server refused the search: {found!r}")
            uids = sorted(int(u) for u in (found[0] or b"").split() if int(u) > after)
            for uid in uids[:FETCH_BATCH]:
                self._handle(client, uid, report)
                self.store.mail.advance(self.mailbox, uidvalidity, uid)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"the IMAP connection failed during a poll: {exc}") from exc
        finally:
            _close(client)
        return report

    def _handle(self, client: imaplib.IMAP4, uid: int, report: PollReport) -> None:
        status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        raw = next((part[1] for part in data or [] if isinstance(part, tuple)), None)
        if status != "OK" or not isinstance(raw, bytes):
            self._keep(client, uid, "?", f"the server did not return the mail ({status})", report)
            return
        try:
            mail = parse_mail(raw)
        except UnreadableMailError as exc:
            message_id, sender = identify(raw)
            self._keep(client, uid, message_id, f"{exc} (From: {sender})", report)
            return
        if self.own_address and mail.sender_email == self.own_address:
            self._skip(uid, mail, "sent from our own address", report)
            return
        if mail.automatic:
            self._skip(uid, mail, "an automatic mail (auto-reply, list or bulk)", report)
            return
        try:
            envelope = self._envelope(mail)
        except UnreadableMailError as exc:
            self._keep(client, uid, mail.message_id, str(exc), report)
            return
        except ValidationError as exc:
            reason = f"not a message Ressenti can store: {exc.errors()[0]['msg']}"
            self._keep(client, uid, mail.message_id, reason, report)
            return
        try:
            received = self.receive(envelope)
        except SenderMismatchError:
            reason = (
                f"its sender {mail.sender_email} is not the customer of the conversation it"
                " answers (refused by Intake)"
            )
            self._keep(client, uid, mail.message_id, reason, report)
            return
        except (InvalidWriteError, ConversationNotFoundError) as exc:  # this mail, not the CRM
            self._keep(client, uid, mail.message_id, f"refused by Intake: {exc}", report)
            return
        client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
        report.received.append(received)
        logger.info(
            "mail UID %s <%s> from %s: conversation %s%s",
            uid,
            mail.message_id,
            mail.sender_email,
            received.conversation_id,
            " (already stored)" if received.duplicate else "",
        )

    def _envelope(self, mail: ParsedMail) -> InboundEnvelope:
        text = mail.text
        if mail.attachments:
            line = attachments_line(mail.attachments, mail.lang or "fr")
            text = f"{text}\n\n{line}" if text else line
        if len(text) > MAX_MESSAGE_CHARS:
            raise UnreadableMailError(f"longer than {MAX_MESSAGE_CHARS} characters")
        conversation_id = self.store.mail.conversation_of(mail.thread_ids)
        return InboundEnvelope(
            channel=CHANNEL,
            text=text,
            conversation_id=conversation_id,
            external_conversation_id=None if conversation_id else mail.root_id,
            external_message_id=mail.message_id,
            sender_email=mail.sender_email,
            sender_name=mail.sender_name,
            subject=mail.subject or None,
            lang=mail.lang,
        )

    def _keep(
        self, client: imaplib.IMAP4, uid: int, message_id: str, reason: str, report: PollReport
    ) -> None:
        logger.warning(
            "mail UID %s <%s> in %s kept for a person (flagged, not read by Ressenti): %s",
            uid,
            message_id,
            self.mailbox,
            reason,
        )
        client.uid("STORE", str(uid), "+FLAGS", f"({KEPT_FLAG})")
        report.kept.append((uid, reason))

    def _skip(self, uid: int, mail: ParsedMail, reason: str, report: PollReport) -> None:
        logger.info("mail UID %s <%s> left in the mailbox: %s", uid, mail.message_id, reason)
        report.skipped.append((uid, reason))

    # --- on a thread ---------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="mail-poller", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except MailboxError as exc:
                logger.error("mail poller: %s", exc)
            except Exception:  # the CRM, a bug: logged, the next poll tries again
                logger.exception("mail poller: a poll failed")
            self._stop.wait(self.settings.imap_poll_s)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        self._thread = None
