"""What the inbox renders: customer text is data (escaped), labels follow the language."""

from __future__ import annotations

from agents.core.emotion import EmotionReading
from agents.support.schemas import CheckFinding, HandoffPackage, RuleHit
from ui import render

HOSTILE = '<img src=x onerror="alert(1)">Où est mon colis ?'


def _package() -> HandoffPackage:
    return HandoffPackage(
        conversation_id="CV-1",
        customer_id="C1",
        lang="fr",
        priority="urgent",
        reasons=[RuleHit(rule="legal_threat", description="…", seen={})],
        summary=HOSTILE,
        emotion_trajectory=[
            EmotionReading(label="anger", valence=-0.8, intensity=0.9, effort=0.5, urgency=0.7)
        ],
        tried=["<b>knowledge search</b>"],
        suggested_opening="Bonjour",
        last_message=HOSTILE,
    )


def test_customer_text_in_a_handoff_card_is_escaped() -> None:
    html = render.handoff_cards([(_package(), "Camille <Martin>")], "fr")
    assert "<img" not in html and "<b>knowledge" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Où est mon colis ?" in html
    assert "Camille &lt;Martin&gt;" in html
    assert "colère -0.8" in html  # the emotion chip, in French
    assert 'data-conversation="CV-1"' in html


def test_labels_follow_the_language() -> None:
    assert "Already tried" in render.handoff_cards([(_package(), "C")], "en")
    assert "aucun" in render.handoff_cards([], "fr").lower()
    finding = CheckFinding(kind="gesture_over_limit", detail="30 € > 20 €", blocking=True)
    assert "geste commercial hors barème" in render.findings([finding], "fr")
    assert "**gesture over the limit** (blocking)" in render.findings([finding], "en")


def test_the_inbox_says_who_wrote_the_draft() -> None:
    assert "extractif" in render.draft_origin("extractive", "fr")
    assert "written by the model" in render.draft_origin("model", "en")
