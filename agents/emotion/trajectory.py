"""A conversation's emotional trajectory and its KPIs, as pure functions.

Input: the readings of the customer's messages with their timestamps. Output: what a
supervisor or a dashboard reads about the conversation: how it ended (the customer's
feeling at the end predicts loyalty), how bad it got, which way it was going, how long it
took to recover from its worst moment, and how the customer's effort evolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from agents.core.emotion import EmotionReading

Trend = Literal["improving", "worsening", "stable"]
TimedReading = tuple[datetime, EmotionReading]

STABLE_SLOPE = 0.05
"""|valence slope per message| below which a trend is called stable."""


@dataclass(frozen=True)
class Recovery:
    """Sentiment recovery from the most negative message back to the threshold.

    `dipped` is false when no message fell below the threshold (nothing to recover from);
    `messages` and `minutes` are set only when the conversation did recover.
    """

    dipped: bool
    recovered: bool
    threshold: float
    low_index: int | None = None
    recovery_index: int | None = None
    messages: int | None = None
    minutes: float | None = None


@dataclass(frozen=True)
class TrajectoryKPIs:
    """The KPIs of one conversation."""

    messages: int
    start_valence: float
    end_valence: float
    lowest_valence: float
    peak_intensity: float
    peak_intensity_index: int
    valence_slope: float
    """Least-squares valence change per message."""
    trend: Trend
    recovery: Recovery
    effort: list[float]
    """Effort of each message, in order."""
    effort_slope: float
    """Least-squares effort change per message."""
    max_effort: float
    flags: list[str]
    """Every flag raised at least once, sorted."""


def ordered(points: Sequence[TimedReading]) -> list[TimedReading]:
    """The readings by time (stable for equal timestamps)."""
    return sorted(points, key=lambda point: point[0])


def slope(values: Sequence[float]) -> float:
    """Least-squares slope of `values` against their index (0 for fewer than two)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    numerator = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(values))
    denominator = sum((i - mean_x) ** 2 for i in range(n))
    return numerator / denominator


def trend_of(valence_slope: float, stable: float = STABLE_SLOPE) -> Trend:
    if valence_slope > stable:
        return "improving"
    if valence_slope < -stable:
        return "worsening"
    return "stable"


def sentiment_recovery(points: Sequence[TimedReading], threshold: float = 0.0) -> Recovery:
    """Messages and minutes from the most negative message until valence is back ≥ threshold.

    The most negative message is the first one with the lowest valence; recovery is the
    first later message whose valence reaches the threshold.
    """
    timeline = ordered(points)
    if not timeline:
        raise ValueError("a trajectory needs at least one reading")
    valences = [reading.valence for _, reading in timeline]
    low = min(range(len(valences)), key=lambda i: (valences[i], i))
    if valences[low] >= threshold:
        return Recovery(dipped=False, recovered=True, threshold=threshold)
    for index in range(low + 1, len(timeline)):
        if valences[index] >= threshold:
            elapsed = timeline[index][0] - timeline[low][0]
            return Recovery(
                dipped=True,
                recovered=True,
                threshold=threshold,
                low_index=low,
                recovery_index=index,
                messages=index - low,
                minutes=elapsed.total_seconds() / 60,
            )
    return Recovery(dipped=True, recovered=False, threshold=threshold, low_index=low)


def conversation_kpis(
    points: Sequence[TimedReading], *, recovery_valence: float = 0.0
) -> TrajectoryKPIs:
    """Every KPI of one conversation's readings."""
    timeline = ordered(points)
    if not timeline:
        raise ValueError("a trajectory needs at least one reading")
    readings = [reading for _, reading in timeline]
    valences = [reading.valence for reading in readings]
    intensities = [reading.intensity for reading in readings]
    efforts = [reading.effort for reading in readings]
    peak = max(range(len(intensities)), key=lambda i: (intensities[i], -i))
    valence_slope = slope(valences)
    flags = sorted({flag for reading in readings for flag in reading.flags.raised()})
    return TrajectoryKPIs(
        messages=len(readings),
        start_valence=valences[0],
        end_valence=valences[-1],
        lowest_valence=min(valences),
        peak_intensity=intensities[peak],
        peak_intensity_index=peak,
        valence_slope=valence_slope,
        trend=trend_of(valence_slope),
        recovery=sentiment_recovery(timeline, recovery_valence),
        effort=efforts,
        effort_slope=slope(efforts),
        max_effort=max(efforts),
        flags=flags,
    )
