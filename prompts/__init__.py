"""Prompt templates, French and English, kept as data in `prompts/templates/*.yaml`.

Each template names its placeholders. Values injected into a template are untrusted (a
customer's message, a CRM field) and always go inside the delimiting tags the template
writes; `render` escapes `<`, `>` and `&` in them so that no value can close a tag early
or open a new one and pass itself off as an instruction.
"""

from __future__ import annotations

import html
import string
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from agents.core.lang import LANGS, Lang


class PromptError(ValueError):
    """A template is missing, malformed, or was rendered with the wrong placeholders."""


@dataclass(frozen=True)
class PromptTemplate:
    """One named prompt: a system and a user part per language."""

    name: str
    placeholders: frozenset[str]
    system: dict[str, str]
    user: dict[str, str]

    def render(self, lang: Lang, /, **values: str) -> list[BaseMessage]:
        missing = self.placeholders - values.keys()
        extra = values.keys() - self.placeholders
        if missing or extra:
            raise PromptError(
                f"prompt '{self.name}': missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        safe = {key: html.escape(str(value), quote=False) for key, value in values.items()}
        return [
            SystemMessage(string.Template(self.system[lang]).substitute(safe)),
            HumanMessage(string.Template(self.user[lang]).substitute(safe)),
        ]


def _placeholders(text: str) -> set[str]:
    return {
        named or braced
        for _, named, braced, _ in string.Template.pattern.findall(text)
        if named or braced
    }


@cache
def load(name: str) -> PromptTemplate:
    """The template `prompts/templates/<name>.yaml`, checked for both languages."""
    try:
        raw = resources.files("prompts").joinpath("templates", f"{name}.yaml").read_text("utf-8")
    except FileNotFoundError as exc:
        raise PromptError(f"no prompt template named '{name}'") from exc
    data = yaml.safe_load(raw)
    declared = frozenset(data.get("placeholders", []))
    template = PromptTemplate(name, declared, dict(data["system"]), dict(data["user"]))
    for lang in LANGS:
        for part in (template.system, template.user):
            if lang not in part:
                raise PromptError(f"prompt '{name}' has no '{lang}' text")
            used = _placeholders(part[lang])
            if not used <= declared:
                raise PromptError(
                    f"prompt '{name}' ({lang}) uses undeclared {sorted(used - declared)}"
                )
    return template


def _raw(name: str) -> str:
    return resources.files("prompts").joinpath("templates", f"{name}.yaml").read_text("utf-8")


@cache
def snippets(name: str) -> dict[Lang, dict[str, str]]:
    """A snippet file (`kind: snippets`): short texts per language and key, such as tones."""
    data = yaml.safe_load(_raw(name))
    if data.get("kind") != "snippets" or any(lang not in data for lang in LANGS):
        raise PromptError(f"'{name}' is not a bilingual snippet file")
    return {lang: dict(data[lang]) for lang in LANGS}


def available() -> list[str]:
    """Names of every chat-prompt template shipped in `prompts/templates`."""
    folder = resources.files("prompts").joinpath("templates")
    names = sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )
    return [name for name in names if "kind: snippets" not in _raw(name)]
