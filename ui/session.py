"""The signed-in account, checked by every callback (a hidden tab is not a permission)."""

from __future__ import annotations

import gradio as gr

from agents.core.lang import Lang
from agents.services.accounts import Account, Tab
from ui.i18n import t


def require(account: Account | None, tab: Tab, lang: Lang) -> Account:
    if account is None or not account.may_open(tab):
        raise gr.Error(t("not_allowed", lang))
    return account
