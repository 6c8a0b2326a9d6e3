"""What each driver does to conversations, and the KPIs of any grouping (stage, segment, …).

A driver's impact compares the conversations that mention it with those that do not: the
difference of mean end valence, of mean effort, and of escalation rate, each with a 95%
confidence interval from the normal approximation (Welch's standard error for means,
the unpooled one for proportions). With fewer than two conversations on a side there is
no interval (None).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean, median

Z95 = 1.959964
"""The two-sided 95% quantile of the standard normal distribution."""


@dataclass(frozen=True)
class ConversationFigures:
    """What impact and KPIs read of one analysed conversation."""

    key: str
    end_valence: float
    lowest_valence: float
    mean_effort: float
    escalated: bool
    recovery_minutes: float | None
    drivers: frozenset[str]
    stage: str
    segment: str
    channel: str
    lang: str

    @property
    def negative(self) -> bool:
        """At least one customer message was negative."""
        return self.lowest_valence < 0


@dataclass(frozen=True)
class Difference:
    """`with − without`, and the half-width of its 95% interval (None: too few)."""

    value: float
    margin: float | None

    def text(self, digits: int = 2, scale: float = 1.0, unit: str = "") -> str:
        value = f"{self.value * scale:+.{digits}f}{unit}"
        if self.margin is None:
            return value
        return f"{value} (±{self.margin * scale:.{digits}f}{unit})"


@dataclass(frozen=True)
class DriverImpact:
    driver: str
    conversations: int
    share: float
    """Of all conversations."""
    negative_share: float
    """Of the conversations with a negative message: how many mention the driver."""
    positive_share: float
    """Of the conversations without any negative message."""
    end_valence: float
    """Mean end valence of the conversations that mention it."""
    end_valence_diff: Difference
    effort_diff: Difference
    escalation_diff: Difference


@dataclass(frozen=True)
class GroupKPIs:
    group: str
    conversations: int
    end_valence: float
    negative_share: float
    effort: float
    escalation_rate: float
    recovery_minutes: float | None
    """Median over conversations that recovered from a dip."""


def _variance(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = fmean(values)
    return sum((v - mean) ** 2 for v in values) / (len(values) - 1)


def mean_difference(with_: Sequence[float], without: Sequence[float]) -> Difference:
    """Difference of means with Welch's 95% margin (None when a side has under two)."""
    if not with_ or not without:
        return Difference(fmean(with_) if with_ else 0.0, None)
    value = fmean(with_) - fmean(without)
    if len(with_) < 2 or len(without) < 2:
        return Difference(value, None)
    se = math.sqrt(_variance(with_) / len(with_) + _variance(without) / len(without))
    return Difference(value, Z95 * se)


def proportion_difference(with_: Sequence[bool], without: Sequence[bool]) -> Difference:
    """Difference of rates with the unpooled normal 95% margin."""
    if not with_ or not without:
        return Difference(fmean(map(float, with_)) if with_ else 0.0, None)
    p1 = sum(with_) / len(with_)
    p2 = sum(without) / len(without)
    if len(with_) < 2 or len(without) < 2:
        return Difference(p1 - p2, None)
    se = math.sqrt(p1 * (1 - p1) / len(with_) + p2 * (1 - p2) / len(without))
    return Difference(p1 - p2, Z95 * se)


def driver_impacts(
    conversations: Sequence[ConversationFigures], drivers: Iterable[str]
) -> list[DriverImpact]:
    """Every driver mentioned at least once, most frequent among negative conversations first."""
    total = len(conversations)
    negatives = sum(c.negative for c in conversations)
    positives = total - negatives
    impacts = []
    for driver in drivers:
        mention = [c for c in conversations if driver in c.drivers]
        if not mention:
            continue
        rest = [c for c in conversations if driver not in c.drivers]
        impacts.append(
            DriverImpact(
                driver=driver,
                conversations=len(mention),
                share=len(mention) / total,
                negative_share=(sum(c.negative for c in mention) / negatives) if negatives else 0.0,
                positive_share=(
                    (sum(not c.negative for c in mention) / positives) if positives else 0.0
                ),
                end_valence=fmean(c.end_valence for c in mention),
                end_valence_diff=mean_difference(
                    [c.end_valence for c in mention], [c.end_valence for c in rest]
                ),
                effort_diff=mean_difference(
                    [c.mean_effort for c in mention], [c.mean_effort for c in rest]
                ),
                escalation_diff=proportion_difference(
                    [c.escalated for c in mention], [c.escalated for c in rest]
                ),
            )
        )
    return sorted(impacts, key=lambda i: (-i.negative_share, -i.conversations, i.driver))


def group_kpis(
    conversations: Sequence[ConversationFigures], key: Callable[[ConversationFigures], str]
) -> list[GroupKPIs]:
    """KPIs per group (stage, segment, channel, language), groups by name."""
    groups: dict[str, list[ConversationFigures]] = {}
    for conversation in conversations:
        groups.setdefault(key(conversation), []).append(conversation)
    result = []
    for name in sorted(groups):
        members = groups[name]
        recoveries = [c.recovery_minutes for c in members if c.recovery_minutes is not None]
        result.append(
            GroupKPIs(
                group=name,
                conversations=len(members),
                end_valence=fmean(c.end_valence for c in members),
                negative_share=sum(c.negative for c in members) / len(members),
                effort=fmean(c.mean_effort for c in members),
                escalation_rate=sum(c.escalated for c in members) / len(members),
                recovery_minutes=median(recoveries) if recoveries else None,
            )
        )
    return result
