from __future__ import annotations

import pytest

from agents.core.emotion import LABELS
from agents.emotion.taxonomy import (
    GOEMOTIONS_TO_TAXONOMY,
    LABEL_VALENCE,
    map_goemotions,
)

GOEMOTIONS_LABELS = str.split(
    "admiration amusement anger annoyance approval caring confusion curiosity desire "
    "disappointment disapproval disgust embarrassment excitement fear gratitude grief joy love "
    "nervousness optimism pride realization relief remorse sadness surprise neutral"
)


def test_every_goemotions_label_maps_onto_the_taxonomy() -> None:
    assert sorted(GOEMOTIONS_TO_TAXONOMY) == sorted(GOEMOTIONS_LABELS)
    assert set(GOEMOTIONS_TO_TAXONOMY.values()) == set(LABELS)


@pytest.mark.parametrize(
    ("goemotions", "expected"),
    [
        (["annoyance", "disapproval"], ["frustration"]),
        (["anger", "sadness"], ["anger", "sadness"]),
        (["grief"], ["sadness"]),
        (["gratitude", "relief"], ["satisfaction"]),
        (["curiosity"], ["neutral"]),
        (["surprise", "confusion"], ["confusion"]),
        (["nervousness"], ["anxiety"]),
    ],
)
def test_mapping_of_rows(goemotions: list[str], expected: list[str]) -> None:
    assert map_goemotions(goemotions) == expected


def test_unknown_label_is_refused() -> None:
    with pytest.raises(ValueError, match="not GoEmotions labels"):
        map_goemotions(["rage"])


def test_labels_have_a_valence() -> None:
    # What a person sees for each label is the UI's (tests/unit/app/test_texts.py).
    assert set(LABEL_VALENCE) == set(LABELS)
    assert all(LABEL_VALENCE[label] < 0 for label in ("anger", "frustration", "sadness"))
