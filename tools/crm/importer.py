"""Import customers, orders and conversations from CSV or JSON exports.

All or nothing: every file is read and every row checked (types, allowed values, ids that
already exist, duplicates inside the import, references to customers that exist neither in
the database nor in the import) before anything is written. Any problem stops the import
with the full list of problems, each as (file, row, field, reason), and the database is
left exactly as it was. The rows are then written in one transaction.

Formats (see README "CRM"):
- CSV: one file per kind, the kind taken from the file name (`customers*.csv`,
  `orders*.csv`, `conversations*.csv` or `messages*.csv`), a header row, `,` or `;` as
  separator, UTF-8. Conversations are one row per message. `row` in a report is the line
  number in the file where the row starts (the header is line 1); a quoted cell may hold
  line breaks, kept as they are.
- JSON: an object with any of the keys `customers`, `orders`, `conversations` (lists);
  conversations hold their `messages`. `row` is the 1-based position in that list.

Files are untrusted: a file that is not UTF-8, a cell over `MAX_CELL` characters, broken
quoting or JSON nested too deep is a reported issue (with the line where it was found),
never a crash, and every text has a maximum length.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from agents.core.lang import Lang
from tools.crm.models import (
    Base,
    Conversation,
    Customer,
    Delivery,
    Message,
    Order,
    conversation_state,
)
from tools.crm.store import CRMStore

Kind = Literal["customers", "orders", "conversations"]
KINDS: tuple[Kind, ...] = ("customers", "orders", "conversations")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUE_WORDS = {"1", "true", "yes", "y", "oui", "o", "vrai"}
FALSE_WORDS = {"0", "false", "no", "n", "non", "faux"}
MAX_CELL = csv.field_size_limit()
"""The longest CSV cell read (131,072 characters, the csv module's limit)."""
MAX_CENTS = 10_000_000_00
"""The largest amount an import takes (ten million euros), well inside a database integer."""
MAX_MESSAGE = 100_000
"""The longest message text an import takes (in characters)."""


@dataclass(frozen=True)
class ImportIssue:
    """One problem found in one row of one file."""

    file: str
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, {self.field}: {self.reason}"


class ImportFailedError(Exception):
    """The import was refused; nothing was written. `issues` lists every problem."""

    def __init__(self, issues: Sequence[ImportIssue]) -> None:
        self.issues = list(issues)
        super().__init__(f"{len(self.issues)} problem(s) found; nothing was imported")


@dataclass
class ImportReport:
    """What an import wrote (or, in a dry run, would write)."""

    customers: int = 0
    orders: int = 0
    conversations: int = 0
    messages: int = 0
    dry_run: bool = False
    files: list[str] = field(default_factory=list)


# --- Field parsing -----------------------------------------------------------------------


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


def _boolean(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str):
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"expected yes/no, true/false or 1/0, got {value!r}")
    return value


def _euros_to_cents(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None or isinstance(value, int | float | Decimal):
        amount = value
    else:
        text = str(value).replace("€", "").replace("EUR", "").replace(" ", "").replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"expected an amount in euros such as 54.90, got {value!r}") from exc
    if amount is None:
        return None
    cents = Decimal(str(amount)) * 100
    if not cents.is_finite():
        raise ValueError(f"expected an amount in euros such as 54.90, got {value!r}")
    if cents > MAX_CENTS:
        raise ValueError("amount too large")
    if cents != cents.to_integral_value():
        raise ValueError("amounts have at most two decimals")
    if cents < 0:
        raise ValueError("amount must not be negative")
    return int(cents)


def _timestamp(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise ValueError(
                f"expected an ISO 8601 date-time such as 2026-10-04T14:30:00+02:00, got {value!r}"
            ) from exc
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # documented: times without a zone are UTC
    return moment


def _day(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"expected an ISO date such as 2026-10-04, got {value!r}") from exc


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
Flag = Annotated[bool, BeforeValidator(_boolean)]
Cents = Annotated[int | None, BeforeValidator(_euros_to_cents)]
Timestamp = Annotated[datetime | None, BeforeValidator(_timestamp)]
Day = Annotated[date | None, BeforeValidator(_day)]
Id = Annotated[str, BeforeValidator(_blank_to_none), Field(min_length=1, max_length=40)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("a NUL character is not allowed in a text")
        return value


ShortText = Annotated[Annotated[str, Field(max_length=100)] | None, BeforeValidator(_blank_to_none)]


class CustomerRow(_Row):
    id: Id
    email: str = Field(max_length=254)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    language: Lang
    segment: Literal["standard", "family", "business", "premium"] = "standard"
    phone: ShortText = None
    city: ShortText = None
    value_eur: Cents = None
    vulnerable: Flag = False
    marketing_consent: Flag = False
    emotion_analysis_consent: Flag = True
    created_at: Timestamp = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value.lower()

    @field_validator("language", "segment", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class OrderItemRow(_Row):
    label: str = Field(min_length=1, max_length=200)
    quantity: int = Field(default=1, ge=1)
    unit_price_eur: Cents = None


def _items(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None:
        return []
    if isinstance(value, str):  # CSV: labels separated by "|"
        return [{"label": part.strip()} for part in value.split("|") if part.strip()]
    if isinstance(value, list):
        return [{"label": item} if isinstance(item, str) else item for item in value]
    return value


class OrderRow(_Row):
    id: Id
    customer_id: Id
    placed_at: Annotated[datetime, BeforeValidator(_timestamp)]
    status: Literal["placed", "shipped", "delivered", "delayed", "lost", "cancelled", "returned"]
    total_eur: Annotated[int, BeforeValidator(_euros_to_cents)]
    items: Annotated[list[OrderItemRow], BeforeValidator(_items)] = Field(default_factory=list)
    carrier: ShortText = None
    tracking_number: ShortText = None
    delivery_status: Annotated[
        Literal["preparing", "in_transit", "delivered", "delayed", "lost"] | None,
        BeforeValidator(_blank_to_none),
    ] = None
    promised_on: Day = None
    delivered_on: Day = None


Author = Literal["customer", "agent", "assistant", "system"]
Channel = Literal["email", "chat", "phone", "social"]
ImportedState = Literal["open", "with_human", "resolved", "closed", "handed_off"]
"""A conversation's state in an import: the states of revision 0005 (no draft can wait in
an imported conversation) or their older names (`closed`, `handed_off`)."""


class MessageRow(_Row):
    author: Author
    sent_at: Annotated[datetime, BeforeValidator(_timestamp)]
    text: str = Field(min_length=1, max_length=MAX_MESSAGE)
    author_name: ShortText = None


class ConversationRow(_Row):
    id: Id
    customer_id: Id
    channel: Channel
    subject: str = Field(default="", max_length=200)
    language: Annotated[Lang | None, BeforeValidator(_blank_to_none)] = None
    status: ImportedState = "resolved"
    messages: list[MessageRow] = Field(min_length=1)


class MessageCsvRow(MessageRow):
    """A CSV conversations file has one row per message, with its conversation's fields."""

    conversation_id: Id
    customer_id: Id
    channel: Channel
    subject: str = Field(default="", max_length=200)
    language: Annotated[Lang | None, BeforeValidator(_blank_to_none)] = None
    status: ImportedState = "resolved"


# --- Reading files -----------------------------------------------------------------------


@dataclass
class _Parsed:
    customers: list[tuple[str, int, CustomerRow]] = field(default_factory=list)
    orders: list[tuple[str, int, OrderRow]] = field(default_factory=list)
    conversations: list[tuple[str, int, ConversationRow]] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)


def kind_of(path: Path) -> Kind | None:
    """The kind of a CSV export, from its file name."""
    stem = path.stem.lower()
    for kind in KINDS:
        if stem.startswith(kind):
            return kind
    if stem.startswith("messages"):
        return "conversations"
    return None


def _issues_from(
    error: ValidationError, file: str, row: int, prefix: str = ""
) -> list[ImportIssue]:
    issues = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(row)"
        reason = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            reason = "unknown column"
        issues.append(ImportIssue(file, row, prefix + where, reason))
    return issues


def _validate(model: type[_Row], data: Any, file: str, row: int, parsed: _Parsed) -> Any | None:
    if not isinstance(data, dict):
        parsed.issues.append(ImportIssue(file, row, "(row)", "expected an object"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        parsed.issues.extend(_issues_from(error, file, row))
        return None


def _decoded(path: Path, name: str, parsed: _Parsed) -> str | None:
    """The file's text, or None with an issue naming the line of the first bad byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        parsed.issues.append(
            ImportIssue(
                name,
                line,
                "(file)",
                f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                "save the export as UTF-8",
            )
        )
        return None


def _csv_records(
    text: str, delimiter: str, name: str, parsed: _Parsed
) -> Iterable[tuple[int, list[str]]]:
    """(line where the record starts, its cells) for every non-blank record.

    Read from the text as it is (`newline=""`), so a quoted cell keeps its line breaks. A
    record the csv module cannot read (a cell over `MAX_CELL`, a stray quote) is an issue at
    its line, and reading that file stops there: what follows cannot be told apart."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            if "field larger than field limit" in reason:
                reason = f"a cell is longer than {MAX_CELL} characters"
            parsed.issues.append(
                ImportIssue(name, start, "(row)", f"unreadable CSV: {reason}; reading stopped")
            )
            return
        if cells:
            yield start, cells
        start = reader.line_num + 1


def _read_csv(path: Path, kind: Kind, parsed: _Parsed) -> None:
    name = path.name
    text = _decoded(path, name, parsed)
    if text is None:
        return
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    records = iter(_csv_records(text, delimiter, name, parsed))
    header = next(records, None)
    if header is None:
        if not parsed.issues or parsed.issues[-1].file != name:
            parsed.issues.append(ImportIssue(name, 1, "(header)", "the file has no header row"))
        return
    columns = [column.strip() for column in header[1]]
    if len(set(columns)) != len(columns) or "" in columns:
        parsed.issues.append(
            ImportIssue(name, header[0], "(header)", "column names must be unique and not blank")
        )
        return
    grouped: dict[str, list[tuple[int, MessageCsvRow]]] = {}
    for line, cells in records:
        if len(cells) > len(columns):
            parsed.issues.append(ImportIssue(name, line, "(row)", "more cells than columns"))
            continue
        raw: dict[str, Any] = dict(zip(columns, cells, strict=False))  # missing cells: absent
        if kind == "customers":
            row = _validate(CustomerRow, raw, name, line, parsed)
            if row:
                parsed.customers.append((name, line, row))
        elif kind == "orders":
            row = _validate(OrderRow, raw, name, line, parsed)
            if row:
                parsed.orders.append((name, line, row))
        else:
            row = _validate(MessageCsvRow, raw, name, line, parsed)
            if row:
                grouped.setdefault(row.conversation_id, []).append((line, row))
    for conversation_id, rows in grouped.items():
        line, head = rows[0]
        for other_line, other in rows[1:]:
            if other.customer_id != head.customer_id:
                parsed.issues.append(
                    ImportIssue(
                        name,
                        other_line,
                        "customer_id",
                        f"conversation {conversation_id} already belongs to {head.customer_id}",
                    )
                )
        parsed.conversations.append(
            (
                name,
                line,
                ConversationRow(
                    id=conversation_id,
                    customer_id=head.customer_id,
                    channel=head.channel,
                    subject=head.subject,
                    language=head.language,
                    status=head.status,
                    messages=[
                        MessageRow(
                            author=r.author,
                            sent_at=r.sent_at,
                            text=r.text,
                            author_name=r.author_name,
                        )
                        for _, r in rows
                    ],
                ),
            )
        )


def _read_json(path: Path, parsed: _Parsed) -> None:
    name = path.name
    text = _decoded(path, name, parsed)
    if text is None:
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        parsed.issues.append(ImportIssue(name, exc.lineno, "(file)", f"invalid JSON: {exc.msg}"))
        return
    except RecursionError:
        parsed.issues.append(ImportIssue(name, 0, "(file)", "invalid JSON: nested too deep"))
        return
    if isinstance(data, list) and kind_of(path):
        data = {kind_of(path): data}
    if not isinstance(data, dict) or not set(data) & set(KINDS):
        parsed.issues.append(
            ImportIssue(name, 0, "(file)", "expected an object with customers/orders/conversations")
        )
        return
    for key in set(data) - set(KINDS):
        parsed.issues.append(ImportIssue(name, 0, key, "unknown section"))
    models: dict[str, type[_Row]] = {
        "customers": CustomerRow,
        "orders": OrderRow,
        "conversations": ConversationRow,
    }
    for kind in KINDS:
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            parsed.issues.append(ImportIssue(name, 0, kind, "expected a list"))
            continue
        for index, entry in enumerate(entries, start=1):
            row = _validate(models[kind], entry, f"{name}:{kind}", index, parsed)
            if row:
                getattr(parsed, kind).append((f"{name}:{kind}", index, row))


def read_files(paths: Iterable[Path]) -> _Parsed:
    parsed = _Parsed()
    for path in paths:
        if not path.is_file():
            parsed.issues.append(ImportIssue(path.name, 0, "(file)", "file not found"))
            continue
        if path.suffix.lower() == ".json":
            _read_json(path, parsed)
            continue
        kind = kind_of(path)
        if path.suffix.lower() != ".csv" or kind is None:
            parsed.issues.append(
                ImportIssue(
                    path.name,
                    0,
                    "(file)",
                    "expected customers*.csv, orders*.csv, conversations*.csv or a .json file",
                )
            )
            continue
        _read_csv(path, kind, parsed)
    return parsed


# --- Cross-row checks against the import and the database --------------------------------


def _existing(store: CRMStore, column: Any, values: set[str], *, lower: bool = False) -> set[str]:
    """Which of `values` the database already holds in `column` (asked in chunks, so that
    large imports stay under the backends' limits on bound parameters)."""
    found: set[str] = set()
    ordered = sorted(values)
    target = func.lower(column) if lower else column
    with store.reading() as session:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            found.update(str(v) for v in session.scalars(select(target).where(target.in_(chunk))))
    return found


def _check(store: CRMStore, parsed: _Parsed) -> None:
    issues = parsed.issues
    customer_ids = {row.id for _, _, row in parsed.customers}
    emails = {row.email for _, _, row in parsed.customers}
    taken_ids = _existing(store, Customer.id, customer_ids)
    taken_emails = _existing(store, Customer.email, emails, lower=True)
    seen: dict[str, tuple[str, int]] = {}
    seen_emails: dict[str, tuple[str, int]] = {}
    for file, row_number, customer in parsed.customers:
        if customer.id in taken_ids:
            issues.append(
                ImportIssue(file, row_number, "id", f"customer {customer.id} already exists")
            )
        if customer.email in taken_emails:
            issues.append(
                ImportIssue(file, row_number, "email", "another customer has this e-mail")
            )
        if customer.id in seen:
            issues.append(
                ImportIssue(
                    file,
                    row_number,
                    "id",
                    f"duplicate of {seen[customer.id][0]} row {seen[customer.id][1]}",
                )
            )
        if customer.email in seen_emails:
            first = seen_emails[customer.email]
            issues.append(
                ImportIssue(file, row_number, "email", f"duplicate of {first[0]} row {first[1]}")
            )
        seen.setdefault(customer.id, (file, row_number))
        seen_emails.setdefault(customer.email, (file, row_number))

    referenced = {r.customer_id for _, _, r in parsed.orders} | {
        r.customer_id for _, _, r in parsed.conversations
    }
    known_customers = customer_ids | _existing(store, Customer.id, referenced - customer_ids)

    for label, entries, column in (
        ("order", parsed.orders, Order.id),
        ("conversation", parsed.conversations, Conversation.id),
    ):
        taken = _existing(store, column, {r.id for _, _, r in entries})
        first_seen: dict[str, tuple[str, int]] = {}
        for file, row_number, record in entries:
            if record.customer_id not in known_customers:
                issues.append(
                    ImportIssue(
                        file, row_number, "customer_id", f"unknown customer {record.customer_id}"
                    )
                )
            if record.id in taken:
                issues.append(
                    ImportIssue(file, row_number, "id", f"{label} {record.id} already exists")
                )
            if record.id in first_seen:
                where = first_seen[record.id]
                issues.append(
                    ImportIssue(file, row_number, "id", f"duplicate of {where[0]} row {where[1]}")
                )
            first_seen.setdefault(record.id, (file, row_number))


# --- Writing -----------------------------------------------------------------------------


def _rows_to_write(store: CRMStore, parsed: _Parsed) -> list[Base]:
    now = store.clock()
    languages: dict[str, str] = {r.id: r.language for _, _, r in parsed.customers}
    missing = {r.customer_id for _, _, r in parsed.conversations} - set(languages)
    if missing:
        wanted = sorted(missing)
        with store.reading() as session:
            for start in range(0, len(wanted), 500):
                query = select(Customer.id, Customer.language).where(
                    Customer.id.in_(wanted[start : start + 500])
                )
                languages.update(session.execute(query).tuples())
    rows: list[Base] = []
    for _, _, c in parsed.customers:
        rows.append(
            Customer(
                id=c.id,
                email=c.email,
                first_name=c.first_name,
                last_name=c.last_name,
                phone=c.phone,
                city=c.city,
                language=c.language,
                segment=c.segment,
                value_cents=c.value_eur or 0,
                vulnerable=c.vulnerable,
                marketing_consent=c.marketing_consent,
                emotion_analysis_consent=c.emotion_analysis_consent,
                created_at=c.created_at or now,
            )
        )
    for _, _, o in parsed.orders:
        rows.append(
            Order(
                id=o.id,
                customer_id=o.customer_id,
                placed_at=o.placed_at,
                status=o.status,
                total_cents=o.total_eur,
                items=[
                    {
                        "label": item.label,
                        "quantity": item.quantity,
                        "unit_price_cents": item.unit_price_eur,
                    }
                    for item in o.items
                ],
            )
        )
        if o.carrier:
            rows.append(
                Delivery(
                    id=f"{o.id}-L1"[:40],
                    order_id=o.id,
                    customer_id=o.customer_id,
                    carrier=o.carrier,
                    tracking_number=o.tracking_number,
                    status=o.delivery_status or "in_transit",
                    promised_on=o.promised_on,
                    delivered_on=o.delivered_on,
                )
            )
    for _, _, v in parsed.conversations:
        ordered = sorted(v.messages, key=lambda m: m.sent_at)
        rows.append(
            Conversation(
                id=v.id,
                customer_id=v.customer_id,
                channel=v.channel,
                language=v.language or languages.get(v.customer_id, "fr"),
                subject=v.subject,
                started_at=ordered[0].sent_at,
                status=conversation_state(v.status),
            )
        )
        rows.extend(
            Message(
                conversation_id=v.id,
                customer_id=v.customer_id,
                author=m.author,
                author_name=m.author_name,
                channel=v.channel,
                sent_at=m.sent_at,
                text=m.text,
            )
            for m in ordered
        )
    return rows


def import_files(
    store: CRMStore,
    paths: Sequence[Path],
    *,
    dry_run: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> ImportReport:
    """Check every row of every file, then write them all in one transaction.

    Raises `ImportFailedError` (with every problem found) and writes nothing if any row is
    wrong, or if the database refuses the write.
    """
    say = on_stage or (lambda _: None)
    say("reading files")
    parsed = read_files(paths)
    say("checking rows against the database")
    _check(store, parsed)
    if parsed.issues:
        raise ImportFailedError(sorted(parsed.issues, key=lambda i: (i.file, i.row, i.field)))
    report = ImportReport(
        customers=len(parsed.customers),
        orders=len(parsed.orders),
        conversations=len(parsed.conversations),
        messages=sum(len(v.messages) for _, _, v in parsed.conversations),
        dry_run=dry_run,
        files=[p.name for p in paths],
    )
    if dry_run:
        return report
    say("writing")
    try:
        store.insert_all(_rows_to_write(store, parsed))
    except SQLAlchemyError as exc:  # e.g. a row written by someone else meanwhile
        reason = str(exc.orig if hasattr(exc, "orig") and exc.orig else exc).splitlines()[0]
        raise ImportFailedError([ImportIssue("(database)", 0, "(write)", reason)]) from exc
    return report
