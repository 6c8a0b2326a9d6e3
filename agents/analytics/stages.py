"""Journey stages (`stages.yaml`): the customer's stage when a message was sent, from the CRM."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from agents.core.lang import Lang
from tools.crm.analysis import CustomerJourney

CONDITIONS = frozenset(
    {
        "contract_status",
        "delivery_status",
        "order_placed_within_days",
        "delivered_within_days",
        "invoice_issued_within_days",
        "invoice_status",
        "customer_since_days",
    }
)


@dataclass(frozen=True)
class StageRule:
    stage: str
    conditions: dict[str, Any]

    def holds(self, journey: CustomerJourney, at: datetime) -> bool:
        c = self.conditions
        day = at.date()
        if "contract_status" in c and not set(journey.contract_statuses) & set(
            c["contract_status"]
        ):
            return False
        if "delivery_status" in c or "order_placed_within_days" in c:
            statuses = set(c.get("delivery_status") or [])
            window = c.get("order_placed_within_days")
            if not any(
                placed <= at
                and (window is None or at - placed <= timedelta(days=window))
                and (not statuses or statuses & set(deliveries))
                for placed, deliveries in journey.orders
            ):
                return False
        if "delivered_within_days" in c and not any(
            0 <= (day - delivered).days <= c["delivered_within_days"]
            for delivered in journey.deliveries_on
        ):
            return False
        if "invoice_issued_within_days" in c or "invoice_status" in c:
            statuses = set(c.get("invoice_status") or [])
            window = c.get("invoice_issued_within_days")
            if not any(
                (window is None or 0 <= (day - issued).days <= window)
                and (not statuses or status in statuses)
                for issued, status in journey.invoices
            ):
                return False
        if "customer_since_days" not in c:
            return True
        since = at - journey.created_at
        return timedelta(0) <= since <= timedelta(days=c["customer_since_days"])


@dataclass(frozen=True)
class StageRules:
    rules: list[StageRule]
    default: str
    unknown: str
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, text: str, where: str = "stages.yaml") -> StageRules:
        raw = yaml.safe_load(text) or {}
        rules = []
        for index, spec in enumerate(raw.get("rules") or [], start=1):
            spec = dict(spec)
            stage = spec.pop("stage", None)
            if not stage:
                raise ValueError(f"{where}: rule {index} has no stage")
            unknown = set(spec) - CONDITIONS
            if unknown:
                raise ValueError(
                    f"{where}: rule {index} has unknown condition(s) {sorted(unknown)}"
                )
            rules.append(StageRule(str(stage), spec))
        labels = {str(k): dict(v) for k, v in (raw.get("labels") or {}).items()}
        stages = {rule.stage for rule in rules} | {raw["default"], raw["unknown"]}
        missing = sorted(stages - set(labels))
        if missing:
            raise ValueError(f"{where}: stage(s) {missing} have no label")
        return cls(rules, str(raw["default"]), str(raw["unknown"]), labels)

    @classmethod
    def load(cls, path: Path | None = None) -> StageRules:
        if path is not None:
            return cls.from_yaml(path.read_text("utf-8"), str(path))
        return packaged_rules()

    def stage_of(self, journey: CustomerJourney | None, at: datetime) -> str:
        if journey is None:
            return self.unknown
        for rule in self.rules:
            if rule.holds(journey, at):
                return rule.stage
        return self.default

    def title(self, stage: str, lang: Lang) -> str:
        return self.labels.get(stage, {}).get(lang, stage)


class JourneyCache:
    """CRM journeys by customer reference, the most recent `size` kept (bounded memory)."""

    def __init__(self, lookup: Callable[[str], CustomerJourney | None], size: int = 4096) -> None:
        self._lookup = lookup
        self._size = size
        self._cache: OrderedDict[str, CustomerJourney | None] = OrderedDict()

    def get(self, ref: str | None) -> CustomerJourney | None:
        if ref is None:
            return None
        if ref in self._cache:
            self._cache.move_to_end(ref)
            return self._cache[ref]
        journey = self._lookup(ref)
        self._cache[ref] = journey
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return journey


@cache
def packaged_rules() -> StageRules:
    raw = resources.files("agents.analytics").joinpath("stages.yaml").read_text("utf-8")
    return StageRules.from_yaml(raw, "agents/analytics/stages.yaml")
