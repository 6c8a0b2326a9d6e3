"""What the channels post for a helpdesk's agents, from `agents/channels/texts.yaml`."""

from __future__ import annotations

from functools import cache
from importlib import resources

from agents.core.catalogue import Catalogue
from agents.core.lang import Lang


@cache
def catalogue() -> Catalogue:
    raw = resources.files("agents.channels").joinpath("texts.yaml").read_text("utf-8")
    return Catalogue.from_yaml("agents/channels/texts.yaml", raw)


def say(key: str, lang: Lang, **values: object) -> str:
    """The text `key` in `lang`, its `{placeholders}` filled in from `values`."""
    return catalogue().text(key, lang, **values)
