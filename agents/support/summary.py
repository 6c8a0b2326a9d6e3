"""The extractive handoff summary: what a person taking over reads first, written by code.

Used whenever the model's profile does not trust it with summaries (the embedded 135M
model wrote "Suffering from the"). Three short lines in the turn's language:

- the request: the customer's own most informative sentences (the questions first), from
  this message, with the first request of the conversation when it came earlier;
- the facts at stake: the references (order, invoice, ticket ids), amounts and dates found
  in the customer's messages, and the matching orders and unpaid invoices of the record
  (the latest order when the customer gave no reference);
- the emotion path: the labels of the conversation's readings, oldest first.

Texts: `prompts/templates/handoff_summary.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import prompts
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.support.check import AMOUNT, REFERENCE
from agents.support.extractive import content_words
from agents.support.facts import CustomerFacts, invoice_text, order_text
from agents.support.schemas import HistoryLine

MAX_REQUEST_CHARS = 300
DATE = re.compile(
    r"\b(?:\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}(?:er)?\s+(?:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout"
    r"|septembre|octobre|novembre|décembre|decembre)(?:\s+\d{4})?"
    r"|(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December)\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?)\b",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?…\n]+[.!?…]*")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def request_sentences(text: str, limit: int = 2) -> list[str]:
    """The message's most informative sentences, in their order: questions first, then the
    ones with the most content words; greetings and thanks alone are left out."""
    sentences = [s for s in _sentences(text) if content_words(s)]
    if not sentences:
        return [text.strip()[:MAX_REQUEST_CHARS]]
    ranked = sorted(
        range(len(sentences)),
        key=lambda i: (not sentences[i].endswith("?"), -len(content_words(sentences[i])), i),
    )
    chosen = sorted(ranked[:limit])
    picked: list[str] = []
    length = 0
    for i in chosen:
        if picked and length + len(sentences[i]) > MAX_REQUEST_CHARS:
            break
        picked.append(sentences[i])
        length += len(sentences[i])
    return picked


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def facts_at_stake(texts: Sequence[str], facts: CustomerFacts, lang: Lang) -> list[str]:
    """The references, amounts and dates of the customer's messages, then the matching
    orders and unpaid invoices of the record."""
    say = prompts.snippets("handoff_summary")[lang]
    joined = "\n".join(texts)
    ids = _unique(REFERENCE.findall(joined))
    amounts = _unique(m.group(0).strip() for m in AMOUNT.finditer(joined))
    dates = _unique(m.group(0) for m in DATE.finditer(joined))
    items: list[str] = []
    if ids:
        items.append(say["references"].format(ids=", ".join(ids)))
    if amounts:
        items.append(say["amounts"].format(amounts=", ".join(amounts)))
    if dates:
        items.append(say["dates"].format(dates=", ".join(dates)))
    named = {i.upper() for i in ids}
    orders = [o for o in facts.orders if o.id.upper() in named]
    if not orders and not ids and facts.orders:
        orders = [max(facts.orders, key=lambda o: o.placed_at)]
    items += [order_text(o, lang) for o in orders]
    invoices = [i for i in facts.unpaid_invoices if not named or i.id.upper() in named]
    items += [invoice_text(i, lang) for i in invoices]
    return items


def emotion_path(readings: Sequence[EmotionReading], lang: Lang) -> str:
    """The labels of the readings, oldest first, a repeated label once ("neutral → anger")."""
    say = prompts.snippets("handoff_summary")[lang]
    labels: list[str] = []
    for reading in readings:
        name = say[reading.label]
        if not labels or labels[-1] != name:
            labels.append(name)
    return " → ".join(labels)


def extractive_summary(
    message: str,
    history: Sequence[HistoryLine],
    facts: CustomerFacts,
    readings: Sequence[EmotionReading],
    lang: Lang,
) -> str:
    """The summary of a handoff package, composed from the messages and the record."""
    say = prompts.snippets("handoff_summary")[lang]
    lines = [say["request"].format(text=" ".join(request_sentences(message)))]
    earlier = [line.text for line in history if line.author == "customer"]
    if earlier and earlier[0].strip() != message.strip():
        lines.append(say["earlier"].format(text=" ".join(request_sentences(earlier[0], 1))))
    items = facts_at_stake([*earlier, message], facts, lang)
    if items:
        lines.append(say["facts"].format(items=say["separator"].join(items)))
    if readings:
        lines.append(say["emotion"].format(path=emotion_path(readings, lang)))
    return "\n".join(lines)
