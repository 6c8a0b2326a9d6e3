"""The shipped artefact loads and reads clear French and English messages sensibly."""

from __future__ import annotations

import pytest

from agents.core.emotion import LABELS
from agents.emotion.classifier import EmotionClassifier
from agents.emotion.fast import FastReader
from agents.emotion.lang import detect_lang
from agents.emotion.taxonomy import EKMAN_LABELS


def test_shipped_artefact_has_both_heads_for_its_embedder() -> None:
    classifier = EmotionClassifier.load()
    assert classifier.embedder == "usem3"
    assert classifier.head("taxonomy").labels == LABELS
    assert classifier.head("ekman").labels == EKMAN_LABELS
    taxonomy = classifier.head("taxonomy")
    assert taxonomy.weights[0].shape == (512, len(LABELS))
    assert taxonomy.priors.sum() == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Merci beaucoup, le technicien a été parfait, tout fonctionne !", "satisfaction"),
        ("Thank you so much, the parcel arrived and it's perfect!", "satisfaction"),
        ("Je suis très inquiète, j'ai peur que ma ligne soit coupée.", "anxiety"),
        ("I'm really worried and scared my account has been hacked.", "anxiety"),
        ("C'est un scandale, vous êtes des voleurs !", "anger"),
        ("This is outrageous, you are thieves!", "anger"),
        ("Bonjour, pouvez-vous changer mon adresse de livraison ?", "neutral"),
        ("Hello, could you update my delivery address?", "neutral"),
    ],
)
def test_clear_messages_are_read_sensibly(fast_reader: FastReader, text: str, label: str) -> None:
    reading = fast_reader.read(text)
    assert reading.label == label
    assert reading.source == "fast"
    if label in ("anger", "anxiety"):
        assert reading.valence < 0
    if label == "satisfaction":
        assert reading.valence > 0.3


def test_french_works_without_the_lang_hint(fast_reader: FastReader) -> None:
    reading = fast_reader.read("Trois semaines sans internet, je porte plainte et je résilie !")
    assert reading.lang == "fr"
    assert reading.flags.legal_threat
    assert reading.flags.threatens_to_leave
    assert reading.valence < 0
    assert reading.intensity_band == "high"


def test_a_batch_reads_like_single_messages(fast_reader: FastReader) -> None:
    texts = ["Merci pour votre aide !", "I have called four times, still nothing."]
    batch = fast_reader.read_batch(texts)
    singles = [fast_reader.read(text) for text in texts]
    assert [r.label for r in batch] == [r.label for r in singles]
    assert batch[1].effort_band == "high"


def test_the_embedder_must_match_the_artefact() -> None:
    from tools.embeddings import get_embedder

    with pytest.raises(ValueError, match="trained on 'usem3'"):
        FastReader(EmotionClassifier.load(), embedder=get_embedder("e5-small-q4"))


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Bonjour, je n'ai toujours pas reçu ma commande.", "fr"),
        ("slt jai tjs pas recu ma commande", "fr"),
        ("Hi, I still haven't received my order.", "en"),
        ("Thanks, noted.", "en"),
    ],
)
def test_language_detection(text: str, lang: str) -> None:
    assert detect_lang(text) == lang
