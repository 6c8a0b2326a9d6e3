"""The compliance check's public contract: every rule catches a planted violation in
French and in English with the code rules alone; the LLM review only adds quoted flags."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.marketing.compliance import RULE_IDS, ComplianceFlag, check_email, rules_hit
from agents.marketing.render import body_text
from tests.fakes import ScriptedChatModel

FACTS_FR = [
    "Lumio Fibre 2G : 2 Gbit/s en descendant, 39,99 € par mois, engagement 12 mois.",
    "Frais de mise en service : 39 €, offerts pour une souscription en ligne.",
]
FACTS_EN = [
    "Customers with Lumio Fibre save 5 € per month on each mobile line, up to 4 lines.",
    "All Lumio Mobile plans are without commitment.",
]
CLEAN_FR = body_text(
    "Bonjour {{first_name}},\n\nMerci de votre fidélité. Lumio Fibre 2G vous apporte 2 Gbit/s "
    "pour 39,99 € par mois, avec un engagement de 12 mois.",
    "Découvrir l'offre",
    "fr",
)
CLEAN_EN = body_text(
    "Hello {{first_name}},\n\nWith Lumio Fibre, each mobile line costs 5 € less per month, "
    "for up to 4 lines. Plans are without commitment.",
    "See the bundle",
    "en",
)
SUBJECT = {"fr": "Votre fibre, plus rapide", "en": "Your mobile lines, for less"}
CLEAN = {"fr": CLEAN_FR, "en": CLEAN_EN}
FACTS = {"fr": FACTS_FR, "en": FACTS_EN}

# (rule, language, planted sentence, segment filter)
PLANTED: list[tuple[str, str, str, dict[str, object]]] = [
    ("false_urgency", "fr", "Dernière chance : plus que 3 box disponibles !", {}),
    ("false_urgency", "fr", "L'offre se termine ce soir à minuit.", {}),
    ("false_urgency", "en", "Hurry, only 2 left in stock.", {}),
    ("false_urgency", "en", "This offer ends tonight.", {}),
    ("guilt_or_fear", "fr", "Ne laissez pas tomber votre famille : vous le regretterez.", {}),
    ("guilt_or_fear", "fr", "Tous vos voisins l'ont déjà, qu'attendez-vous ?", {}),
    ("guilt_or_fear", "en", "Don't let your family down with a slow connection.", {}),
    ("guilt_or_fear", "en", "Are you really ready to miss out while your neighbours enjoy it?", {}),
    ("unbacked_claim", "fr", "Profitez de 50 % de remise la première année.", {}),
    ("unbacked_claim", "fr", "Le meilleur réseau de France, tout simplement.", {}),
    ("unbacked_claim", "en", "Get unlimited data for 9.99 € a month.", {}),
    ("unbacked_claim", "en", "The fastest network, guaranteed.", {}),
    ("sensitive_targeting", "fr", "Une offre pensée pour vous.", {"vulnerable": True}),
    ("sensitive_targeting", "fr", "Malgré vos difficultés financières, restez connecté.", {}),
    ("sensitive_targeting", "en", "An offer for you.", {"health_condition": "diabetes"}),
    ("sensitive_targeting", "en", "After the death of your relative, stay connected.", {}),
    ("sensitive_targeting", "en", "An offer for you.", {"offer": "Lumio Essentiel"}),
]


def _flags(
    lang: str, body: str, segment: dict[str, object], subject: str | None = None
) -> list[ComplianceFlag]:
    return check_email(
        subject or SUBJECT[lang],
        body,
        offer_facts=FACTS[lang],
        segment_filter=segment,
        lang=lang,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_clean_email_has_no_flag(lang: str) -> None:
    assert _flags(lang, CLEAN[lang], {"segment": "premium", "language": lang}) == []


@pytest.mark.parametrize(("rule", "lang", "sentence", "segment"), PLANTED)
def test_each_rule_catches_its_planted_violation(
    rule: str, lang: str, sentence: str, segment: dict[str, object]
) -> None:
    body = CLEAN[lang].replace("\n\n", f"\n\n{sentence}\n\n", 1)
    flags = _flags(lang, body, segment)
    assert rules_hit(flags) == [rule], flags
    assert all(f.source == "rule" for f in flags)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_missing_legal_mentions_and_unsubscribe(lang: str) -> None:
    body = CLEAN[lang].split("-- \n")[0]
    assert rules_hit(_flags(lang, body, {})) == ["missing_legal_mentions", "missing_unsubscribe"]
    legal_only = "\n".join(
        line for line in CLEAN[lang].splitlines() if "{{unsubscribe_url}}" not in line
    )
    assert rules_hit(_flags(lang, legal_only, {})) == ["missing_unsubscribe"]
    no_identity = "\n".join(line for line in CLEAN[lang].splitlines() if "RCS" not in line)
    assert rules_hit(_flags(lang, no_identity, {})) == ["missing_legal_mentions"]


def test_the_subject_is_checked_too() -> None:
    assert rules_hit(_flags("en", CLEAN_EN, {}, subject="Last chance: 30% off")) == [
        "false_urgency",
        "unbacked_claim",
    ]


def test_a_deadline_the_facts_state_is_not_false_urgency() -> None:
    facts = [*FACTS_FR, "Offre valable jusqu'au 31 décembre 2026."]
    body = CLEAN_FR.replace("\n\n", "\n\nL'offre se termine ce soir.\n\n", 1)
    flags = check_email("Objet", body, offer_facts=facts, segment_filter={}, lang="fr")
    assert rules_hit(flags) == []


def test_every_rule_id_is_reachable() -> None:
    assert {rule for rule, *_ in PLANTED} | {
        "missing_legal_mentions",
        "missing_unsubscribe",
    } == set(RULE_IDS)


def _llm(settings: Settings, *answers: str | BaseException) -> LLMClient:
    return LLMClient(settings, ScriptedChatModel.of(*answers))


def test_llm_flags_are_added_only_with_a_quote_from_the_email(settings: Settings) -> None:
    review = json.dumps(
        {
            "issues": [
                {"rule": "guilt_or_fear", "quote": "Merci de votre fidélité", "explanation": "x"},
                {"rule": "unbacked_claim", "quote": "le réseau numéro un", "explanation": "absent"},
            ]
        }
    )
    flags = check_email(
        SUBJECT["fr"],
        CLEAN_FR,
        offer_facts=FACTS_FR,
        segment_filter={},
        lang="fr",
        llm=_llm(settings, review),
    )
    assert [(f.rule, f.source) for f in flags] == [("guilt_or_fear", "llm")]
    assert "Merci de votre fidélité" in flags[0].detail


@pytest.mark.parametrize(
    "failure",
    [
        openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9/v1")),
        "not json at all",
    ],
    ids=["unreachable", "invalid-output"],
)
def test_an_llm_failure_never_removes_a_code_flag(settings: Settings, failure: object) -> None:
    body = CLEAN_EN.replace("\n\n", "\n\nLast chance!\n\n", 1)
    answers = [failure, failure] if isinstance(failure, str) else [failure]
    llm = _llm(settings, *answers)  # type: ignore[arg-type]
    flags = check_email(
        SUBJECT["en"], body, offer_facts=FACTS_EN, segment_filter={}, lang="en", llm=llm
    )
    assert rules_hit(flags) == ["false_urgency"]
    assert [f.source for f in flags] == ["rule"]
