"""Reading one inbound mail: who wrote it, which thread it belongs to, and what it says.

`parse_mail(raw)` returns a `ParsedMail` or raises `UnreadableMailError` with a reason a
person can act on (no sender address, an unknown charset, bytes that are not text in the
charset the mail declares, no text at all). Everything in a mail is untrusted: it only
ever becomes the text of an inbound message, read by a turn like any other.

What is read of the body:
- the `text/plain` part when there is one, else the `text/html` part turned into text
  (`html_to_text`: scripts, styles and quoted blocks dropped, blocks and line breaks kept,
  entities decoded);
- without the quoted history (`strip_history`): lines starting with `>`, and everything
  from an attribution line on ("Le … a écrit :", "On … wrote:", an Outlook
  "-----Original Message-----" / "De : … Envoyé : …" header block);
- without the signature: everything after a `-- ` line, "Envoyé de mon iPhone" / "Sent
  from my …" lines, and the few short lines (a name, a phone number) right after a
  closing such as "Cordialement," at the end. Kept conservative: a closing is kept, and
  a closing followed by more than a short block is left alone.

Attachments are listed (name, type, size), never read.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import getaddresses
from html.parser import HTMLParser

from agents.core.lang import Lang, is_lang

MAX_ID_CHARS = 200
"""The longest id the CRM keeps (`external_id` columns); a longer Message-ID is hashed."""
MAX_SUBJECT_CHARS = 200
MAX_NAME_CHARS = 120
"""Longest attachment name kept in the list (names are the sender's words)."""
MAX_ATTACHMENTS = 20
"""Attachments listed at most."""


class UnreadableMailError(ValueError):
    """A mail Ressenti cannot read as a customer message; it stays for a person."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int
    """Bytes, decoded (what the customer attached)."""


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    """Its Message-ID without angle brackets (a hash of the mail when it has none)."""
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender_email: str
    sender_name: str | None
    subject: str
    text: str
    """What the customer wrote: quoted history and signature stripped."""
    lang: Lang | None
    """From `Content-Language` (of the mail, else of its text part), when it names French
    or English."""
    attachments: tuple[Attachment, ...]
    automatic: bool
    """An automatic mail (`Auto-Submitted`, an out-of-office, a list or bulk mail)."""

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The ids this mail answers, nearest first: `In-Reply-To`, then `References`
        from the last one back to the thread's root."""
        return tuple(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))

    @property
    def root_id(self) -> str:
        """The thread's root: the first `References` id, else `In-Reply-To`, else itself."""
        if self.references:
            return self.references[0]
        if self.in_reply_to:
            return self.in_reply_to[0]
        return self.message_id


# --- ids ---------------------------------------------------------------------------------
_ID = re.compile(r"<([^<>\s]+)>")


def short_id(value: str) -> str:
    """An id as the CRM keeps it: itself, or `sha256:<hex>` when too long."""
    if len(value) <= MAX_ID_CHARS:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


def message_ids(header: str | None) -> tuple[str, ...]:
    """The Message-IDs of a header (`<a@b> <c@d>`), without brackets, in order."""
    if not header:
        return ()
    found = _ID.findall(str(header))
    if not found:  # a bare id, as some clients write it
        found = [token for token in str(header).split() if "@" in token]
    return tuple(dict.fromkeys(short_id(i.strip()) for i in found))


# --- HTML --------------------------------------------------------------------------------
_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
    "section", "table", "tr", "ul",
}  # fmt: skip
_SKIPPED = {"script", "style", "head", "title", "template", "noscript"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}


def _is_quote(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag == "blockquote":
        return True
    values = " ".join(v or "" for k, v in attrs if k in ("class", "id")).lower()
    return any(
        mark in values
        for mark in ("gmail_quote", "moz-cite-prefix", "divrplyfwdmsg", "yahoo_quoted")
    )


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []
        """Open elements whose content is not read (scripts, styles, quoted history)."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.hidden:
            if tag not in _VOID:
                self.hidden.append(tag)
            return
        if tag in _SKIPPED or _is_quote(tag, attrs):
            self.hidden.append(tag)
            return
        if tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.hidden:
            if tag in self.hidden:
                while self.hidden and self.hidden.pop() != tag:
                    pass
            return
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The readable text of an HTML body, one line per block, quoted blocks left out."""
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- quoted history and signatures -------------------------------------------------------
_ATTRIBUTION = re.compile(
    r"^\s*(le\s.{3,200}\sa\s+écrit\s*:|on\s.{3,200}\swrote\s*:)\s*$", re.IGNORECASE | re.DOTALL
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(original message|message d'origine|forwarded message|message transféré)"
    r"\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(de|from)\s*\*?\s*:\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*\*?(envoyé|sent|date|à|to|objet|subject)\s*\*?\s*:", re.IGNORECASE)
_SENT_FROM = re.compile(
    r"^\s*(envoyé de mon|envoyé depuis|sent from my|get outlook for)\b.{0,60}$", re.IGNORECASE
)
_CLOSING = re.compile(
    r"^\s*((bien |très )?cordialement|salutations( distinguées)?|bien à (vous|toi)"
    r"|bonne (journée|soirée)|merci( d'avance| par avance| beaucoup)?"
    r"|(best|kind|warm)?\s*regards|best|thanks( in advance)?|thank you|cheers|sincerely)"
    r"\s*[,.!]?\s*$",
    re.IGNORECASE,
)
SIGNATURE_MAX_LINES = 4
"""Short lines after a closing that are taken for a signature (name, title, phone)."""
SIGNATURE_MAX_CHARS = 60


def _history_starts(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        # An attribution may be wrapped over two lines ("… <a@b> a\nécrit :").
        joined = line if index + 1 >= len(lines) else f"{line} {lines[index + 1]}"
        if _ATTRIBUTION.match(line):
            return index
        if _ATTRIBUTION.match(joined) and not _ATTRIBUTION.match(lines[index + 1]):
            return index
        if _ORIGINAL.match(line):
            return index
        if _HEADER_FROM.match(line) and any(
            _HEADER_NEXT.match(following) for following in lines[index + 1 : index + 4]
        ):
            return index
    return None


def strip_history(text: str) -> str:
    """What the customer wrote in this mail: no quoted lines, no quoted history below an
    attribution, no signature (see the module's notes: conservative)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_starts(lines)
    if cut is not None:
        lines = lines[:cut]
    lines = [line for line in lines if not line.lstrip().startswith(">")]
    for index, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            lines = lines[:index]
            break
    lines = [line for line in lines if not _SENT_FROM.match(line)]
    while lines and not lines[-1].strip():
        lines.pop()
    for index in range(len(lines) - 1, -1, -1):
        if _CLOSING.match(lines[index]):
            tail = [line for line in lines[index + 1 :] if line.strip()]
            if len(tail) <= SIGNATURE_MAX_LINES and all(
                len(line.strip()) <= SIGNATURE_MAX_CHARS for line in tail
            ):
                lines = lines[: index + 1]
            break
        if len(lines) - index > SIGNATURE_MAX_LINES + 1:
            break
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- the mail ----------------------------------------------------------------------------
_REPLY_PREFIX = re.compile(r"^\s*((re|tr|fw|fwd|aw|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def one_line(value: str) -> str:
    """`value` on one line: line breaks and other control characters become spaces (a
    header written from it can never start a new header)."""
    return " ".join("".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in value).split())


def thread_subject(subject: str) -> str:
    """A subject on one line without its `Re:` / `TR :` / `Fwd:` prefixes."""
    return _REPLY_PREFIX.sub("", one_line(subject)).strip()


def _text_of(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except LookupError as exc:
        raise UnreadableMailError(
            f"unknown charset {part.get_content_charset()!r}: the text cannot be decoded"
        ) from exc
    if not isinstance(content, str):
        raise UnreadableMailError("the body is not text")
    if "\ufffd" in content:
        declared = part.get_content_charset() or "us-ascii (none declared)"
        raise UnreadableMailError(
            f"the text is not valid {declared}: some bytes cannot be read (non-UTF-8 or"
            " mis-declared mail)"
        )
    return content


def _attachments(message: EmailMessage, body: Message | None) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for part in message.walk():
        if part is body or part.is_multipart():
            continue
        name = part.get_filename()
        disposition = part.get_content_disposition()
        if name is None and disposition != "attachment" and part.get_content_maintype() == "text":
            continue  # the other alternative of the body
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        found.append(
            Attachment(one_line(name or "")[:MAX_NAME_CHARS], part.get_content_type(), size)
        )
    return tuple(found[:MAX_ATTACHMENTS])


def _automatic(message: EmailMessage) -> bool:
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        (auto not in ("", "no"))
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or "X-Autoreply" in message
        or "X-Autorespond" in message
    )


def identify(raw: bytes) -> tuple[str, str]:
    """(Message-ID, From) as written in a mail's headers, for a log line about a mail that
    cannot be read (`?` where missing)."""
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        ids = message_ids(str(headers.get("Message-ID", "")))
        sender = str(headers.get("From", "?")).replace("\n", " ")[:200]
    except Exception:
        return "?", "?"
    return (ids[0] if ids else "?"), sender


def _sender(message: EmailMessage) -> tuple[str, str]:
    """The one (name, address) of `From`, or `UnreadableMailError`."""
    try:
        header = message["From"]
        found = [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
    except Exception as exc:  # a header the policy cannot split
        raise UnreadableMailError(f"unreadable From header: {exc}") from exc
    if not found and header is not None:
        found = getaddresses([str(header)])
    addresses = [(name, addr) for name, addr in found if "@" in addr and " " not in addr]
    if len(addresses) != 1:
        raise UnreadableMailError("no single sender address in From")
    return addresses[0]


def parse_mail(raw: bytes) -> ParsedMail:
    """One mail as Ressenti reads it (see the module's notes), or `UnreadableMailError`."""
    try:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the parser is lenient; this is a mail it cannot split at all
        raise UnreadableMailError(f"the mail cannot be parsed: {exc}") from exc
    assert isinstance(parsed, EmailMessage)
    sender_name, sender_email = _sender(parsed)
    own_id = message_ids(parsed.get("Message-ID"))
    message_id = (
        own_id[0] if own_id else "sha256:" + hashlib.sha256(raw).hexdigest()
    )  # no Message-ID: the mail's own bytes name it, so fetching it again stays a no-op
    body = parsed.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        content = _text_of(body)
        text = html_to_text(content) if body.get_content_subtype() == "html" else content
        text = strip_history(text)
    attachments = _attachments(parsed, body)
    if not text and not attachments:
        raise UnreadableMailError("the mail has no text")
    declared = parsed.get("Content-Language") or (body.get("Content-Language") if body else None)
    language = str(declared or "").split(",")[0].strip().lower()[:2]
    subject = thread_subject(str(parsed.get("Subject", "")))
    return ParsedMail(
        message_id=message_id,
        in_reply_to=message_ids(parsed.get("In-Reply-To")),
        references=message_ids(parsed.get("References")),
        sender_email=sender_email.strip().lower(),
        sender_name=one_line(sender_name)[:MAX_NAME_CHARS] or None,
        subject=subject[:MAX_SUBJECT_CHARS],
        text=text,
        lang=language if is_lang(language) else None,
        attachments=attachments,
        automatic=_automatic(parsed),
    )
