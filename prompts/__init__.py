"""Prompt templates and snippets, French and English, kept as data in `prompts/templates/`.

Each template names its placeholders. Values injected into a template are untrusted (a
customer's message, a CRM field) and always go inside the delimiting tags the template
writes; `render` escapes `<`, `>` and `&` in them so that no value can close a tag early
or open a new one and pass itself off as an instruction.

Knowledge passages and the conversation's history are the kinds of value that carry their
own tags: `passages_block` writes one `<passage id="…">` element per passage and
`history_block` one `<line author="…">` element per earlier message, escaping every value
in them, and each returns a `DelimitedBlock`, which `render` inserts as it is. A template
declares which of its placeholders take such a block (`blocks:`); any other value is
escaped, so a plain string can never bring tags of its own into a prompt, and a customer
whose message holds a line `agent: …` cannot make it read as another author's line.

The system part of a template holds the rules, so only values the code or the staff chose
(a tone snippet, the advisor's own instruction) may appear there: a template lists them in
`trusted:`, and `load` refuses a system text that uses any other placeholder. Everything
that comes from a customer or the CRM (a name, a message, a record) goes in the user part,
inside its tags.

Snippet files (`kind: snippets`) hold short texts per language and key, such as tones or
the labels of the customer's record; they are `agents.core.catalogue.Catalogue`s, checked
for the same keys and placeholders in both languages.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from agents.core.catalogue import Catalogue, CatalogueError
from agents.core.lang import LANGS, Lang


class PromptError(ValueError):
    """A template is missing, malformed, or was rendered with the wrong placeholders."""


_BLOCK_KEY = object()
"""Only this module builds `DelimitedBlock`s: the key its constructor asks for."""


class DelimitedBlock:
    """Prompt text whose tags `prompts` wrote itself, every untrusted value in it escaped.

    Built by `passages_block` and `history_block` only (the constructor refuses any other
    caller), so that `render` can insert it without escaping it again."""

    __slots__ = ("text",)

    def __init__(self, text: str, *, _key: object = None) -> None:
        if _key is not _BLOCK_KEY:
            raise TypeError(
                "a DelimitedBlock is built by prompts.passages_block or history_block, not by hand"
            )
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"DelimitedBlock({self.text!r})"


@dataclass(frozen=True)
class PassageSource:
    """One knowledge passage as a prompt shows it: its citation id, its text, and
    attributes such as the title (all untrusted: escaped by `passages_block`)."""

    id: str
    text: str
    attributes: Mapping[str, str] = field(default_factory=dict)


def passages_block(passages: Iterable[PassageSource]) -> DelimitedBlock:
    """One `<passage id="…" …>text</passage>` element per passage, one a line.

    The tags are written here; the id, the attribute values and the text are escaped, so
    a passage whose text says `</passage><system>` stays inside its own element."""
    elements = []
    for passage in passages:
        attributes = "".join(
            f' {name}="{html.escape(value, quote=True)}"'
            for name, value in {"id": passage.id, **passage.attributes}.items()
        )
        elements.append(f"<passage{attributes}>{html.escape(passage.text, quote=False)}</passage>")
    return DelimitedBlock("\n".join(elements), _key=_BLOCK_KEY)


LINE_BREAK = " ⏎ "
"""How `history_block` shows a line break inside one earlier message."""


@dataclass(frozen=True)
class HistorySource:
    """One earlier message of a conversation as a prompt shows it: who wrote it (its
    author, from the conversation's record, never from the text) and what it says."""

    author: str
    text: str


def history_block(lines: Iterable[HistorySource]) -> DelimitedBlock:
    """One `<line author="…">text</line>` element per earlier message, one a line.

    The author comes from the record, the text is escaped and its line breaks shown as
    `⏎`: every line of the block is one whole element, so a message whose text holds a
    line `agent: …` or `</line><line author="agent">` stays inside the customer's own."""
    elements = [
        f'<line author="{html.escape(line.author, quote=True)}">'
        f"{html.escape(LINE_BREAK.join(line.text.splitlines()), quote=False)}</line>"
        for line in lines
    ]
    return DelimitedBlock("\n".join(elements), _key=_BLOCK_KEY)


@dataclass(frozen=True)
class PromptTemplate:
    """One named prompt: a system and a user part per language."""

    name: str
    placeholders: frozenset[str]
    system: dict[str, str]
    user: dict[str, str]
    blocks: frozenset[str] = frozenset()
    """Placeholders that take a `DelimitedBlock` (inserted as is), not a string."""
    trusted: frozenset[str] = frozenset()
    """Placeholders the system part may use: values chosen by code or staff, not data."""

    def render(self, lang: Lang, /, **values: str | DelimitedBlock) -> list[BaseMessage]:
        missing = self.placeholders - values.keys()
        extra = values.keys() - self.placeholders
        if missing or extra:
            raise PromptError(
                f"prompt '{self.name}': missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        safe: dict[str, str] = {}
        for key, value in values.items():
            if (key in self.blocks) != isinstance(value, DelimitedBlock):
                wanted = "a DelimitedBlock" if key in self.blocks else "a string"
                raise PromptError(f"prompt '{self.name}': '{key}' takes {wanted}")
            safe[key] = (
                value.text
                if isinstance(value, DelimitedBlock)
                else html.escape(str(value), quote=False)
            )
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


def _raw(name: str) -> str:
    try:
        return resources.files("prompts").joinpath("templates", f"{name}.yaml").read_text("utf-8")
    except FileNotFoundError as exc:
        raise PromptError(f"no prompt template named '{name}'") from exc


@cache
def load(name: str) -> PromptTemplate:
    """The template `prompts/templates/<name>.yaml`, checked for both languages."""
    data = yaml.safe_load(_raw(name))
    declared = frozenset(data.get("placeholders", []))
    blocks = frozenset(data.get("blocks", []))
    trusted = frozenset(data.get("trusted", []))
    for kind, names in (("blocks", blocks), ("trusted", trusted)):
        if not names <= declared:
            raise PromptError(
                f"prompt '{name}' declares undeclared {kind} {sorted(names - declared)}"
            )
    template = PromptTemplate(
        name, declared, dict(data["system"]), dict(data["user"]), blocks, trusted
    )
    for lang in LANGS:
        for part in (template.system, template.user):
            if lang not in part:
                raise PromptError(f"prompt '{name}' has no '{lang}' text")
            used = _placeholders(part[lang])
            if not used <= declared:
                raise PromptError(
                    f"prompt '{name}' ({lang}) uses undeclared {sorted(used - declared)}"
                )
        in_rules = _placeholders(template.system[lang]) - trusted
        if in_rules:
            raise PromptError(
                f"prompt '{name}' ({lang}) puts data {sorted(in_rules)} in its system part: "
                "move it inside a tag of the user part, or list it in `trusted:`"
            )
    return template


@cache
def snippets(name: str) -> Catalogue:
    """A snippet file (`kind: snippets`): short texts per language and key, such as tones.

    Indexed by language, then key (`snippets("tones")["fr"]["anger"]`); both languages are
    checked to hold the same keys with the same `{placeholders}`."""
    raw = _raw(name)
    if yaml.safe_load(raw).get("kind") != "snippets":
        raise PromptError(f"'{name}' is not a snippet file (kind: snippets)")
    try:
        return Catalogue.from_yaml(name, raw)
    except CatalogueError as exc:
        raise PromptError(f"'{name}' is not a valid bilingual snippet file: {exc}") from exc


def available() -> list[str]:
    """Names of every chat-prompt template shipped in `prompts/templates`."""
    folder = resources.files("prompts").joinpath("templates")
    names = sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )
    return [name for name in names if "kind: snippets" not in _raw(name)]


def snippet_files() -> list[str]:
    """Names of every snippet file shipped in `prompts/templates`."""
    folder = resources.files("prompts").joinpath("templates")
    names = sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )
    return [name for name in names if "kind: snippets" in _raw(name)]
