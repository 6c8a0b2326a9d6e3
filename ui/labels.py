"""Relabelling on a language switch: each component registers how it is labelled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from agents.core.lang import Lang
from ui.i18n import t

C = TypeVar("C", bound=gr.components.Component | gr.blocks.BlockContext)


class Labeller:
    def __init__(self) -> None:
        self._items: list[tuple[Any, Callable[[Lang], Any]]] = []

    def add(self, component: C, update: Callable[[Lang], Any]) -> C:
        self._items.append((component, update))
        return component

    def label(self, component: C, key: str, placeholder: str | None = None) -> C:
        def update(lang: Lang) -> Any:
            if placeholder:
                return gr.update(label=t(key, lang), placeholder=t(placeholder, lang))
            return gr.update(label=t(key, lang))

        self._items.append((component, update))
        return component

    def value(self, component: C, key: str) -> C:
        self._items.append((component, lambda lang: gr.update(value=t(key, lang))))
        return component

    @property
    def components(self) -> list[Any]:
        return [component for component, _ in self._items]

    def updates(self, lang: Lang) -> list[Any]:
        return [update(lang) for _, update in self._items]
