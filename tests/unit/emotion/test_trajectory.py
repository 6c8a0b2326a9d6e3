from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.core.emotion import EmotionFlags
from agents.emotion.trajectory import conversation_kpis, sentiment_recovery, slope, trend_of

from .conftest import make_reading

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def timeline(valences: list[float], minutes: list[float], **extra: list[float]) -> list:
    points = []
    for i, (valence, minute) in enumerate(zip(valences, minutes, strict=True)):
        reading = make_reading(
            "neutral",
            valence=valence,
            intensity=extra.get("intensity", [0.2] * len(valences))[i],
            effort=extra.get("effort", [0.0] * len(valences))[i],
        )
        points.append((START + timedelta(minutes=minute), reading))
    return points


def test_recovery_in_messages_and_minutes() -> None:
    points = timeline([-0.2, -0.8, -0.5, 0.1, 0.4], [0, 3, 10, 18, 25])
    recovery = sentiment_recovery(points, threshold=0.0)
    assert recovery.dipped
    assert recovery.recovered
    assert recovery.low_index == 1
    assert recovery.recovery_index == 3
    assert recovery.messages == 2
    assert recovery.minutes == pytest.approx(15.0)


def test_recovery_threshold_is_configurable() -> None:
    points = timeline([-0.8, -0.3, 0.2], [0, 5, 12])
    assert sentiment_recovery(points, threshold=-0.4).messages == 1
    assert sentiment_recovery(points, threshold=0.0).minutes == pytest.approx(12.0)


def test_no_recovery_and_no_dip() -> None:
    never = sentiment_recovery(timeline([0.1, -0.9, -0.7], [0, 1, 2]))
    assert never.dipped
    assert not never.recovered
    assert never.messages is None
    assert never.minutes is None
    assert never.low_index == 1
    calm = sentiment_recovery(timeline([0.2, 0.5], [0, 1]))
    assert not calm.dipped
    assert calm.recovered
    assert calm.messages is None


def test_readings_are_ordered_by_time_before_measuring() -> None:
    shuffled = timeline([0.3, -0.9, -0.2], [20, 0, 10])  # in time order: -0.9, -0.2, 0.3
    recovery = sentiment_recovery(shuffled)
    assert recovery.messages == 2
    assert recovery.minutes == pytest.approx(20.0)


def test_conversation_kpis() -> None:
    points = timeline(
        [-0.6, -0.9, -0.4, 0.0, 0.5],
        [0, 2, 6, 9, 14],
        intensity=[0.6, 0.95, 0.5, 0.3, 0.4],
        effort=[0.7, 0.7, 0.4, 0.2, 0.0],
    )
    points[1] = (
        points[1][0],
        points[1][1].model_copy(update={"flags": EmotionFlags(legal_threat=True)}),
    )
    kpis = conversation_kpis(points)
    assert kpis.messages == 5
    assert kpis.start_valence == -0.6
    assert kpis.end_valence == 0.5
    assert kpis.lowest_valence == -0.9
    assert kpis.peak_intensity == 0.95
    assert kpis.peak_intensity_index == 1
    assert kpis.valence_slope == pytest.approx(0.31)
    assert kpis.trend == "improving"
    assert kpis.effort == [0.7, 0.7, 0.4, 0.2, 0.0]
    assert kpis.effort_slope < 0
    assert kpis.max_effort == 0.7
    assert kpis.flags == ["legal_threat"]
    assert kpis.recovery.messages == 2
    assert kpis.recovery.minutes == pytest.approx(7.0)


def test_worsening_and_stable_trends() -> None:
    assert conversation_kpis(timeline([0.3, 0.0, -0.5], [0, 1, 2])).trend == "worsening"
    assert conversation_kpis(timeline([0.1], [0])).trend == "stable"
    assert trend_of(0.01) == "stable"
    assert slope([1.0, 2.0, 3.0]) == pytest.approx(1.0)


def test_empty_trajectory_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        conversation_kpis([])
