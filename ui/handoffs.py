"""The handoff queue: conversations a human owns now, each with its handoff package."""

from __future__ import annotations

from typing import Any

import gradio as gr

from agents.services.accounts import Account
from agents.services.workspace import Workspace
from ui import render
from ui.i18n import lang_of, t
from ui.labels import Labeller
from ui.session import require


def build_handoffs(
    ws: Workspace, labels: Labeller, account: gr.State, language: gr.Radio
) -> tuple[gr.Tab, gr.HTML]:
    with labels.label(
        gr.Tab(t("tab_handoffs", "fr"), visible=False, id="handoffs"), "tab_handoffs"
    ) as tab:
        refresh = labels.value(gr.Button(t("refresh", "fr"), size="sm"), "refresh")
        cards = gr.HTML(elem_id="handoff-cards")

    def show(who: Account | None, choice: str) -> Any:
        lang = lang_of(choice)
        if who is None or not who.may_open("handoffs"):
            return gr.skip()
        return render.handoff_cards(ws.inbox.handoffs(), lang)

    def show_checked(who: Account | None, choice: str) -> str:
        lang = lang_of(choice)
        require(who, "handoffs", lang)
        return render.handoff_cards(ws.inbox.handoffs(), lang)

    refresh.click(show_checked, [account, language], cards, api_name=False)
    tab.select(show, [account, language], cards, api_name=False)
    language.change(show, [account, language], cards, api_name=False)
    return tab, cards
