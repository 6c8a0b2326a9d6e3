"""The `tried` notes of a turn, in the conversation's language, from `agents/support/notes.yaml`."""

from __future__ import annotations

from functools import cache
from importlib import resources

from agents.core.catalogue import Catalogue
from agents.core.lang import Lang


@cache
def catalogue() -> Catalogue:
    raw = resources.files("agents.support").joinpath("notes.yaml").read_text("utf-8")
    return Catalogue.from_yaml("agents/support/notes.yaml", raw)


def note(key: str, lang: Lang, **values: object) -> str:
    """The note `key` in `lang`, its `{placeholders}` filled in from `values`."""
    return catalogue().text(key, lang, **values)
