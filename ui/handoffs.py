"""The handoff queue: conversations a human owns now, each with its handoff package."""

from __future__ import annotations

from typing import Any

import gradio as gr

from agents.services.accounts import Account
from agents.services.workspace import Workspace
from ui import render
from ui.i18n import lang_of, t
from ui.labels import Labeller
from ui.session import Guard


def build_handoffs(
    ws: Workspace, labels: Labeller, guard: Guard, language: gr.Radio
) -> tuple[gr.Tab, gr.HTML]:
    with labels.label(
        gr.Tab(t("tab_handoffs", "fr"), visible=False, id="handoffs"), "tab_handoffs"
    ) as tab:
        refresh = labels.value(gr.Button(t("refresh", "fr"), size="sm"), "refresh")
        cards = gr.HTML(elem_id="handoff-cards")

    @guard.only("handoffs", quiet=True)
    def show(who: Account | None, choice: str) -> Any:
        if who is None:
            return gr.skip()
        return render.handoff_cards(ws.inbox.handoffs(), lang_of(choice))

    @guard.only("handoffs")
    def show_checked(who: Account, choice: str) -> str:
        return render.handoff_cards(ws.inbox.handoffs(), lang_of(choice))

    refresh.click(show_checked, [language], cards, api_name=False)
    tab.select(show, [language], cards, api_name=False)
    language.change(show, [language], cards, api_name=False)
    return tab, cards
