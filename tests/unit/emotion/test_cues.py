from __future__ import annotations

import pytest

from agents.emotion.cues import find_cues, fold


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Je veux parler à un conseiller, pas à un robot.", "asks_for_human"),
        ("Mettez-moi en relation avec votre responsable.", "asks_for_human"),
        ("I want to speak to a real person.", "asks_for_human"),
        ("Get me a manager now.", "asks_for_human"),
        ("Si rien ne bouge, je résilie mon abonnement.", "threatens_to_leave"),
        ("Envoyez-moi mon code RIO, je pars chez la concurrence.", "threatens_to_leave"),
        ("I'm cancelling my contract and switching to another provider.", "threatens_to_leave"),
        ("Mon avocat va vous écrire.", "legal_threat"),
        ("Je vais porter plainte et saisir le médiateur.", "legal_threat"),
        ("I'll take you to small claims court.", "legal_threat"),
        ("Ma mère est décédée la semaine dernière.", "vulnerable_situation"),
        ("Je suis au chômage et je n'ai plus les moyens de payer.", "vulnerable_situation"),
        ("My husband passed away and I can't afford the bill.", "vulnerable_situation"),
        ("I'm in hospital for chemo this month.", "vulnerable_situation"),
    ],
)
def test_each_flag_is_raised_in_french_and_english(text: str, flag: str) -> None:
    hits = find_cues(text)
    assert flag in hits.flags
    spans = [span for span in hits.evidence if span.signal == flag]
    assert spans
    assert all(text[span.start : span.end] == span.text for span in spans)


@pytest.mark.parametrize(
    "text",
    [
        "Je ne veux pas résilier, je veux juste comprendre.",
        "I don't want to cancel my subscription, just fix it.",
        "Je souhaite résilier l'option TV à la fin du mois.",
        "Bonjour, quels sont vos horaires ?",
        "I'm sick of waiting.",
    ],
)
def test_no_flag_for_negated_or_unrelated_messages(text: str) -> None:
    assert find_cues(text).flags == set()


def test_a_conditional_threat_is_not_negated() -> None:
    assert "threatens_to_leave" in find_cues("Si ce n'est pas réglé vendredi, je résilie.").flags


@pytest.mark.parametrize(
    ("text", "at_least"),
    [
        ("C'est la troisième fois que j'appelle pour le même problème.", 0.67),
        ("I have called five times and been transferred twice.", 0.67),
        ("Ça fait deux semaines que j'attends mon colis.", 0.34),
        ("I've been on hold for 40 minutes.", 0.34),
    ],
)
def test_effort_cues(text: str, at_least: float) -> None:
    assert find_cues(text).effort >= at_least


def test_no_effort_in_a_first_plain_request() -> None:
    assert find_cues("Pouvez-vous m'envoyer ma facture de janvier ?").effort == 0.0


def test_urgency_cues_and_their_negation() -> None:
    assert find_cues("Plus d'internet depuis ce matin, c'est urgent.").urgency >= 0.5
    assert find_cues("No internet since this morning, I work from home.").urgency >= 0.4
    assert find_cues("Ce n'est pas urgent, répondez quand vous pourrez.").urgency == 0.0


def test_shouting_and_outrage_raise_intensity() -> None:
    calm = find_cues("Le colis est arrivé abîmé.").intensity
    loud = find_cues("C'est SCANDALEUX, une HONTE !!").intensity
    assert loud > calm + 0.3


def test_fold_keeps_offsets() -> None:
    text = "Ça m’énerve, Écoutez !"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded.startswith("ca m'enerve, ecoutez")
