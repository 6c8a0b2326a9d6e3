"""Shared fixtures of the emotion-layer unit tests."""

from __future__ import annotations

import pytest

from agents.core.emotion import LABELS, EmotionFlags, EmotionLabel, EmotionReading, EvidenceSpan
from agents.emotion.fast import FastReader


@pytest.fixture(scope="session")
def fast_reader() -> FastReader:
    """The shipped artefact over the packaged USE embedder (loaded once per session)."""
    return FastReader()


def make_reading(
    label: EmotionLabel = "neutral",
    *,
    top: float = 0.7,
    valence: float = 0.0,
    intensity: float = 0.2,
    effort: float = 0.0,
    urgency: float = 0.0,
    flags: EmotionFlags | None = None,
    evidence: list[EvidenceSpan] | None = None,
    source: str = "fast",
) -> EmotionReading:
    rest = (1 - top) / (len(LABELS) - 1)
    return EmotionReading(
        label=label,
        scores={name: top if name == label else rest for name in LABELS},
        valence=valence,
        intensity=intensity,
        effort=effort,
        urgency=urgency,
        flags=flags or EmotionFlags(),
        evidence=evidence or [],
        source=source,  # type: ignore[arg-type]
    )
