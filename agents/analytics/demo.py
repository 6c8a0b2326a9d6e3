"""The demo company's conversations as an analysis input, with a planted outage spike.

`ressenti analyze --demo` writes this file and analyses it, so the insights tab has
something to show on a fresh install: the Lumio demo company's conversations (the same
generator and seed as `make data`, so customer ids match the seeded CRM and journey stages
are read from it), then a planted day: 24 hours of ordinary traffic and, in the hour
after, a cluster of outage complaints, which the alert rules must catch. The planted
messages are marked (`id` starting with `spike-` or `day-`) and said to be planted here.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from tools.crm.models import Conversation, Message
from tools.crm.seed import DEMO_NOW, DemoCompany

DEMO_CUSTOMERS = 200
DEMO_SEED = 42

ORDINARY = [
    ("fr", "Bonjour, pouvez-vous me confirmer la date de ma prochaine facture ? Merci."),
    ("en", "Hello, could you tell me how to add a second TV decoder? Thanks."),
    ("fr", "Merci pour votre réponse rapide, tout fonctionne."),
    ("en", "Thanks, the new router works perfectly."),
    ("fr", "Je voudrais changer d'offre mobile, que proposez-vous ?"),
]
SPIKE = [
    ("fr", "Plus d'internet depuis une heure, la box clignote, c'est inadmissible !"),
    ("en", "Internet is down again, no connection at all since this morning, fix it now!"),
    ("fr", "Encore une coupure, je télétravaille et je ne peux plus rien faire, je suis furieux."),
    ("en", "The outage is still going on and nobody tells us anything, this is ridiculous."),
]


def demo_records(customers: int = DEMO_CUSTOMERS) -> list[dict[str, object]]:
    """The demo company's messages as analysis records (customer ids match the seeded CRM)."""
    rows = DemoCompany(seed=DEMO_SEED, now=DEMO_NOW).generate(customers)
    channels = {r.id: r.channel for r in rows if isinstance(r, Conversation)}
    records: list[dict[str, object]] = []
    for row in rows:
        if not isinstance(row, Message) or row.author == "system":
            continue
        records.append(
            {
                "id": f"msg-{row.conversation_id}-{len(records)}",
                "conversation": row.conversation_id,
                "time": row.sent_at.isoformat(),
                "author": "customer" if row.author == "customer" else "agent",
                "channel": channels[row.conversation_id],
                "customer": row.customer_id,
                "text": row.text,
            }
        )
    return records


def planted_day(customer_ids: list[str]) -> list[dict[str, object]]:
    """24 hours of ordinary messages (5 an hour), then an hour of outage complaints."""
    start = DEMO_NOW - timedelta(days=2)
    records: list[dict[str, object]] = []
    for hour in range(24):
        for index in range(5):
            lang, text = ORDINARY[(hour + index) % len(ORDINARY)]
            number = len(records)
            records.append(
                {
                    "id": f"day-{number}",
                    "conversation": f"day-{number}",
                    "time": (start + timedelta(hours=hour, minutes=11 * index)).isoformat(),
                    "channel": "chat",
                    "lang": lang,
                    "customer": customer_ids[number % len(customer_ids)],
                    "text": text,
                }
            )
    spike = start + timedelta(hours=24)
    for index in range(16):
        lang, text = SPIKE[index % len(SPIKE)]
        records.append(
            {
                "id": f"spike-{index}",
                "conversation": f"spike-{index}",
                "time": (spike + timedelta(minutes=3 * index)).isoformat(),
                "channel": "chat",
                "lang": lang,
                "customer": customer_ids[(7 * index) % len(customer_ids)],
                "text": text,
            }
        )
    return records


def write_demo(path: Path, customers: int = DEMO_CUSTOMERS) -> int:
    """Write the demo input (JSONL) to `path`; returns its message count."""
    records = demo_records(customers)
    ids = sorted({str(r["customer"]) for r in records})
    records += planted_day(ids)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(records)
