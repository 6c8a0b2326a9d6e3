"""The human queue: conversations a person owns or should take, and what that person does
with one until it is finished.

A conversation is here when the rules handed it off, a draft was rejected or taken over,
its turn failed, or a person is answering it. The view shows its transcript, the
customer's card, why it is here (the rules that fired, with the values they saw) and the
handoff package; the person takes it (the assignee is shown to every colleague), writes a
reply (checked like a draft, sent through the outbox to the conversation's channel), asks
the copilot for a draft, resolves the conversation or gives it back to the copilot. Every
refusal of the service (someone else took it, it moved meanwhile) is said in the page's
language, never as an error badge.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from agents.core.lang import Lang
from agents.services.accounts import Account
from agents.services.inbox import HumanItem
from agents.services.workspace import Workspace
from agents.support.intake import MAX_MESSAGE_CHARS
from agents.support.service import (
    AlreadyAssignedError,
    AlreadyDecidedError,
    ConversationStateError,
    DraftCheckError,
    NothingPendingError,
)
from tools.crm.errors import CRMError
from ui import render
from ui.i18n import catalogue, lang_of, t
from ui.labels import Labeller
from ui.session import Guard

QUEUE_REFRESH_S = 20.0
FOLLOW_POLL_S = 0.3
FOLLOW_MAX_S = 900.0
RUNNING = ("queued", "running", "decided")


@dataclass
class HandoffsTab:
    tab: gr.Tab
    queue: gr.Radio


def build_handoffs(
    ws: Workspace,
    labels: Labeller,
    guard: Guard,
    language: gr.Radio,
    model_group: dict[str, Any],
) -> HandoffsTab:
    with (
        labels.label(
            gr.Tab(t("tab_handoffs", "fr"), visible=False, id="handoffs"), "tab_handoffs"
        ) as tab,
        gr.Row(equal_height=False),
    ):
        with gr.Column(scale=2, min_width=320):
            queue = labels.label(
                gr.Radio(choices=[], label=t("human_queue", "fr"), elem_id="human-queue"),
                "human_queue",
            )
            refresh = labels.value(gr.Button(t("refresh", "fr"), size="sm"), "refresh")
        # Two columns: the conversation and the reply on the left; why it is here, what
        # to do with it and the feedback on the right, all on one 1366×768 screen.
        with gr.Column(scale=6):
            head = gr.Markdown(t("no_selection", "fr"), elem_id="handoff-head")
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=360):
                    transcript = gr.HTML(elem_id="handoff-transcript")
                    reply = labels.label(
                        gr.Textbox(
                            label=t("human_reply", "fr"),
                            info=t("length_limit", "fr", n=MAX_MESSAGE_CHARS),
                            lines=4,
                            max_lines=12,
                            max_length=MAX_MESSAGE_CHARS,
                            elem_id="human-reply",
                        ),
                        "human_reply",
                    )
                    with gr.Row(equal_height=True):
                        override = labels.label(
                            gr.Textbox(
                                label=t("reply_override", "fr"), scale=3, elem_id="reply-override"
                            ),
                            "reply_override",
                        )
                        send = labels.value(
                            gr.Button(
                                t("send_reply", "fr"),
                                variant="primary",
                                scale=1,
                                elem_id="send-reply",
                            ),
                            "send_reply",
                        )
                with gr.Column(scale=2, min_width=300):
                    package = gr.HTML(elem_id="handoff-package")
                    with gr.Row():
                        take = labels.value(gr.Button(t("take", "fr"), elem_id="take"), "take")
                        ask = labels.value(
                            gr.Button(t("request_draft", "fr"), elem_id="request-draft"),
                            "request_draft",
                        )
                    with gr.Row():
                        resolve = labels.value(
                            gr.Button(t("resolve", "fr"), elem_id="resolve"), "resolve"
                        )
                        give_back = labels.value(
                            gr.Button(t("give_back", "fr"), elem_id="give-back"), "give_back"
                        )
                    # Feedback next to the buttons, where the eye is after a click.
                    status = gr.Markdown(elem_id="handoff-status")
                    with labels.label(gr.Accordion(t("crm_card", "fr"), open=False), "crm_card"):
                        card = gr.HTML(elem_id="handoff-card")
        timer = gr.Timer(QUEUE_REFRESH_S)

    buttons = [send, take, ask, resolve, give_back]
    detail = [head, transcript, package, card]
    outputs = [status, queue, *detail, *buttons, reply]

    # --- renderers -----------------------------------------------------------------------
    def entries() -> list[HumanItem]:
        return ws.inbox.human_queue()

    def queue_update(lang: Lang, selected: str | None, found: list[HumanItem]) -> Any:
        choices = [(render.human_label(e, lang), e.conversation_id) for e in found]
        if selected and selected not in {e.conversation_id for e in found}:
            # The open conversation left the queue (resolved, given back, a draft asked
            # for waits): it stays open here, with its state, until another is picked.
            try:
                state, _ = ws.support.conversation_state(selected)
                choices.append((f"{selected} · {t(f'state_{state}', lang)}", selected))
            except CRMError:
                selected = None
        return gr.update(
            choices=choices,
            value=selected,
            # Always a text: an info left unset keeps the last one, however wrong.
            info=t("human_queue_info" if found else "human_queue_empty", lang),
        )

    def detail_of(conversation_id: str | None, lang: Lang, found: list[HumanItem]) -> list[Any]:
        if not conversation_id:
            return [t("no_selection", lang), "", "", ""]
        try:
            d = ws.inbox.detail(conversation_id)
        except CRMError:
            return [t("no_selection", lang), "", "", ""]
        entry = next((e for e in found if e.conversation_id == conversation_id), None)
        delivery = ws.inbox.last_delivery(conversation_id)
        head = render.header(d, lang)
        if delivery is not None:
            head += "\n\n" + t(f"delivery_{delivery.status}", lang, channel=delivery.channel)
        package = (
            render.package_html(entry.item.package, entry.why, entry.item.reason, lang)
            if entry
            else f'<div class="handoff">{t(f"state_{d.state}", lang)}</div>'
        )
        return [head, render.transcript(d, lang), package, render.customer_card(d.customer, lang)]

    # Every event of the tab answers [status, queue, *detail, *buttons, reply].
    keep = gr.skip()

    def view(lang: Lang, selected: str | None, note: str = "", reply_text: Any = keep) -> list[Any]:
        found = entries()
        return [
            note,
            queue_update(lang, selected, found),
            *detail_of(selected, lang, found),
            *[gr.update(interactive=True)] * len(buttons),
            reply_text,
        ]

    def busy(note: str) -> list[Any]:
        """Feedback while the service works; the buttons wait (a second click does nothing)."""
        return [
            note,
            keep,
            *[keep] * len(detail),
            *[gr.update(interactive=False)] * len(buttons),
            keep,
        ]

    def said(note: str) -> list[Any]:
        """Only the feedback line changes (the rest is left as the person sees it)."""
        return [note, keep, *[keep] * len(detail), *[keep] * len(buttons), keep]

    # --- callbacks -----------------------------------------------------------------------
    @guard.only("handoffs", quiet=True)
    def show(who: Account | None, choice: str, selected: str | None) -> list[Any]:
        if who is None:
            return [keep] * len(outputs)
        return view(lang_of(choice), selected)

    @guard.only("handoffs")
    def refresh_view(who: Account, choice: str, selected: str | None) -> list[Any]:
        return view(lang_of(choice), selected)

    @guard.only("handoffs", quiet=True, automatic=True)
    def tick(who: Account | None, choice: str, selected: str | None) -> Any:
        if who is None:
            return keep
        return queue_update(lang_of(choice), selected, entries())

    def refusal(exc: Exception, lang: Lang) -> str:
        if isinstance(exc, AlreadyAssignedError):
            return "⚠ " + t("already_assigned", lang, who=exc.assignee)
        if isinstance(exc, AlreadyDecidedError):
            return "⚠ " + t("already_decided", lang, who=exc.reviewer, at=f"{exc.at:%H:%M:%S}")
        if isinstance(exc, NothingPendingError):
            return "⚠ " + t("nothing_pending", lang)
        if isinstance(exc, ConversationStateError):
            state = catalogue().text_or(f"state_{exc.state}", lang, exc.state)
            return "⚠ " + t("state_moved", lang, state=state)
        return "⚠ " + t("try_again", lang)

    def action(name: str) -> Any:
        @guard.only("handoffs")
        def act(who: Account, choice: str, selected: str | None) -> list[Any]:
            lang = lang_of(choice)
            if not selected:
                return said("⚠ " + t("pick_a_conversation", lang))
            try:
                if name == "take":
                    ws.support.take(selected, who.email)
                elif name == "resolve":
                    ws.support.resolve(selected, who.email)
                else:
                    ws.support.give_back(selected, who.email)
            except CRMError as exc:
                return view(lang, selected, refusal(exc, lang))
            return view(lang, selected, "✓ " + t(f"done_{name}", lang, who=who.display_name))

        act.__name__ = name
        return act

    @guard.only("handoffs")
    def send_reply(
        who: Account, choice: str, selected: str | None, text: str, reason: str
    ) -> Iterator[list[Any]]:
        """A person's own reply: checked like a draft, then out through the outbox."""
        lang = lang_of(choice)
        text = (text or "").strip()
        if not selected:
            yield said("⚠ " + t("pick_a_conversation", lang))
            return
        if not text:
            yield said("⚠ " + t("reply_empty", lang))
            return
        if len(text) > MAX_MESSAGE_CHARS:
            yield said("⚠ " + t("too_long", lang, n=len(text), limit=MAX_MESSAGE_CHARS))
            return
        yield busy("*" + t("reply_sending", lang) + "*")
        try:
            ws.support.reply_as_human(
                selected, text, who.email, override_reason=(reason or "").strip() or None
            )
        except DraftCheckError as exc:
            problems = render.findings(exc.findings, lang)
            yield view(lang, selected, "⚠ " + t("reply_blocked", lang) + "\n\n" + problems)
            return
        except CRMError as exc:
            yield view(lang, selected, refusal(exc, lang))
            return
        yield view(lang, selected, "✓ " + t("reply_queued", lang), reply_text="")

    @guard.only("handoffs")
    def request_draft(who: Account, choice: str, selected: str | None) -> Iterator[list[Any]]:
        """The copilot drafts a reply for the person who owns the conversation (recorded
        as requested by them); the draft lands in the reply box, to edit and send."""
        lang = lang_of(choice)
        if not selected:
            yield said("⚠ " + t("pick_a_conversation", lang))
            return
        try:
            ws.support.request_draft(selected, who.email)
        except CRMError as exc:
            yield view(lang, selected, refusal(exc, lang))
            return
        yield busy("*" + t("stage_queued", lang) + "*")
        deadline = time.monotonic() + FOLLOW_MAX_S
        shown: tuple[str, str | None] | None = None
        while time.monotonic() < deadline:
            turn = ws.support.turn_in_progress(selected)
            if turn is None or turn.status not in RUNNING:
                break
            now = (turn.status, turn.stage)
            if now != shown:
                shown = now
                stage = "stage_queued" if turn.stage is None else f"stage_{turn.stage}"
                yield busy("*" + t(stage, lang) + "*")
            time.sleep(FOLLOW_POLL_S)
        waiting = ws.support.pending_for(selected)
        if waiting is None:
            yield view(lang, selected, "⚠ " + t("draft_not_ready", lang))
            return
        findings = render.findings(waiting.request.findings, lang)
        note = "✓ " + t("draft_in_reply_box", lang) + "\n\n" + findings
        yield view(lang, selected, note, reply_text=waiting.request.draft)

    refresh.click(refresh_view, [language, queue], outputs, api_name=False)
    queue.input(refresh_view, [language, queue], outputs, api_name=False)
    tab.select(show, [language, queue], outputs, api_name=False)
    language.change(show, [language, queue], outputs, api_name=False)
    timer.tick(tick, [language, queue], queue, api_name=False)
    for button, name in ((take, "take"), (resolve, "resolve"), (give_back, "give_back")):
        button.click(action(name), [language, queue], outputs, api_name=False)
    send.click(send_reply, [language, queue, reply, override], outputs, api_name=False)
    # Drafting waits on the model: it runs in the model group.
    ask.click(request_draft, [language, queue], outputs, api_name=False, **model_group)
    return HandoffsTab(tab=tab, queue=queue)
