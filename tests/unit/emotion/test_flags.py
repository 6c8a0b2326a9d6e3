"""The learned escalation flags: paraphrases raised, negated requests not, evidence kept."""

from __future__ import annotations

import pytest

from agents.emotion.fast import FastReader


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Pouvez-vous transmettre mon dossier à un superviseur ?", "asks_for_human"),
        ("Je souhaite être rappelée par un agent.", "asks_for_human"),
        ("Could I please have a word with an actual advisor?", "asks_for_human"),
        ("Dès que mon engagement se termine, je file ailleurs.", "threatens_to_leave"),
        ("Consider me a former customer.", "threatens_to_leave"),
        ("J'ai mandaté un avocat pour ce litige.", "legal_threat"),
        ("Mon papa nous a quittés la semaine dernière.", "vulnerable_situation"),
    ],
)
def test_paraphrases_are_flagged(fast_reader: FastReader, text: str, flag: str) -> None:
    reading = fast_reader.read(text)
    assert flag in reading.flags.raised()
    assert any(span.signal == flag for span in reading.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "Pas besoin de m'appeler, un mail suffit.",
        "I'm not planning to leave, I just want to understand my bill.",
        "Je ne compte pas porter plainte, je veux juste une solution.",
        "No need to call me back, it's sorted.",
        # "n'ai" is not "AI": refusing a machine is asking for a person, this is not that
        "Je n'ai pas besoin de parler à quelqu'un, juste l'adresse pour les retours.",
    ],
)
def test_negated_requests_are_not_flagged(fast_reader: FastReader, text: str) -> None:
    assert fast_reader.read(text).flags.raised() == []


def test_the_evidence_is_the_clause(fast_reader: FastReader) -> None:
    text = "Ma commande a du retard. Un interlocuteur humain, c'est possible ?"
    reading = fast_reader.read(text)
    spans = [s for s in reading.evidence if s.signal == "asks_for_human"]
    assert spans and all(text[s.start : s.end] == s.text for s in spans)
    assert all(s.start >= text.index("Un") for s in spans)


def test_refusing_the_ai_still_asks_for_a_person(fast_reader: FastReader) -> None:
    reading = fast_reader.read("Je ne veux pas parler à l'IA, passez-moi quelqu'un.")
    assert reading.flags.asks_for_human
