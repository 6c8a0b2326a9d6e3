"""The checkpoint allow-list covers the state's types, wherever they live now."""

from __future__ import annotations

from agents.core.emotion import EmotionFlags, EmotionReading, EvidenceSpan
from agents.support.policy import TurnSignals
from agents.support.service import STATE_TYPES
from tools.checkpoints import serializer


def test_a_checkpoint_rebuilds_the_reading_and_the_signals() -> None:
    reading = EmotionReading(
        label="anger",
        valence=-0.7,
        intensity=0.8,
        flags=EmotionFlags(legal_threat=True),
        evidence=[EvidenceSpan(start=0, end=6, text="avocat", signal="legal_threat")],
    )
    state = {
        "reading": reading,
        "signals": TurnSignals(intensity=0.8, legal_threat=True, sensitive_topics=["legal"]),
    }
    checkpoints = serializer(STATE_TYPES)
    restored = checkpoints.loads_typed(checkpoints.dumps_typed(state))
    assert restored == state
    assert isinstance(restored["reading"], EmotionReading)
    assert isinstance(restored["signals"], TurnSignals)
