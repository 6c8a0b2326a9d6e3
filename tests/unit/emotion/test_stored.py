"""Readings read back from the CRM store's plain rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.emotion.trajectory import conversation_kpis
from tools.crm.models import EmotionReadingRow
from tools.crm.readings import flags_of, reading_of

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def row(
    index: int, label: str, valence: float, flags: list[str], **extra: object
) -> EmotionReadingRow:
    values: dict[str, object] = {
        "id": index,
        "message_id": index,
        "conversation_id": "CV-1",
        "label": label,
        "scores": {},
        "valence": valence,
        "intensity": abs(valence),
        "effort": 0.5,
        "urgency": 0.4,
        "flags": flags,
        "evidence": [],
        "source": "fast",
        "created_at": START + timedelta(minutes=30 * index),
    }
    values.update(extra)
    return EmotionReadingRow(**values)


def test_stored_flag_names_map_onto_the_four_flags() -> None:
    flags = flags_of(["bereavement", "repeated_contact", "legal_threat"])
    assert flags.raised() == ["legal_threat", "vulnerable_situation"]


def test_a_row_without_scores_gets_a_one_hot_distribution() -> None:
    reading = reading_of(row(1, "anger", -0.8, ["asks_for_human"], evidence=["inadmissible"]))
    assert reading.label == "anger"
    assert reading.scores["anger"] == 1.0
    assert sum(reading.scores.values()) == 1.0
    assert reading.flags.asks_for_human
    assert [span.text for span in reading.evidence] == ["inadmissible"]


def test_stored_rows_give_the_conversation_kpis() -> None:
    rows = [
        row(0, "frustration", -0.4, []),
        row(1, "anger", -0.8, []),
        row(2, "satisfaction", 0.5, []),
    ]
    kpis = conversation_kpis([(r.created_at, reading_of(r)) for r in rows])
    assert kpis.end_valence == 0.5
    assert kpis.lowest_valence == -0.8
    assert kpis.recovery.recovered
    assert kpis.recovery.messages == 1
    assert kpis.recovery.minutes == 30
