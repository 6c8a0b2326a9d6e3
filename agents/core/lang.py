"""The two languages Ressenti works in, end to end."""

from __future__ import annotations

from typing import Literal, TypeGuard

Lang = Literal["fr", "en"]
"""A language of the product: French first, English too."""

LANGS: tuple[Lang, ...] = ("fr", "en")


def is_lang(value: object) -> TypeGuard[Lang]:
    """Whether `value` is one of the product's languages."""
    return value in LANGS


def lang_or(value: object, default: Lang = "fr") -> Lang:
    """`value` when it is a product language (`"fr"`, `"en"`), else `default`."""
    return value if is_lang(value) else default
