"""A deterministic demo company: Lumio, a French telecom operator with an online shop.

`DemoCompany(seed).generate(customers)` builds customers (Faker `fr_FR` and `en_US`; most
are French, some English-speaking residents), their contracts, orders and deliveries,
monthly invoices, and past conversations that follow the arcs of
`demo_conversations.yaml` (calm questions, a delay that turns to anger, a billing error
fixed well, a bereavement, a legal threat, a request for a person, repeated contacts),
with the emotion reading of every customer message that was recorded with consent.

The same seed gives the same company, byte for byte: every random draw comes from one
`random.Random(seed)` and two seeded Faker instances, and every date is relative to a fixed
`now` (not the wall clock).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from faker import Faker

from tools.crm.models import (
    Base,
    Contract,
    Conversation,
    Customer,
    Delivery,
    EmotionReadingRow,
    Invoice,
    Message,
    Order,
    Ticket,
    conversation_state,
)
from tools.crm.store import CRMStore

DEMO_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
"""The demo company's "today": all generated dates lie before it."""

ARCS_FILE = Path(__file__).with_name("demo_conversations.yaml")


@dataclass(frozen=True)
class Offer:
    name: str
    kind: str
    monthly_cents: int


FIBRE_OFFERS = (
    Offer("Lumio Fibre 500 Mb/s", "fibre", 2999),
    Offer("Lumio Fibre 2 Gb/s", "fibre", 3999),
)
FIBRE_PRO = Offer("Lumio Fibre Pro 8 Gb/s", "fibre", 5999)
MOBILE_OFFERS = (
    Offer("Lumio Mobile 20 Go", "mobile", 999),
    Offer("Lumio Mobile 100 Go", "mobile", 1699),
    Offer("Lumio Mobile 5G 250 Go", "mobile", 2499),
)
MOBILE_SOCIAL = Offer("Lumio Essentiel", "mobile", 499)
TV_OPTION = Offer("Option TV Lumio", "tv", 799)

PRODUCTS = (
    ("Smartphone Lumio Nova A5", 24900),
    ("Smartphone Lumio Nova X Pro", 64900),
    ("Écouteurs sans fil Lumio Buds", 5990),
    ("Répéteur Wi-Fi 6 Lumio", 7990),
    ("Montre connectée Lumio Fit", 12900),
    ("Coque et verre trempé", 2490),
    ("Chargeur rapide 30 W", 2990),
    ("Tablette Lumio Tab 10", 29900),
)
CARRIERS = (("Colissimo", 0.7), ("Chronopost", 0.2), ("Retrait boutique Lumio", 0.1))
SEGMENTS = (("standard", 0.55), ("family", 0.2), ("business", 0.12), ("premium", 0.13))
CHANNELS = (("email", 0.45), ("chat", 0.3), ("social", 0.15), ("phone", 0.1))
ONE_OFF_ARCS = frozenset({"bereavement", "legal_threat", "repeat_contact"})

MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
RELATIVES = {
    "fr": ("mon mari", "mon père", "mon frère", "mon compagnon", "mon grand-père"),
    "en": ("husband", "father", "mother", "wife", "partner"),
}


@cache
def load_arcs() -> dict[str, dict[str, Any]]:
    """The conversation arcs (data file shipped with the package)."""
    data = yaml.safe_load(ARCS_FILE.read_text(encoding="utf-8"))
    arcs: dict[str, dict[str, Any]] = data["arcs"]
    return arcs


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def money(cents: int, language: str) -> str:
    """Money as a customer would write it: `54,98 €` or `€54.98`."""
    whole, part = divmod(cents, 100)
    return f"{whole},{part:02d} €" if language == "fr" else f"€{whole}.{part:02d}"


def day(value: date, language: str) -> str:
    month = MONTHS[language][value.month - 1]
    return f"{value.day} {month}" if language == "fr" else f"{month} {value.day}"


def ordinal(number: int, language: str) -> str:
    if language == "fr":
        return "1re" if number == 1 else f"{number}e"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number if number < 20 else number % 10, "th")
    return f"{number}{suffix}"


@dataclass
class SeedReport:
    """What `seed_demo` did."""

    skipped: bool
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _CustomerFile:
    """Everything generated for one customer, kept together while their arcs are told."""

    customer: Customer
    contracts: list[Contract] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    rows: list[Base] = field(default_factory=list)
    arcs: set[str] = field(default_factory=set)
    """Arcs already told for this customer (one bereavement per customer is plenty)."""


class DemoCompany:
    """Generates the Lumio demo data. Same `seed` and `now`, same data."""

    def __init__(self, seed: int = 42, now: datetime = DEMO_NOW) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.fakers = {"fr": Faker("fr_FR"), "en": Faker("en_US")}
        for offset, faker in enumerate(self.fakers.values()):
            faker.seed_instance(seed + offset)
        self.arcs = load_arcs()
        self._counters: dict[str, int] = {}
        self._emails: set[str] = set()

    # --- Small helpers -------------------------------------------------------------------
    def _next(self, prefix: str) -> int:
        self._counters[prefix] = self._counters.get(prefix, 0) + 1
        return self._counters[prefix]

    def _weighted(self, choices: Sequence[tuple[str, float]]) -> str:
        names = [name for name, _ in choices]
        weights = [weight for _, weight in choices]
        return self.rng.choices(names, weights=weights)[0]

    def _days_ago(self, low: int, high: int) -> datetime:
        moment = self.now - timedelta(days=self.rng.randint(low, high))
        return moment.replace(hour=self.rng.randint(7, 21), minute=self.rng.randint(0, 59))

    def _variant(self, options: Sequence[str], variant: int | None) -> str:
        return options[variant % len(options)] if variant is not None else self.rng.choice(options)

    def _office_hours(self, moment: datetime) -> datetime:
        """Advisers answer between 8:00 and 19:00 (UTC here): later answers wait for the
        next morning."""
        if 8 <= moment.hour < 19:
            return moment
        next_day = moment if moment.hour < 8 else moment + timedelta(days=1)
        return next_day.replace(hour=8, minute=self.rng.randint(0, 59))

    # --- Generation ----------------------------------------------------------------------
    def generate(
        self, customers: int = 200, on_customer: Callable[[], None] | None = None
    ) -> list[Base]:
        """Every row of the demo company, parents before children."""
        rows: list[Base] = []
        for _ in range(customers):
            file = self._customer_file()
            rows.extend(file.rows)
            if on_customer:
                on_customer()
        return rows

    def _customer_file(self) -> _CustomerFile:
        number = self._next("customer")
        language = "en" if self.rng.random() < 0.15 else "fr"
        faker = self.fakers[language]
        first, last = faker.first_name(), faker.last_name()
        email = f"{ascii_slug(first)}.{ascii_slug(last)}@{faker.free_email_domain()}"
        if email in self._emails:
            email = email.replace("@", f"{number}@")
        self._emails.add(email)
        segment = self._weighted(SEGMENTS)
        customer = Customer(
            id=f"C{number:05d}",
            email=email,
            first_name=first,
            last_name=last,
            phone=self.fakers["fr"].phone_number(),
            city=self.fakers["fr"].city(),
            language=language,
            segment=segment,
            value_cents=0,
            vulnerable=False,
            created_at=self._days_ago(200, 2600),
            marketing_consent=self.rng.random() < 0.45,
            emotion_analysis_consent=self.rng.random() < 0.93,
        )
        file = _CustomerFile(customer=customer, rows=[customer])
        self._contracts(file)
        self._orders(file)
        self._invoices(file)
        for _ in range(self.rng.choice((0, 1, 1, 1, 2, 2, 3))):
            self._conversation_arc(file)
        year_of_bills = sum(c.monthly_price_cents for c in file.contracts if c.status == "active")
        customer.value_cents = year_of_bills * 12 + sum(o.total_cents for o in file.orders)
        return file

    def _contract(self, file: _CustomerFile, offer: Offer, status: str = "active") -> None:
        started = (self.now - timedelta(days=self.rng.randint(30, 1500))).date()
        commitment = self.rng.choice((None, 12, 24))
        ends = started + timedelta(days=30 * commitment) if commitment else None
        contract = Contract(
            id=f"CT-{self._next('contract'):06d}",
            customer_id=file.customer.id,
            offer=offer.name,
            kind=offer.kind,
            monthly_price_cents=offer.monthly_cents,
            status=status,
            started_on=started,
            commitment_ends_on=ends,
        )
        file.contracts.append(contract)
        file.rows.append(contract)

    def _contracts(self, file: _CustomerFile) -> None:
        segment = file.customer.segment
        has_fibre = self.rng.random() < 0.8
        if has_fibre:
            offer = FIBRE_PRO if segment == "business" else self.rng.choice(FIBRE_OFFERS)
            self._contract(file, offer)
        lines = {"family": self.rng.randint(2, 4), "business": self.rng.randint(1, 3)}.get(
            segment, 1 if (self.rng.random() < 0.75 or not has_fibre) else 0
        )
        for _ in range(lines):
            social = segment == "standard" and self.rng.random() < 0.06
            self._contract(file, MOBILE_SOCIAL if social else self.rng.choice(MOBILE_OFFERS))
        if has_fibre and self.rng.random() < 0.3:
            self._contract(file, TV_OPTION)
        if self.rng.random() < 0.05:
            self._contract(file, self.rng.choice(MOBILE_OFFERS), status="terminated")

    def _order(self, file: _CustomerFile, placed_at: datetime, status: str) -> Order:
        picks = self.rng.sample(PRODUCTS, k=self.rng.choice((1, 1, 1, 2)))
        items = [
            {"label": label, "quantity": 1, "unit_price_cents": price} for label, price in picks
        ]
        order = Order(
            id=f"CMD-{100000 + self._next('order')}",
            customer_id=file.customer.id,
            placed_at=placed_at,
            status=status,
            total_cents=sum(price for _, price in picks),
            items=items,
        )
        carrier = self._weighted(CARRIERS)
        promised = (placed_at + timedelta(days=1 if carrier == "Chronopost" else 3)).date()
        delivered = {
            "delivered": promised + timedelta(days=self.rng.choice((-1, 0, 0, 0, 1))),
        }.get(status)
        delivery = Delivery(
            id=f"LIV-{self._next('delivery'):06d}",
            order_id=order.id,
            customer_id=file.customer.id,
            carrier=carrier,
            tracking_number=(
                None
                if carrier.startswith("Retrait")
                else f"{carrier[:2].upper()}{self.rng.randint(10**9, 10**10 - 1)}FR"
            ),
            status={"delivered": "delivered", "delayed": "delayed", "shipped": "in_transit"}[
                status
            ],
            promised_on=promised,
            delivered_on=delivered,
        )
        file.orders.append(order)
        file.rows.extend((order, delivery))
        return order

    def _orders(self, file: _CustomerFile) -> None:
        for _ in range(self.rng.choice((0, 0, 1, 1, 1, 2, 2, 3))):
            placed = self._days_ago(3, 240)
            recent = self.now - placed < timedelta(days=4)
            self._order(file, placed, "shipped" if recent else "delivered")

    def _invoices(self, file: _CustomerFile) -> None:
        monthly = sum(c.monthly_price_cents for c in file.contracts if c.status == "active")
        if not monthly:
            return
        for months_back in range(5, -1, -1):
            year, month_index = divmod(self.now.year * 12 + self.now.month - 1 - months_back, 12)
            first_of_month = date(year, month_index + 1, 1)
            extra = self.rng.choice((0, 0, 0, 0, 199, 350, 1290))
            status = "due" if months_back == 0 else "paid"
            if months_back == 1 and self.rng.random() < 0.04:
                status = "overdue"
            invoice = Invoice(
                id=f"FA-{first_of_month:%Y-%m}-{self._next('invoice'):06d}",
                customer_id=file.customer.id,
                period=f"{first_of_month:%Y-%m}",
                issued_on=first_of_month,
                due_on=first_of_month + timedelta(days=14),
                amount_cents=monthly + extra,
                status=status,
                note="Hors forfait / out-of-plan usage" if extra else None,
            )
            file.invoices.append(invoice)
            file.rows.append(invoice)

    # --- Conversations -------------------------------------------------------------------
    def _pick_arc(self, file: _CustomerFile, used: set[str]) -> str:
        kinds = {c.kind for c in file.contracts if c.status == "active"}
        eligible = [
            (name, float(arc["weight"]))
            for name, arc in self.arcs.items()
            if (arc.get("needs") is None or arc["needs"] in kinds)
            and not (name in ONE_OFF_ARCS and name in used)
            and not (name == "billing_error_fixed" and not file.invoices)
        ]
        return self._weighted(eligible)

    def _conversation_arc(self, file: _CustomerFile) -> None:
        name = self._pick_arc(file, file.arcs)
        file.arcs.add(name)
        self._tell(file, name, self.arcs[name])

    def _values(self, file: _CustomerFile, language: str) -> dict[str, Any]:
        customer = file.customer
        active = [c for c in file.contracts if c.status == "active"]
        return {
            "first_name": customer.first_name,
            "agent": self.fakers["fr"].first_name(),
            "offer": active[0].offer if active else "Lumio",
            "relative": self.rng.choice(RELATIVES[language]),
            "days": self.rng.randint(6, 15),
        }

    def _tell(self, file: _CustomerFile, name: str, arc: dict[str, Any]) -> None:
        customer = file.customer
        language = customer.language
        values = self._values(file, language)
        kinds = {c.kind: c for c in file.contracts if c.status == "active"}
        if arc.get("needs") in kinds:
            values["offer"] = kinds[arc["needs"]].offer
        start = self._days_ago(12, 200)

        if name in ("delivery_delay_anger", "order_on_time"):
            status = arc.get("order_status", "delivered")
            order = self._order(file, start - timedelta(days=self.rng.randint(4, 6)), status)
            delivery = next(
                r for r in file.rows if isinstance(r, Delivery) and r.order_id == order.id
            )
            if status == "delayed":
                order.status = "delayed"
            values.update(
                order_id=order.id,
                product=order.items[0]["label"],
                carrier=delivery.carrier,
                tracking=delivery.tracking_number or "-",
                promised=day(delivery.promised_on or start.date(), language),
                amount=money(order.total_cents, language),
            )
            if name == "order_on_time":
                start = order.placed_at + timedelta(days=1, hours=self.rng.randint(1, 8))
        if name == "billing_error_fixed":
            invoice = self.rng.choice(file.invoices[:-1] or file.invoices)
            overcharge = self.rng.choice((999, 1499, 2999, invoice.amount_cents))
            invoice.amount_cents += overcharge
            invoice.status = "credited"
            invoice.note = "Avoir émis / credit note issued"
            values.update(
                invoice_id=invoice.id,
                period=f"{MONTHS[language][int(invoice.period[5:]) - 1]} {invoice.period[:4]}",
                amount=money(invoice.amount_cents, language),
                overcharge=money(overcharge, language),
            )
            start = datetime.combine(
                invoice.issued_on + timedelta(days=self.rng.randint(2, 9)),
                datetime.min.time(),
                tzinfo=UTC,
            ) + timedelta(hours=self.rng.randint(8, 20))
        if arc.get("vulnerable"):
            customer.vulnerable = True

        # Arcs marked `aligned` use the same variant index for subject and every step.
        variant = self.rng.randrange(60) if arc.get("aligned") else None
        repeats = self.rng.randint(*arc["repeat"]) if arc.get("repeat") else 1
        channels = arc.get("channels")
        conversations: list[Conversation] = []
        first_message_at = start
        last_message_at = start
        for repeat in range(repeats):
            values["contact_count"] = repeat + 2 if repeats > 1 else 1
            values["contact_ordinal"] = ordinal(values["contact_count"], language)
            channel = self.rng.choice(channels) if channels else self._weighted(CHANNELS)
            conversation = Conversation(
                id=f"CV-{self._next('conversation'):06d}",
                customer_id=customer.id,
                channel=channel,
                language=language,
                subject=self._variant(arc["subject"][language], variant).format(**values),
                started_at=start,
                status=conversation_state(arc["status"] if repeat == repeats - 1 else "closed"),
            )
            file.rows.append(conversation)
            conversations.append(conversation)
            last_message_at = self._messages(
                file, conversation, arc, values, start, repeat, variant
            )
            start = last_message_at + timedelta(days=self.rng.randint(3, 10))
        if arc.get("ticket"):
            spec = arc["ticket"]
            closed = spec["status"] == "closed"
            first_text = next(
                r.text
                for r in file.rows
                if isinstance(r, Message) and r.conversation_id == conversations[0].id
            )
            ticket = Ticket(
                id=f"TK-{self._next('ticket'):06d}",
                customer_id=customer.id,
                conversation_id=conversations[-1].id,
                opened_at=first_message_at,
                closed_at=last_message_at + timedelta(hours=1) if closed else None,
                status=spec["status"],
                priority=spec["priority"],
                category=arc["category"],
                subject=spec["subject"][language].format(**values),
                summary=first_text[:280],
            )
            file.rows.append(ticket)

    def _messages(
        self,
        file: _CustomerFile,
        conversation: Conversation,
        arc: dict[str, Any],
        values: dict[str, Any],
        start: datetime,
        repeat: int,
        variant: int | None,
    ) -> datetime:
        customer = file.customer
        sent_at = start
        for index, step in enumerate(arc["steps"]):
            if index:
                low, high = step.get("gap_hours", (0.5, 12))
                sent_at = sent_at + timedelta(hours=self.rng.uniform(low, high))
            author = step["author"]
            if author == "agent":
                sent_at = self._office_hours(sent_at)
            elif sent_at.hour < 7:  # customers write at night too, but rarely before 7
                sent_at = sent_at.replace(hour=self.rng.randint(7, 9))
            text = self._variant(step[customer.language], variant).format(**values)
            message = Message(
                conversation_id=conversation.id,
                customer_id=customer.id,
                author=author,
                author_name={
                    "customer": customer.first_name,
                    "agent": values["agent"],
                    "assistant": "Lumio Assistant",
                }.get(author),
                channel=conversation.channel,
                sent_at=sent_at,
                text=text,
            )
            file.rows.append(message)
            if author == "customer" and step.get("emotion") and customer.emotion_analysis_consent:
                file.rows.append(self._reading(message, step["emotion"], text, sent_at, repeat))
        return sent_at

    def _reading(
        self, message: Message, emotion: dict[str, Any], text: str, at: datetime, repeat: int
    ) -> EmotionReadingRow:
        def jitter(value: float, low: float, high: float, drift: float = 0.0) -> float:
            noisy = value + drift + self.rng.uniform(-0.05, 0.05)
            return round(min(high, max(low, noisy)), 2)

        # Each repeated contact about the same problem reads a little worse than the last.
        worse = 0.1 * repeat
        intensity = jitter(emotion["intensity"], 0, 1, worse)
        label = emotion["label"]
        top = round(0.5 + 0.45 * intensity, 2)
        first_sentence = text.split(". ")[0][:100]
        return EmotionReadingRow(
            message=message,
            conversation_id=message.conversation_id,
            customer_id=message.customer_id,
            label=label,
            scores={label: top, "neutral": round(1 - top, 2)}
            if label != "neutral"
            else {"neutral": top},
            valence=jitter(emotion["valence"], -1, 1, -worse),
            intensity=intensity,
            effort=jitter(emotion.get("effort", 0.0), 0, 1, worse),
            urgency=jitter(emotion.get("urgency", 0.0), 0, 1),
            flags=list(emotion.get("flags", [])),
            evidence=[first_sentence],
            source="fast",
            created_at=at + timedelta(seconds=2),
        )


def seed_demo(
    store: CRMStore,
    *,
    customers: int = 200,
    seed: int = 42,
    reset: bool = False,
    now: datetime = DEMO_NOW,
    on_customer: Callable[[], None] | None = None,
) -> SeedReport:
    """Fill the store with the demo company, in one transaction.

    A store that already holds customers is left alone (the report says `skipped`) unless
    `reset` is true, which first deletes every CRM row.
    """
    if reset:
        store.reset()
    elif store.counts()["customers"]:
        return SeedReport(skipped=True, counts=store.counts())
    rows = DemoCompany(seed=seed, now=now).generate(customers, on_customer)
    store.insert_all(rows)
    return SeedReport(skipped=False, counts=store.counts())
