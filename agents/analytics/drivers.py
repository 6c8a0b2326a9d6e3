"""The driver taxonomy (`drivers.yaml`): which drivers a message mentions.

Matching is plain and explainable: lower case, accents and curly apostrophes removed, a
phrase matches where a word starts. A manager can read why a message counts for a driver
by finding the phrase in it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from agents.core.lang import Lang


@dataclass(frozen=True)
class Driver:
    name: str
    label: dict[str, str]
    pattern: re.Pattern[str]

    def title(self, lang: Lang) -> str:
        return self.label.get(lang, self.name)


def fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.split())


def _pattern(phrases: list[str]) -> re.Pattern[str]:
    alternatives = sorted(
        {fold(p) + (" " if p.endswith(" ") else "") for p in phrases}, key=len, reverse=True
    )
    body = "|".join(re.escape(phrase) for phrase in alternatives if phrase.strip())
    return re.compile(rf"(?<![a-z0-9])(?:{body})")


class DriverTaxonomy:
    """Drivers with their compiled phrases, in the order of the file."""

    def __init__(self, drivers: list[Driver]) -> None:
        if not drivers:
            raise ValueError("the driver taxonomy is empty")
        self.drivers = drivers
        self.by_name = {driver.name: driver for driver in drivers}

    @classmethod
    def from_yaml(cls, text: str, where: str = "drivers.yaml") -> DriverTaxonomy:
        raw = yaml.safe_load(text) or {}
        drivers = []
        for name, spec in (raw.get("drivers") or {}).items():
            phrases = spec.get("phrases") or {}
            label = spec.get("label") or {}
            if set(label) != {"fr", "en"}:
                raise ValueError(f"{where}: driver {name!r} needs a label in fr and en")
            words = [str(p) for lang in ("fr", "en") for p in phrases.get(lang) or []]
            if not words:
                raise ValueError(f"{where}: driver {name!r} has no phrase")
            drivers.append(
                Driver(str(name), {k: str(v) for k, v in label.items()}, _pattern(words))
            )
        return cls(drivers)

    @classmethod
    def load(cls, path: Path | None = None) -> DriverTaxonomy:
        if path is not None:
            return cls.from_yaml(path.read_text("utf-8"), str(path))
        return packaged_taxonomy()

    def drivers_of(self, text: str) -> list[str]:
        """Names of the drivers `text` mentions, in taxonomy order."""
        folded = fold(text) + " "
        return [driver.name for driver in self.drivers if driver.pattern.search(folded)]

    def title(self, name: str, lang: Lang) -> str:
        driver = self.by_name.get(name)
        return driver.title(lang) if driver else name


@cache
def packaged_taxonomy() -> DriverTaxonomy:
    raw = resources.files("agents.analytics").joinpath("drivers.yaml").read_text("utf-8")
    return DriverTaxonomy.from_yaml(raw, "agents/analytics/drivers.yaml")
