"""The files `ressenti analyze` reads: CSV (with a column mapping), JSONL, a Chatwoot export.

Every format becomes the same stream of `SourceMessage`s, in file order. Files are read
twice: `validate` goes through the whole file first (UTF-8, known columns, a text and an id
on every message, no id twice) and raises `InputError` with the line or row of each
problem before anything is stored; `messages` then streams it again for the analysis. Both
passes hold one line (or one CSV row) at a time, plus a digest of each id seen (with where it was).
A Chatwoot export in one JSON document is parsed whole (its `.jsonl` form, one
conversation a line, streams).

Fields of a message, named as the mapping names them (`--map text=Verbatim,id=Ref`):

| field | required | what |
|---|---|---|
| `id` | yes | the message's id in the file, unique |
| `text` | yes | what was written (not empty) |
| `conversation` | no | id of the conversation it belongs to (default: its own `id`) |
| `time` | no | ISO 8601 (UTC when no zone) or Unix seconds (default: the import's start) |
| `author` | no | `customer` (default; `client`, `contact`, `incoming`) or `agent` (`user`…) |
| `channel`, `lang` | no | the channel's name; `fr` or `en` (default: detected) |
| `customer`, `segment` | no | a CRM customer id or e-mail address; a segment |
| `escalated` | no | the conversation went to a person (yes/no, true/false, 1/0, oui/non) |
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from agents.core.lang import Lang

Format = Literal["csv", "jsonl", "chatwoot"]
FIELDS = (
    "id",
    "text",
    "conversation",
    "time",
    "author",
    "channel",
    "lang",
    "customer",
    "segment",
    "escalated",
)
REQUIRED = ("id", "text")
CUSTOMER_AUTHORS = frozenset({"customer", "client", "contact", "incoming", "0"})
AGENT_AUTHORS = frozenset(
    {"agent", "user", "outgoing", "assistant", "bot", "agent_bot", "conseiller", "1"}
)
TRUE_WORDS = frozenset({"1", "true", "yes", "oui", "vrai", "y"})
FALSE_WORDS = frozenset({"0", "false", "no", "non", "faux", "n", ""})
CHATWOOT_CHANNELS = {
    "Channel::Email": "email",
    "Channel::WebWidget": "chat",
    "Channel::Api": "api",
    "Channel::Whatsapp": "whatsapp",
    "Channel::Sms": "sms",
    "Channel::TwilioSms": "sms",
    "Channel::FacebookPage": "social",
    "Channel::TwitterProfile": "social",
    "Channel::Instagram": "social",
    "Channel::Telegram": "telegram",
    "Channel::Line": "line",
}
MAX_REPORTED_ERRORS = 20


@dataclass(frozen=True)
class SourceMessage:
    """One message of an input file, as every format gives it."""

    where: str
    """Where it is in the file, for messages: `line 12`, `row 7`, `conversation 3 message 2`."""
    external_id: str
    conversation_key: str
    text: str
    author: Literal["customer", "agent"]
    sent_at: datetime | None
    channel: str
    lang: Lang | None
    customer_ref: str | None
    segment: str | None
    escalated: bool | None


@dataclass(frozen=True)
class InputProblem:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class InputError(ValueError):
    """The input cannot be analysed; nothing was stored. `problems` say where and why."""

    def __init__(self, problems: list[InputProblem], more: int = 0) -> None:
        self.problems = problems
        self.more = more
        lines = [str(problem) for problem in problems]
        if more:
            lines.append(f"… and {more} more problem(s)")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class InputFile:
    path: Path
    format: Format
    mapping: Mapping[str, str]
    """Field → column (CSV) or key (JSONL); unmapped fields are read from their own name."""
    default_channel: str = "import"


@dataclass(frozen=True)
class Validated:
    messages: int
    sha256: str


def parse_mapping(spec: str | None) -> dict[str, str]:
    """`text=Verbatim,id=Ref` → {"text": "Verbatim", "id": "Ref"} (unknown fields refused)."""
    mapping: dict[str, str] = {}
    if not spec:
        return mapping
    for part in spec.split(","):
        if not part.strip():
            continue
        field, sep, column = part.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise InputError([InputProblem("--map", f"{part!r} is not field=column")])
        if field not in FIELDS:
            raise InputError(
                [InputProblem("--map", f"unknown field {field!r} (known: {', '.join(FIELDS)})")]
            )
        mapping[field] = column
    return mapping


def guess_format(path: Path) -> Format:
    name = path.name.lower()
    if name.endswith(".csv") or name.endswith(".tsv"):
        return "csv"
    if name.endswith(".json"):
        return "chatwoot"
    return "jsonl"


# --- Decoding ----------------------------------------------------------------------------
def _text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, decoded line) of a UTF-8 file; a line that is not UTF-8 stops it."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise InputError(
                    [
                        InputProblem(
                            f"line {number}",
                            f"not UTF-8 (byte 0x{raw[error.start]:02x} at column "
                            f"{error.start + 1}); save the file as UTF-8",
                        )
                    ]
                ) from None
            yield number, line


def _value(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return str(raw)
    return None


def _time(raw: Any) -> datetime:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return datetime.fromtimestamp(float(raw), UTC)
    text = str(raw).strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _message(
    where: str, record: Mapping[str, Any], mapping: Mapping[str, str], default_channel: str
) -> SourceMessage:
    """One message from a record (a CSV row or a JSON object); ValueError says why not."""

    def get(field: str) -> Any:
        return record.get(mapping.get(field, field))

    external_id = _value(get("id"))
    if external_id is None or not external_id.strip():
        raise ValueError(f"no id (field {mapping.get('id', 'id')!r})")
    text = _value(get("text"))
    if text is None or not text.strip():
        raise ValueError(f"empty text (field {mapping.get('text', 'text')!r})")
    author_raw = (_value(get("author")) or "customer").strip().lower()
    if author_raw in CUSTOMER_AUTHORS:
        author: Literal["customer", "agent"] = "customer"
    elif author_raw in AGENT_AUTHORS:
        author = "agent"
    else:
        raise ValueError(f"unknown author {author_raw!r} (customer or agent)")
    lang = (_value(get("lang")) or "").strip().lower() or None
    if lang is not None and lang not in ("fr", "en"):
        raise ValueError(f"unsupported lang {lang!r} (fr or en)")
    time_raw = get("time")
    sent_at = None
    if time_raw not in (None, ""):
        try:
            sent_at = _time(time_raw)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"unreadable time {time_raw!r} (ISO 8601 or Unix seconds)") from None
    escalated_raw = _value(get("escalated"))
    escalated = None
    if escalated_raw is not None:
        word = escalated_raw.strip().lower()
        if word in TRUE_WORDS:
            escalated = True
        elif word in FALSE_WORDS:
            escalated = None if not word else False
        else:
            raise ValueError(f"unreadable escalated {escalated_raw!r} (yes or no)")
    conversation = _value(get("conversation"))
    customer = (_value(get("customer")) or "").strip() or None
    segment = (_value(get("segment")) or "").strip().lower() or None
    channel = (_value(get("channel")) or "").strip().lower() or default_channel
    return SourceMessage(
        where=where,
        external_id=external_id.strip()[:200],
        conversation_key=(conversation or external_id).strip()[:200],
        text=text.strip(),
        author=author,
        sent_at=sent_at,
        channel=channel[:40],
        lang=lang,  # type: ignore[arg-type]
        customer_ref=customer[:254] if customer else None,
        segment=segment[:20] if segment else None,
        escalated=escalated,
    )


# --- Formats -----------------------------------------------------------------------------
def _csv_messages(source: InputFile) -> Iterator[SourceMessage]:
    lines = _text_lines(source.path)
    delimiter = "\t" if source.path.name.lower().endswith(".tsv") else ","
    numbered: dict[str, int] = {"line": 0}

    def text_only() -> Iterator[str]:
        for number, line in lines:
            numbered["line"] = number
            yield line

    reader = csv.reader(text_only(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError([InputProblem("line 1", "empty file (no header row)")]) from None
    header = [name.strip() for name in header]
    columns = {name: index for index, name in enumerate(header)}
    unknown = [column for column in source.mapping.values() if column not in columns]
    if unknown:
        raise InputError(
            [
                InputProblem(
                    "header",
                    f"unknown column(s) {', '.join(map(repr, unknown))} "
                    f"(the header has: {', '.join(header)})",
                )
            ]
        )
    for field in REQUIRED:
        if source.mapping.get(field, field) not in columns:
            raise InputError(
                [
                    InputProblem(
                        "header",
                        f"no column for {field!r}: name it with --map {field}=COLUMN "
                        f"(the header has: {', '.join(header)})",
                    )
                ]
            )
    row_number = 0
    for row in reader:
        row_number += 1
        where = f"row {row_number} (line {numbered['line']})"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise _one(where, f"{len(row)} cells where the header has {len(header)}")
        record = dict(zip(header, row, strict=True))
        yield _checked(where, record, source)


def _jsonl_messages(source: InputFile) -> Iterator[SourceMessage]:
    for number, line in _text_lines(source.path):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise _one(where, f"not valid JSON ({error.msg} at column {error.colno})") from None
        if not isinstance(record, dict):
            raise _one(where, "not a JSON object")
        unknown = [key for key in source.mapping.values() if key not in record]
        if unknown and number == 1:
            raise _one(where, f"unknown key(s) {', '.join(map(repr, unknown))} in the mapping")
        yield _checked(where, record, source)


def _chatwoot_conversations(source: InputFile) -> Iterator[tuple[str, dict[str, Any]]]:
    if source.path.name.lower().endswith(".jsonl"):
        for number, line in _text_lines(source.path):
            if line.strip():
                try:
                    conversation = json.loads(line)
                except json.JSONDecodeError as error:
                    raise _one(f"line {number}", f"not valid JSON ({error.msg})") from None
                yield f"line {number}", conversation
        return
    text = "".join(line for _, line in _text_lines(source.path))
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _one(f"line {error.lineno}", f"not valid JSON ({error.msg})") from None
    if isinstance(document, dict):
        document = document.get("data", document)
        if isinstance(document, dict):
            document = document.get("payload", document.get("conversations"))
    if not isinstance(document, list):
        raise _one(
            "document",
            'not a Chatwoot export (a list of conversations, or {"data": {"payload": [...]}})',
        )
    for index, conversation in enumerate(document, start=1):
        yield f"conversation {index}", conversation


def _chatwoot_messages(source: InputFile) -> Iterator[SourceMessage]:
    for where, conversation in _chatwoot_conversations(source):
        if not isinstance(conversation, dict) or "id" not in conversation:
            raise _one(where, "a conversation must be an object with an id")
        meta = conversation.get("meta") or {}
        contact = meta.get("sender") or {}
        customer = contact.get("email") or (
            str(contact["id"]) if contact.get("id") is not None else None
        )
        channel = CHATWOOT_CHANNELS.get(str(meta.get("channel") or ""), source.default_channel)
        labels = [str(label).lower() for label in conversation.get("labels") or []]
        escalated = True if any("escalat" in label for label in labels) else None
        messages = conversation.get("messages")
        if not isinstance(messages, list):
            raise _one(where, "no list of messages")
        for index, message in enumerate(messages, start=1):
            at = f"{where} (id {conversation['id']}) message {index}"
            if not isinstance(message, dict):
                raise _one(at, "not an object")
            kind = message.get("message_type")
            if kind not in (0, 1, "incoming", "outgoing") or message.get("private"):
                continue  # activities, templates and private notes are not exchanges
            content = message.get("content")
            if content is None or (isinstance(content, str) and not content.strip()):
                continue  # an attachment alone: nothing to read
            sender_type = str((message.get("sender") or {}).get("type") or "").lower()
            incoming = kind in (0, "incoming") and sender_type in ("", "contact")
            record = {
                "id": message.get("id"),
                "text": content,
                "conversation": str(conversation["id"]),
                "time": message.get("created_at"),
                "author": "customer" if incoming else "agent",
                "channel": channel,
                "customer": customer,
                "escalated": escalated,
            }
            yield _checked(at, record, InputFile(source.path, "chatwoot", {}, channel))


def _one(where: str, reason: str) -> InputError:
    return InputError([InputProblem(where, reason)])


def _checked(where: str, record: Mapping[str, Any], source: InputFile) -> SourceMessage:
    try:
        return _message(where, record, source.mapping, source.default_channel)
    except ValueError as error:
        raise _one(where, str(error)) from None


def messages(source: InputFile) -> Iterator[SourceMessage]:
    """The file's messages in file order (raises `InputError` at the first bad one)."""
    if source.format == "csv":
        return _csv_messages(source)
    if source.format == "jsonl":
        return _jsonl_messages(source)
    return _chatwoot_messages(source)


def _id_key(external_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(external_id.encode(), digest_size=8).digest(), "big")


def validate(source: InputFile) -> Validated:
    """Go through the whole file; raise `InputError` listing its problems (up to 20, with
    where each is), or return how many messages it holds and its sha256."""
    problems: list[InputProblem] = []
    more = 0
    seen: dict[int, str] = {}
    count = 0
    stream: Iterable[SourceMessage] = messages(source)
    iterator = iter(stream)
    while True:
        try:
            message = next(iterator)
        except StopIteration:
            break
        except InputError as error:
            problems.extend(error.problems)
            break  # a structural problem: the rest of the file cannot be trusted
        count += 1
        key = _id_key(message.external_id)
        if key in seen:
            problem = InputProblem(
                message.where, f"duplicate id {message.external_id!r} (first at {seen[key]})"
            )
            if len(problems) < MAX_REPORTED_ERRORS:
                problems.append(problem)
            else:
                more += 1
        else:
            seen[key] = message.where
    if not problems and count == 0:
        problems.append(InputProblem("file", "no message to analyse"))
    if problems:
        raise InputError(problems, more)
    return Validated(messages=count, sha256=file_sha256(source.path))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
