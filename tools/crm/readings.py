"""How an `EmotionReading` is kept in the `emotion_readings` table, and read back.

The one mapping between the reading type (agents/core/emotion.py) and its row: the writer
stores a reading with `row_values`, every read goes through `reading_of`. The app's own
readings come back whole. Rows seeded or imported from elsewhere are plainer (flags under
other names, scores for some labels only, evidence as bare texts, a label outside the
taxonomy); `reading_of` reads them as the nearest valid reading.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from agents.core.emotion import LABELS, EmotionFlags, EmotionReading, EvidenceSpan
from agents.core.lang import lang_or
from tools.crm.models import EmotionReadingRow
from tools.crm.views import StoredReading

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
"""Flag names found in stored or imported readings, mapped onto the reading's four flags."""

_SOURCES = ("fast", "deep", "fused")
_READING_COLUMNS = (
    "label", "scores", "valence", "intensity", "effort", "urgency", "flags", "evidence", "source"
)  # fmt: skip


def row_values(
    reading: EmotionReading,
    *,
    message_id: int | str,
    conversation_id: str,
    customer_id: str,
    created_at: datetime,
) -> dict[str, Any]:
    """The columns of the `emotion_readings` row that keeps `reading` (JSON-ready values)."""
    return {
        "message_id": message_id,
        "conversation_id": conversation_id,
        "customer_id": customer_id,
        "label": reading.label,
        "scores": dict(reading.scores),
        "valence": reading.valence,
        "intensity": reading.intensity,
        "effort": reading.effort,
        "urgency": reading.urgency,
        "flags": reading.flags.raised(),
        "evidence": {
            "spans": [span.model_dump() for span in reading.evidence],
            "lang": reading.lang,
            "trigger": reading.trigger,
            "rationale": reading.rationale,
        },
        "source": reading.source,
        "created_at": created_at,
    }


def flags_of(names: list[str]) -> EmotionFlags:
    """The flags named in a row (aliases understood, unknown names left out)."""
    return EmotionFlags(**{FLAG_ALIASES[name]: True for name in names if name in FLAG_ALIASES})


def _loaded(value: Any) -> Any:
    """A JSON column's value (some drivers give it back as text)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _spans(evidence: list[Any]) -> list[EvidenceSpan]:
    return [
        EvidenceSpan(start=0, end=len(piece), text=piece, signal="stored")
        if isinstance(piece, str)
        else EvidenceSpan.model_validate(piece)
        for piece in evidence
        if piece
    ]


def reading_of(row: EmotionReadingRow | Mapping[str, Any]) -> EmotionReading:
    """The reading kept in a row: an `EmotionReadingRow` or a mapping of its columns.

    Scores that do not make a valid distribution for the label (some labels only, or
    none) give way to the reading's default (everything on its label); an unknown label
    reads as neutral, an unknown source as fast.
    """
    values = row if isinstance(row, Mapping) else {c: getattr(row, c) for c in _READING_COLUMNS}
    stored = _loaded(values.get("scores")) or {}
    flags: list[str] = _loaded(values.get("flags")) or []
    evidence = _loaded(values.get("evidence")) or []
    details: dict[str, Any] = evidence if isinstance(evidence, dict) else {"spans": evidence}
    source = values.get("source")
    fields = {
        "label": values["label"] if values["label"] in LABELS else "neutral",
        "valence": values["valence"],
        "intensity": values["intensity"],
        "effort": values.get("effort") or 0.0,
        "urgency": values.get("urgency") or 0.0,
        "flags": flags_of(flags),
        "evidence": _spans(details.get("spans") or []),
        "lang": lang_or(details.get("lang")),
        "source": source if source in _SOURCES else "fast",
        "trigger": details.get("trigger"),
        "rationale": details.get("rationale"),
    }
    try:
        scores = {name: float(stored.get(name, 0.0)) for name in LABELS}
        return EmotionReading.model_validate({**fields, "scores": scores})
    except ValidationError:
        return EmotionReading.model_validate(fields)


def stored_reading(row: EmotionReadingRow) -> StoredReading:
    """A row as the reading it keeps, with the message it reads."""
    return StoredReading(
        id=row.id,
        message_id=row.message_id,
        conversation_id=row.conversation_id,
        created_at=row.created_at,
        reading=reading_of(row),
    )
