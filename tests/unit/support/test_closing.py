"""Closing messages (thanks, settled, feedback) are told apart from questions and complaints,
in both languages, and get a short courteous draft instead of a handoff."""

from __future__ import annotations

from typing import Any

import pytest

from agents.core.config import Settings
from agents.support.closing import is_closing

Make = Any

CLOSINGS = [
    "Merci beaucoup, le technicien est passé et tout marche bien.",
    "D'accord, je vois la ligne maintenant, merci pour l'explication.",
    "J'ai réinitialisé le mot de passe, ça marche. Merci !",
    "Ma commande est arrivée avec un jour de retard, ce n'est pas grave mais je le signale.",
    "Ah si, elle vient d'être livrée, désolé du dérangement !",
    "Thanks a lot, the engineer came round and everything works now.",
    "Right, I see the line now, thanks for explaining.",
    "My order came a day late, not a big deal but I thought you should know.",
]
NOT_CLOSINGS = [
    "Merci, mais toujours pas de remboursement.",
    "Merci de me rappeler demain.",
    "Merci, pouvez-vous m'envoyer la facture ?",
    "Merci pour rien.",
    "bjr jvoudrai savoir kan arrive ma commande svp",
    "Thanks but it still doesn't work",
    "Thanks, I received the wrong item.",
    "hi wen will my order arrive thx",
    "Great, another delay. Thanks for nothing.",
    "Bonjour, ma commande n'est pas arrivée.",  # no closing cue at all
]


@pytest.mark.parametrize("text", CLOSINGS)
def test_thanks_settled_and_feedback_are_closings(text: str) -> None:
    assert is_closing(text)


@pytest.mark.parametrize("text", NOT_CLOSINGS)
def test_questions_requests_complaints_and_sarcasm_are_not(text: str) -> None:
    assert not is_closing(text)


def test_a_letter_is_not_a_closing_line() -> None:
    assert not is_closing("Merci. " + "Tout va bien de mon côté. " * 10)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"llm_profile": "embedded-smollm2-135m"})


def test_a_closing_message_with_no_passage_gets_a_reply_not_a_handoff(make_harness: Make) -> None:
    h = make_harness(passages=[])  # nothing in the knowledge base answers a thank-you
    result = h.submit("Merci beaucoup, le technicien est passé et tout marche bien.")

    assert result.outcome == "awaiting_approval", result.decision
    assert result.decision is not None
    assert "low_retrieval_confidence" not in {hit.rule for hit in result.decision.hits}
    assert result.draft.startswith("Bonjour Camille,")
    assert "Si vous avez besoin d'autre chose" in result.draft
    assert "[" not in result.draft  # nothing quoted, nothing to cite
    assert result.findings == []  # not even a "no source cited" warning
    assert result.approval_request is not None
    assert result.approval_request.draft_mode == "closing"
    assert h.model.calls == []


def test_a_question_with_no_passage_still_goes_to_a_person(make_harness: Make) -> None:
    result = make_harness(passages=[]).submit("Merci, et quels sont vos horaires d'ouverture ?")

    assert result.outcome == "handed_off"
    assert result.decision is not None
    assert [h.rule for h in result.decision.hits] == ["low_retrieval_confidence"]
