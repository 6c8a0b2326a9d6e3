"""The segment insight is code over the readings: shares, irritant topics, end valence."""

from __future__ import annotations

from agents.marketing.insight import segment_insight, topics_of
from tools.crm.audience import Audience, ConversationMood, Recipient


def _mood(cid: str, labels: list[str], end: float | None, negative: list[str]) -> ConversationMood:
    return ConversationMood(
        conversation_id=cid,
        customer_id="C1",
        subject="s",
        labels=labels,
        end_valence=end,
        negative_texts=negative,
    )


def test_irritant_topics_in_both_languages() -> None:
    assert topics_of("Ma facture est fausse, j'ai été prélevé deux fois") == {"billing"}
    assert topics_of("My parcel is late and tracking hasn't moved") == {"delivery"}
    assert "reaching_a_person" in topics_of("Je veux parler à un conseiller")
    assert topics_of("Merci beaucoup") == set()


def test_insight_figures_and_notes() -> None:
    recipient = Recipient(
        customer_id="C1",
        email="a@b.fr",
        first_name="A",
        last_name="B",
        city=None,
        language="fr",
        segment="standard",
    )
    audience = Audience(
        matched=5, recipients=[recipient], excluded_no_consent=3, excluded_vulnerable=1
    )
    moods = [
        _mood("1", ["anger", "anger"], -0.6, ["Colis en retard, encore", "Toujours pas livré"]),
        _mood("2", ["frustration", "satisfaction"], 0.4, ["Facture fausse"]),
        _mood("3", ["neutral"], None, []),
    ]
    insight = segment_insight(audience, moods, "fr", "excitement")
    assert (insight.matched, insight.recipients, insight.excluded_no_consent) == (5, 1, 3)
    assert insight.conversations == 3
    assert insight.dominant_emotions[0].label == "anger"
    assert insight.dominant_emotions[0].share == 0.4
    # one conversation each; ties in name order
    assert [(i.topic, i.conversations) for i in insight.irritants] == [
        ("billing", 1),
        ("delivery", 1),
        ("repeated_contacts", 1),
    ]
    assert insight.end_valence == -0.1 and insight.negative_end_share == 0.5
    assert any("réassurance" in note for note in insight.notes)
