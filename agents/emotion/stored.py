"""Readings kept in the CRM store, read back as the emotion layer's own type.

The store keeps plain values (flags as a list of names, scores possibly empty for readings
imported from elsewhere); this module turns a conversation's rows into timed readings, so
its trajectory and KPIs can be computed from what was stored.
"""

from __future__ import annotations

from agents.emotion.schema import EmotionFlags, EmotionReading, EvidenceSpan
from agents.emotion.taxonomy import LABELS
from agents.emotion.trajectory import TimedReading
from tools.crm.scope import CustomerScope
from tools.crm.views import EmotionReadingView

FLAG_ALIASES: dict[str, str] = {
    "asks_for_human": "asks_for_human",
    "legal_threat": "legal_threat",
    "threatens_to_leave": "threatens_to_leave",
    "churn_threat": "threatens_to_leave",
    "vulnerable_situation": "vulnerable_situation",
    "vulnerable": "vulnerable_situation",
    "bereavement": "vulnerable_situation",
    "illness": "vulnerable_situation",
    "hardship": "vulnerable_situation",
}
"""Flag names found in stored or imported readings, mapped onto the layer's four flags."""


def flags_of(names: list[str]) -> EmotionFlags:
    return EmotionFlags(**{FLAG_ALIASES[name]: True for name in names if name in FLAG_ALIASES})


def reading_of(row: EmotionReadingView) -> EmotionReading:
    """A stored row as a reading; a row without a full score table gets a one-hot one."""
    label = row.label if row.label in LABELS else "neutral"
    scores = {name: float(row.scores.get(name, 0.0)) for name in LABELS}
    if abs(sum(scores.values()) - 1.0) > 0.02 or scores[label] < max(scores.values()):
        scores = {name: 1.0 if name == label else 0.0 for name in LABELS}
    return EmotionReading(
        label=label,
        scores=scores,
        valence=row.valence,
        intensity=row.intensity,
        effort=row.effort,
        urgency=row.urgency,
        flags=flags_of(row.flags),
        evidence=[
            EvidenceSpan(start=0, end=len(piece), text=piece, signal="stored")
            for piece in row.evidence
            if piece
        ],
        source=row.source if row.source in ("fast", "deep", "fused") else "fast",
    )


def conversation_trajectory(scope: CustomerScope, conversation_id: str) -> list[TimedReading]:
    """The conversation's stored readings in order (scoped: only the customer's own)."""
    rows = scope.conversation_readings(conversation_id)
    return sorted(((row.created_at, reading_of(row)) for row in rows), key=lambda p: p[0])
