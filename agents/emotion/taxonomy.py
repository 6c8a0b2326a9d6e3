"""Ressenti's customer-service emotion taxonomy and how GoEmotions' labels map onto it.

Contact-centre work needs fewer, more actionable labels than GoEmotions' 27 emotions:
a supervisor acts differently on *anger* (hostility, insults: de-escalate, maybe hand off),
*frustration* (the service let the customer down: fix and acknowledge), *anxiety* (worry
about money, access, a deadline: reassure), *sadness* (loss, hardship: empathy, maybe a
vulnerable-customer procedure), *confusion* (does not understand a bill or a step:
explain), *satisfaction* (thanks, relief: close well) and *neutral* (a plain request).

The mapping from GoEmotions' 28 labels (27 emotions + neutral), and why:
- anger ← anger, disgust. Both are hostile, other-directed reactions; in support text
  disgust ("c'est honteux", "disgraceful") reads as contempt for the company.
- frustration ← annoyance, disappointment, disapproval. The everyday complaint: the service
  did not do what was expected. The most frequent negative state in support queues.
- anxiety ← fear, nervousness. Worry about what will happen (a cut line, a missing parcel).
- sadness ← sadness, grief, remorse, embarrassment. Low-arousal negative states; grief
  marks bereavement, the typical vulnerable situation.
- confusion ← confusion, surprise. In support, surprise is mostly "I do not understand
  this charge"; GoEmotions' surprise is also partly positive, which costs some precision.
- satisfaction ← admiration, amusement, approval, caring, excitement, gratitude, joy, love,
  optimism, pride, relief. Every positive state: the reader only has to tell that the
  customer is content, not which nuance of content.
- neutral ← neutral, curiosity, desire, realization. Questions ("how do I…"), wishes
  ("I would like to…") and realisations are the vocabulary of plain requests.

A GoEmotions row can carry several labels; mapped labels are the union, so a row tagged
annoyance + disapproval becomes the single label frustration, and anger + sadness stays two.
"""

from __future__ import annotations

from agents.core.emotion import LABELS, EmotionLabel

# The labels themselves (`EmotionLabel`, `LABELS`) live with the reading type in
# agents/core/emotion.py; this module holds what the emotion layer knows about them.
NEGATIVE_LABELS: frozenset[str] = frozenset({"anger", "frustration", "anxiety", "sadness"})

LABEL_VALENCE: dict[str, float] = {
    "anger": -0.9,
    "frustration": -0.6,
    "anxiety": -0.5,
    "sadness": -0.7,
    "confusion": -0.2,
    "neutral": 0.0,
    "satisfaction": 0.8,
}
"""Typical valence of each label, used to turn label probabilities into a valence."""

LABEL_AROUSAL: dict[str, float] = {
    "anger": 0.9,
    "frustration": 0.6,
    "anxiety": 0.6,
    "sadness": 0.5,
    "confusion": 0.3,
    "neutral": 0.05,
    "satisfaction": 0.35,
}
"""Typical intensity (arousal) of each label, used for the intensity estimate."""

GOEMOTIONS_TO_TAXONOMY: dict[str, EmotionLabel] = {
    "anger": "anger",
    "disgust": "anger",
    "annoyance": "frustration",
    "disappointment": "frustration",
    "disapproval": "frustration",
    "fear": "anxiety",
    "nervousness": "anxiety",
    "sadness": "sadness",
    "grief": "sadness",
    "remorse": "sadness",
    "embarrassment": "sadness",
    "confusion": "confusion",
    "surprise": "confusion",
    "admiration": "satisfaction",
    "amusement": "satisfaction",
    "approval": "satisfaction",
    "caring": "satisfaction",
    "excitement": "satisfaction",
    "gratitude": "satisfaction",
    "joy": "satisfaction",
    "love": "satisfaction",
    "optimism": "satisfaction",
    "pride": "satisfaction",
    "relief": "satisfaction",
    "neutral": "neutral",
    "curiosity": "neutral",
    "desire": "neutral",
    "realization": "neutral",
}

EKMAN_LABELS: tuple[str, ...] = (
    "anger",
    "disgust",
    "fear",
    "joy",
    "neutral",
    "sadness",
    "surprise",
)
"""Ekman's six basic emotions plus neutral, in the order of GoEmotions' `ekman/labels.txt`."""


def map_goemotions(labels: list[str] | tuple[str, ...]) -> list[EmotionLabel]:
    """The taxonomy labels of a GoEmotions row, in taxonomy order, without duplicates."""
    unknown = [label for label in labels if label not in GOEMOTIONS_TO_TAXONOMY]
    if unknown:
        raise ValueError(f"not GoEmotions labels: {unknown}")
    mapped = {GOEMOTIONS_TO_TAXONOMY[label] for label in labels}
    return [label for label in LABELS if label in mapped]
