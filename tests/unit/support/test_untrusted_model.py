"""A turn on a model whose profile trusts nothing (the embedded 135M one): the model is
never asked; the draft and the handoff summary are composed by code."""

from __future__ import annotations

from typing import Any

import pytest

from agents.core.config import Settings
from tests.unit.support.conftest import ANGRY

Make = Any


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"llm_profile": "embedded-smollm2-135m"})


def test_a_plain_question_gets_a_cited_extractive_draft_without_the_model(
    make_harness: Make,
) -> None:
    h = make_harness()  # the scripted model has no answer: any call would fail the turn
    result = h.submit("Bonjour, mon colis est en retard, que se passe-t-il maintenant ?")

    assert result.outcome == "awaiting_approval", result.decision
    request = result.approval_request
    assert request is not None and request.draft_mode == "extractive"
    assert request.citations == ["livraison-retards#colis-en-retard"]
    assert result.draft.startswith("Bonjour Camille,")
    assert "Un colis est considéré en retard après 5 jours ouvrés." in result.draft
    assert result.draft.endswith("relue par un conseiller.")  # the disclosure, as always
    assert [f for f in result.findings if f.blocking] == []
    assert h.model.calls == []
    assert result.decision is not None
    assert "llm_failure" not in {hit.rule for hit in result.decision.hits}


def test_a_handoff_gets_the_extractive_summary(make_harness: Make) -> None:
    h = make_harness(reading=ANGRY)
    text = "Ma commande CMD-1001 n'est jamais arrivée. C'est inadmissible, où est-elle ?"
    result = h.submit(text)

    assert result.outcome == "handed_off"
    assert result.handoff is not None
    summary = result.handoff.summary
    assert summary.startswith("Demande : ")
    assert "où est-elle ?" in summary and "CMD-1001" in summary
    assert "Émotion : colère" in summary
    assert h.model.calls == []
