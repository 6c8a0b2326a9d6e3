from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from agents.core.emotion import LABELS, EmotionFlags, EmotionReading, EvidenceSpan, band_of
from tools.crm.models import EmotionReadingRow
from tools.crm.readings import reading_of, row_values

from .conftest import make_reading


def test_a_complete_reading_validates_and_keeps_every_label() -> None:
    reading = make_reading("anger", top=0.55, valence=-0.8, intensity=0.9)
    assert list(reading.scores) == list(LABELS)
    assert reading.intensity_band == "high"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scores": {"anger": 1.0}}, "scores miss labels"),
        ({"scores": dict.fromkeys(LABELS, 0.5)}, "sum to 1"),
        ({"label": "satisfaction"}, "not the highest score"),
        ({"valence": -1.5}, "greater than or equal to -1"),
        ({"intensity": 1.2}, "less than or equal to 1"),
        ({"effort": -0.1}, "greater than or equal to 0"),
        ({"label": "rage"}, "Input should be"),
    ],
)
def test_invalid_readings_are_refused(change: dict[str, object], message: str) -> None:
    fields = make_reading("anger").model_dump()
    fields.update(change)
    with pytest.raises(ValidationError, match=message):
        EmotionReading(**fields)


def test_an_evidence_span_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="ends before"):
        EvidenceSpan(start=5, end=2, text="x", signal="legal_threat")


@pytest.mark.parametrize(
    ("value", "band"), [(0.0, "low"), (0.33, "low"), (0.34, "medium"), (0.7, "high")]
)
def test_bands(value: float, band: str) -> None:
    assert band_of(value) == band


def test_record_round_trip_keeps_everything_with_the_store_column_names() -> None:
    reading = make_reading(
        "frustration",
        valence=-0.5,
        effort=0.7,
        flags=EmotionFlags(threatens_to_leave=True),
        evidence=[EvidenceSpan(start=0, end=8, text="je résilie", signal="threatens_to_leave")],
        source="fused",
    ).model_copy(update={"trigger": "late order 1042", "rationale": "Threatens to cancel."})
    created = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    record = row_values(
        reading, message_id="m1", conversation_id="c1", customer_id="u1", created_at=created
    )
    assert set(record) == {
        "message_id",
        "conversation_id",
        "customer_id",
        "label",
        "scores",
        "valence",
        "intensity",
        "effort",
        "urgency",
        "flags",
        "evidence",
        "source",
        "created_at",
    }
    assert set(record) == {column.key for column in EmotionReadingRow.__table__.columns} - {"id"}
    assert record["source"] == "fused"
    assert record["flags"] == ["threatens_to_leave"]
    assert reading_of(record) == reading
    # JSON columns read back as text (e.g. from SQLite) load the same reading
    as_text = {
        key: json.dumps(value) if key in ("scores", "flags", "evidence") else value
        for key, value in record.items()
    }
    assert reading_of(as_text) == reading


def test_a_reading_needs_only_its_label_valence_and_intensity() -> None:
    reading = EmotionReading(label="anger", valence=-0.8, intensity=0.9)
    assert reading.scores == {label: 1.0 if label == "anger" else 0.0 for label in LABELS}
    assert (reading.effort, reading.urgency, reading.flags.raised()) == (0.0, 0.0, [])
    assert EmotionReading(label="anger", valence=-0.8, intensity=0.9, flags={"legal_threat": True})
    with pytest.raises(ValidationError, match="scores miss labels"):
        EmotionReading(label="anger", valence=-0.8, intensity=0.9, scores={})


def test_flags_list_what_is_raised() -> None:
    assert EmotionFlags(legal_threat=True, asks_for_human=True).raised() == [
        "asks_for_human",
        "legal_threat",
    ]
