"""Bilingual text catalogues: every short text a person or the model reads, kept as data.

A catalogue is a YAML file with one mapping per language (`fr:`, `en:`), each from a key to
a text; a text may name `{placeholders}` that `text(key, lang, **values)` fills in. The file
is checked once, when it is loaded: both languages hold the same keys, and each key names
the same placeholders in both, so a missing translation or a misspelt placeholder is an
error at start-up, not a `KeyError` in front of a user.

The UI's labels (`ui/texts.yaml`), the command line's (`agents/cli/texts.yaml`) and the
prompts' snippet files (`prompts/templates/*.yaml`, `kind: snippets`) are all read this way.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agents.core.lang import LANGS, Lang


class CatalogueError(ValueError):
    """A catalogue file is malformed, or its languages disagree (keys or placeholders)."""


def placeholders(text: str) -> frozenset[str]:
    """The `{names}` a text fills in (`{{` and `}}` are literal braces, not placeholders)."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError as exc:
        raise CatalogueError(f"malformed braces in {text!r}: {exc}") from exc
    return frozenset(field.split(".")[0].split("[")[0] for field in fields)


@dataclass(frozen=True)
class Catalogue:
    """The texts of one catalogue file, per language and key, checked at load."""

    name: str
    texts: Mapping[Lang, Mapping[str, str]]

    def __post_init__(self) -> None:
        missing_langs = [lang for lang in LANGS if lang not in self.texts]
        if missing_langs:
            raise CatalogueError(f"catalogue '{self.name}' has no {missing_langs} section")
        reference_lang, *others = LANGS
        reference = self.texts[reference_lang]
        for lang in others:
            table = self.texts[lang]
            only_here = sorted(table.keys() - reference.keys())
            only_there = sorted(reference.keys() - table.keys())
            if only_here or only_there:
                raise CatalogueError(
                    f"catalogue '{self.name}': keys only in '{lang}': {only_here}, "
                    f"only in '{reference_lang}': {only_there}"
                )
        for key, text in reference.items():
            expected = placeholders(text)
            for lang in others:
                found = placeholders(self.texts[lang][key])
                if found != expected:
                    raise CatalogueError(
                        f"catalogue '{self.name}', key '{key}': placeholders "
                        f"{sorted(expected)} in '{reference_lang}' but {sorted(found)} in '{lang}'"
                    )

    @classmethod
    def from_yaml(cls, name: str, raw: str) -> Catalogue:
        """A catalogue from the text of its YAML file (`fr:` and `en:` mappings of strings)."""
        data: Any = yaml.safe_load(raw)
        if not isinstance(data, dict):
            raise CatalogueError(f"catalogue '{name}' is not a mapping")
        texts: dict[Lang, dict[str, str]] = {}
        for lang in LANGS:
            table = data.get(lang)
            if not isinstance(table, dict):
                raise CatalogueError(f"catalogue '{name}' has no '{lang}' mapping")
            odd_keys = sorted(repr(key) for key in table if not isinstance(key, str))
            if odd_keys:  # YAML reads a bare `yes`, `no` or `1` as a boolean or a number
                raise CatalogueError(
                    f"catalogue '{name}' ({lang}): keys {odd_keys} are not strings (quote them)"
                )
            bad = sorted(key for key, text in table.items() if not isinstance(text, str))
            if bad:
                raise CatalogueError(f"catalogue '{name}' ({lang}): not a text: {bad}")
            texts[lang] = dict(table)
        return cls(name, texts)

    @classmethod
    def from_file(cls, path: Path) -> Catalogue:
        return cls.from_yaml(path.name, path.read_text(encoding="utf-8"))

    def __getitem__(self, lang: Lang) -> Mapping[str, str]:
        """Every text of one language, by key (raw: placeholders not filled in)."""
        return self.texts[lang]

    def keys(self) -> frozenset[str]:
        return frozenset(self.texts[LANGS[0]])

    def text(self, key: str, lang: Lang, /, **values: object) -> str:
        """The text of `key` in `lang`, with its placeholders filled in from `values`."""
        try:
            text = self.texts[lang][key]
        except KeyError as exc:
            raise CatalogueError(f"catalogue '{self.name}' has no key '{key}'") from exc
        return text.format(**values) if values else text

    def text_or(self, key: str, lang: Lang, default: str) -> str:
        """The text of `key` in `lang`, or `default` when the catalogue has no such key
        (names of codes that may be extended, such as a new emotion label)."""
        return self.texts[lang].get(key, default)
