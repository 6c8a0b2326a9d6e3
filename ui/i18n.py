"""The app's labels in French and English, and the language switch's choices.

The labels are data, `ui/texts.yaml`, loaded and checked once (same keys in both
languages, same `{placeholders}`): `t(key, lang, **values)` looks one up and fills it in.
The language is the app's own switch (`language_name` of each language), not the
browser's locale: the server renders HTML fragments, figures and messages per session in
the language chosen there (docs/architecture.md, "Texts").
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from agents.core.catalogue import Catalogue
from agents.core.lang import LANGS, Lang


@cache
def catalogue() -> Catalogue:
    """Every label of the app (`ui/texts.yaml`), checked once."""
    raw = resources.files("ui").joinpath("texts.yaml").read_text("utf-8")
    return Catalogue.from_yaml("ui/texts.yaml", raw)


def t(key: str, lang: Lang, **values: object) -> str:
    """The label `key` in `lang`, its `{placeholders}` filled in from `values`."""
    return catalogue().text(key, lang, **values)


LANGUAGES = [t("language_name", lang) for lang in LANGS]
"""The language switch's choices, each language named in itself (`Français`, `English`)."""


def lang_of(choice: str | None) -> Lang:
    """The language of a switch choice (French unless English was chosen)."""
    return "en" if choice == t("language_name", "en") else "fr"


EMOTION_COLOURS: dict[str, str] = {
    "anger": "#d64545",
    "frustration": "#e8833a",
    "anxiety": "#c9a227",
    "sadness": "#5b7db8",
    "confusion": "#8a6fbf",
    "neutral": "#8c959f",
    "satisfaction": "#3f9d5a",
}


def emotion_name(label: str, lang: Lang) -> str:
    return catalogue().text_or(f"emotion.{label}", lang, label)


def finding_name(kind: str, lang: Lang) -> str:
    return catalogue().text_or(f"finding.{kind}", lang, kind)


def rule_name(rule: str, lang: Lang) -> str:
    return catalogue().text_or(f"rule.{rule}", lang, rule)


def target_emotion_name(label: str, lang: Lang) -> str:
    return catalogue().text_or(f"target.{label}", lang, label)
