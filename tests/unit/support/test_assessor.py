"""The fast assessor and how the `assess` node uses it beside the model's assessment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents.core.profiles import profile_book, profile_for
from agents.support.assessor import FastAssessor, merge_assessments, request_clauses
from agents.support.schemas import Assessment
from tests.unit.support.conftest import ASSESS_SIMPLE, DRAFT_OK

EMBEDDED = profile_book().named("embedded-smollm2-135m")
CAPABLE = profile_book().named("mistral-small-24b")
CAUTIOUS = profile_book().named("cautious")
DRAFT_EN = (
    "Hello Camille, a parcel counts as late after a few working days; we are checking "
    "yours now [livraison-retards#colis-en-retard]."
)

Make = Any

NONSENSE = json.dumps(
    {
        "summary": "Suffering from the",
        "intents": ["a", "b", "c"],
        "complexity": "high",
        "sensitive_topics": ["legal"],
        "policy_exception_requested": True,
    }
)


@pytest.fixture(scope="module")
def assessor() -> FastAssessor:
    return FastAssessor()


def test_profiles_per_model() -> None:
    assert profile_for("smollm2-135m-instruct") == EMBEDDED
    assert not EMBEDDED.trusts("assessment")
    assert profile_for("mistralai/Mistral-Small-3.1-24B-Instruct-2503") == CAPABLE
    assert CAPABLE.trusts("assessment")
    assert not profile_for("some-model-we-never-heard-of").trusts("assessment")


@pytest.mark.parametrize(
    "text",
    [
        "How long does express delivery take?",
        "Combien de jours ai-je pour renvoyer un article ?",
        "Quel est le préavis pour résilier ma ligne fixe ?",
        "Why is my October bill higher than usual?",
    ],
)
def test_plain_questions_are_simple(assessor: FastAssessor, text: str) -> None:
    result = assessor.assess(text)
    assert result.complexity == "low"
    assert result.sensitive_topics == ["none"]
    assert not result.policy_exception_requested
    assert len(result.intents) == 1


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Je demande la suppression de mes données personnelles (RGPD).", "gdpr"),
        ("Someone opened a contract in my name without my consent.", "fraud"),
        ("Mon père est décédé, que faire de sa box ?", "bereavement"),
        ("My solicitor will take you to court.", "legal"),
    ],
)
def test_sensitive_topics(assessor: FastAssessor, text: str, topic: str) -> None:
    assert topic in assessor.assess(text).sensitive_topics


def test_an_exception_request(assessor: FastAssessor) -> None:
    text = "Je sais que le délai de retour est dépassé, mais pouvez-vous faire une exception ?"
    assert assessor.assess(text).policy_exception_requested


def test_distinct_requests_are_counted(assessor: FastAssessor) -> None:
    text = "Où est mon colis ? Pouvez-vous corriger mon adresse ? Et quand aurai-je mon avoir ?"
    assert len(request_clauses(text)) == 3
    result = assessor.assess(text)
    assert len(result.intents) == 3
    assert result.complexity == "high"
    announced = assessor.assess("Three things: my parcel, my refund and my new address.")
    assert len(announced.intents) == 3


def test_the_model_only_adds() -> None:
    code = Assessment(
        summary="RGPD",
        intents=["supprimer mes données"],
        complexity="medium",
        sensitive_topics=["gdpr"],
        policy_exception_requested=False,
    )
    calm = Assessment.model_validate_json(ASSESS_SIMPLE)
    merged = merge_assessments(code, calm)
    assert merged.sensitive_topics == ["gdpr"]
    assert merged.complexity == "medium"
    more = merge_assessments(code, Assessment.model_validate_json(NONSENSE))
    assert set(more.sensitive_topics) == {"gdpr", "legal"}
    assert more.complexity == "high" and more.policy_exception_requested


def test_an_untrusted_models_assessment_is_not_asked(make_harness: Make) -> None:
    """The 135M model would claim an exception and high complexity: it is not asked, and the
    plain question gets a draft (the only model call)."""
    h = make_harness(DRAFT_EN, profile=CAUTIOUS)  # may draft, may not assess
    result = h.submit("How long does express delivery take?")
    assert result.outcome == "awaiting_approval"
    assert result.decision is not None and not result.decision.escalate
    assert len(h.model.calls) == 1
    assert result.draft.startswith(DRAFT_EN)


def test_the_same_nonsense_from_a_trusted_model_adds_its_rules(make_harness: Make) -> None:
    h = make_harness(NONSENSE, DRAFT_OK, profile=CAPABLE)
    result = h.submit("How long does express delivery take?")
    assert result.outcome == "handed_off"
    rules = {hit.rule for hit in result.decision.hits} if result.decision else set()
    assert {"policy_exception", "high_complexity", "many_intents", "sensitive_topic"} <= rules


def test_a_trusted_model_cannot_clear_what_the_code_found(make_harness: Make) -> None:
    h = make_harness(ASSESS_SIMPLE, DRAFT_OK, profile=CAPABLE)
    result = h.submit("Je demande la suppression de toutes mes données personnelles, RGPD.")
    assert result.outcome == "handed_off"
    assert result.decision is not None
    assert "sensitive_topic" in [hit.rule for hit in result.decision.hits]
