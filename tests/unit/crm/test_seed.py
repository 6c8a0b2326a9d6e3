"""The demo company generator: deterministic, bilingual, and every arc told."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tools.crm.models import Base, Conversation, Customer, EmotionReadingRow, Message, Ticket
from tools.crm.seed import DemoCompany, load_arcs, ordinal

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _plain(row: Base) -> dict[str, Any]:
    values = {c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs}
    if isinstance(row, Message | EmotionReadingRow):  # ids given by the database on insert
        values.pop("id")
        values.pop("message_id", None)
    values["table"] = row.__tablename__
    return values


@pytest.fixture(scope="module")
def company() -> list[Base]:
    return DemoCompany(seed=42).generate(200)


def test_same_seed_same_company_other_seed_other_company(company: list[Base]) -> None:
    again = DemoCompany(seed=42).generate(200)
    assert [_plain(r) for r in again] == [_plain(r) for r in company]
    other = DemoCompany(seed=43).generate(200)
    assert [_plain(r) for r in other] != [_plain(r) for r in company]


def test_mostly_french_customers_some_english(company: list[Base]) -> None:
    customers = [r for r in company if isinstance(r, Customer)]
    assert len(customers) == 200
    english = sum(c.language == "en" for c in customers)
    assert 15 <= english <= 50
    assert len({c.email for c in customers}) == 200
    assert {c.segment for c in customers} == {"standard", "family", "business", "premium"}


def test_every_arc_is_told_with_its_emotions(company: list[Base]) -> None:
    readings = [r for r in company if isinstance(r, EmotionReadingRow)]
    flags = {flag for r in readings for flag in r.flags}
    labels = {r.label for r in readings}
    assert {"bereavement", "legal_threat", "asks_for_human", "repeated_contact"} <= flags
    assert {"anger", "frustration", "relief", "grief", "gratitude", "neutral"} <= labels
    statuses = {r.status for r in company if isinstance(r, Conversation)}
    assert {"open", "resolved", "with_human"} == statuses  # revision 0005 states
    assert any(isinstance(r, Customer) and r.vulnerable for r in company)
    assert {t.priority for t in company if isinstance(t, Ticket)} >= {"urgent", "high"}
    # A delay that turns to anger: within one conversation valence falls and intensity rises.
    by_conversation: dict[str, list[EmotionReadingRow]] = {}
    for reading in readings:
        by_conversation.setdefault(reading.conversation_id, []).append(reading)
    assert any(
        len(arc) >= 3 and arc[-1].valence < arc[0].valence - 0.4 and arc[-1].label == "anger"
        for arc in by_conversation.values()
    )


def test_texts_are_filled_in_and_in_the_customers_language(company: list[Base]) -> None:
    language = {r.id: r.language for r in company if isinstance(r, Customer)}
    messages = [r for r in company if isinstance(r, Message)]
    assert len(messages) > 600
    for message in messages:
        assert not PLACEHOLDER.search(message.text), message.text
        if language[message.customer_id] == "en":
            assert not re.search(r"\b(Bonjour|merci|commande)\b", message.text), message.text
        else:
            assert not re.search(r"\b(Hello|Thanks|order)\b", message.text), message.text
    for conversation in (r for r in company if isinstance(r, Conversation)):
        assert conversation.language == language[conversation.customer_id]
        assert not PLACEHOLDER.search(conversation.subject)


def test_advisers_answer_in_office_hours_and_nothing_is_in_the_future(
    company: list[Base],
) -> None:
    from tools.crm.seed import DEMO_NOW

    for message in (r for r in company if isinstance(r, Message)):
        if message.author == "agent":
            assert 8 <= message.sent_at.hour < 19
        assert message.sent_at < DEMO_NOW


def test_readings_only_with_consent(company: list[Base]) -> None:
    consent = {r.id: r.emotion_analysis_consent for r in company if isinstance(r, Customer)}
    readings = [r for r in company if isinstance(r, EmotionReadingRow)]
    assert readings
    assert all(consent[r.customer_id] for r in readings)
    assert not all(consent.values())  # some customers objected, and have no readings


def test_arc_file_has_both_languages_everywhere() -> None:
    for name, arc in load_arcs().items():
        assert set(arc["subject"]) == {"fr", "en"}, name
        for step in arc["steps"]:
            assert step["fr"], name
            assert step["en"], name
            assert len(step["fr"]) == len(step["en"]), name
            if arc.get("aligned"):  # the n-th question goes with the n-th answer
                assert len(step["fr"]) == len(arc["subject"]["fr"]), name


def test_ordinals() -> None:
    assert [ordinal(n, "fr") for n in (1, 2, 3)] == ["1re", "2e", "3e"]
    assert [ordinal(n, "en") for n in (1, 2, 3, 4, 11, 22)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "22nd",
    ]
