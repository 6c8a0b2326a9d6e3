"""Alerts before it is too late (`alerts.yaml`): jumps of negative share or effort.

Pure counting over the customer messages in time order: windows of fixed length, one
counter per (window, driver) and (window, segment), so memory grows with windows × keys,
not with messages. The thresholds are data; see `alerts.yaml` for what they mean.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class AlertRules:
    window_minutes: int
    baseline_windows: int
    min_messages: int
    min_baseline_messages: int
    negative_ratio: float
    negative_min_increase: float
    effort_increase: float
    kinds: tuple[str, ...]
    examples: int

    @classmethod
    def from_yaml(cls, text: str) -> AlertRules:
        raw: dict[str, Any] = yaml.safe_load(text)
        return cls(
            window_minutes=int(raw["window_minutes"]),
            baseline_windows=int(raw["baseline_windows"]),
            min_messages=int(raw["min_messages"]),
            min_baseline_messages=int(raw["min_baseline_messages"]),
            negative_ratio=float(raw["negative_share"]["ratio"]),
            negative_min_increase=float(raw["negative_share"]["min_increase"]),
            effort_increase=float(raw["effort"]["increase"]),
            kinds=tuple(raw.get("kinds") or ("driver", "segment")),
            examples=int(raw.get("examples", 3)),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> AlertRules:
        if path is not None:
            return cls.from_yaml(path.read_text("utf-8"))
        return packaged_rules()


@cache
def packaged_rules() -> AlertRules:
    return AlertRules.from_yaml(
        resources.files("agents.analytics").joinpath("alerts.yaml").read_text("utf-8")
    )


@dataclass(frozen=True)
class Observation:
    """One read customer message, as the alert counters see it."""

    sent_at: datetime
    negative: bool
    effort: float
    drivers: tuple[str, ...]
    segment: str
    text: str


@dataclass
class _Cell:
    messages: int = 0
    negatives: int = 0
    effort: float = 0.0
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Alert:
    kind: str
    key: str
    metric: str
    window_start: datetime
    window_end: datetime
    baseline: float
    value: float
    messages: int
    examples: list[str]


def find_alerts(observations: Iterable[Observation], rules: AlertRules) -> list[Alert]:
    """Every window where a driver's or segment's negative share or effort jumped."""
    width = timedelta(minutes=rules.window_minutes)
    origin: datetime | None = None
    totals: dict[int, int] = defaultdict(int)
    cells: dict[tuple[str, str], dict[int, _Cell]] = defaultdict(dict)
    for item in observations:
        if origin is None:
            origin = item.sent_at
        window = int((item.sent_at - origin) / width)
        totals[window] += 1
        groups: list[tuple[str, str]] = []
        if "driver" in rules.kinds:
            groups += [("driver", d) for d in item.drivers]
        if "segment" in rules.kinds:
            groups.append(("segment", item.segment))
        for group in groups:
            cell = cells[group].setdefault(window, _Cell())
            cell.messages += 1
            cell.negatives += item.negative
            cell.effort += item.effort
            if item.negative and len(cell.examples) < rules.examples:
                cell.examples.append(item.text[:300])
    if origin is None:
        return []
    alerts = []
    for (kind, key), windows in sorted(cells.items()):
        for window in sorted(windows):
            cell = windows[window]
            if cell.messages < rules.min_messages:
                continue
            before = range(max(0, window - rules.baseline_windows), window)
            base_total = sum(totals.get(w, 0) for w in before)
            if base_total < rules.min_baseline_messages:
                continue
            base_cells = [windows[w] for w in before if w in windows]
            base_messages = sum(c.messages for c in base_cells)
            base_negatives = sum(c.negatives for c in base_cells)
            start = origin + window * width
            found: list[tuple[str, float, float]] = []
            # negative share
            if kind == "driver":
                value = cell.negatives / totals[window]
                baseline = base_negatives / base_total
            else:
                value = cell.negatives / cell.messages
                baseline = base_negatives / base_messages if base_messages else 0.0
            if (
                value >= rules.negative_ratio * baseline
                and value - baseline >= rules.negative_min_increase
            ):
                found.append(("negative_share", baseline, value))
            # effort
            effort = cell.effort / cell.messages
            base_effort = (
                sum(c.effort for c in base_cells) / base_messages if base_messages else 0.0
            )
            if base_messages and effort - base_effort >= rules.effort_increase:
                found.append(("effort", base_effort, effort))
            for metric, baseline_value, current in found:
                alerts.append(
                    Alert(
                        kind=kind,
                        key=key,
                        metric=metric,
                        window_start=start,
                        window_end=start + width,
                        baseline=round(baseline_value, 4),
                        value=round(current, 4),
                        messages=cell.messages,
                        examples=list(cell.examples),
                    )
                )
    return alerts
