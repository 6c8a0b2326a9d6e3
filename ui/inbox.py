"""The agent's inbox: the approval queue, one conversation in full, the decision buttons,
and a simulated channel to create work (a demo customer writes in).

A simulated message goes through the service's `Intake` like any channel's; a worker (the
app's embedded one, or `ressenti worker`) runs its turn, and the page follows the turn's
stage and draft as the worker records them. A decision names the draft the agent saw (its
interrupt): one that came too late is told who decided first."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import gradio as gr

from agents.core.lang import Lang
from agents.services.accounts import Account
from agents.services.workspace import Workspace
from agents.support.schemas import ApprovalDecision, TurnChannel
from agents.support.service import (
    AlreadyDecidedError,
    DraftCheckError,
    NothingPendingError,
)
from ui import plots, render
from ui.i18n import lang_of, t
from ui.labels import Labeller
from ui.session import Guard

CHANNELS = ["email", "chat", "social", "form", "phone"]
QUEUE_REFRESH_S = 20.0
"""How often an open inbox re-reads its queue (work arrives from other agents and channels)."""
FOLLOW_POLL_S = 0.3
"""How often the page re-reads a running turn's stage and draft."""
FOLLOW_MAX_S = 900.0
"""How long the page follows one turn before leaving it to the queue."""
RUNNING = ("queued", "running", "decided")


@dataclass
class InboxTab:
    tab: gr.Tab
    queue: gr.Radio
    customers: gr.Dropdown
    detail: list[Any]
    status: gr.Markdown


def build_inbox(
    ws: Workspace,
    labels: Labeller,
    guard: Guard,
    language: gr.Radio,
    model_group: dict[str, Any],
) -> InboxTab:
    """The inbox tab; `model_group` is the concurrency group of events that wait on the model."""
    with (
        labels.label(gr.Tab(t("tab_inbox", "fr"), visible=False, id="inbox"), "tab_inbox") as tab,
        gr.Row(equal_height=False),
    ):
        with gr.Column(scale=2, min_width=320):
            queue = labels.label(
                gr.Radio(choices=[], label=t("queue", "fr"), elem_id="queue"), "queue"
            )
            refresh = labels.value(gr.Button(t("refresh", "fr"), size="sm"), "refresh")
            with labels.label(gr.Accordion(t("simulate", "fr"), open=True), "simulate"):
                customers = labels.label(
                    gr.Dropdown(choices=[], label=t("customer", "fr"), elem_id="customer"),
                    "customer",
                )
                with gr.Row():
                    channel = labels.label(
                        gr.Dropdown(CHANNELS, value="email", label=t("channel", "fr")),
                        "channel",
                    )
                    subject = labels.label(
                        gr.Textbox(label=t("subject", "fr"), value="Demande", elem_id="subject"),
                        "subject",
                    )
                inbound = labels.label(
                    gr.Textbox(
                        label=t("message", "fr"),
                        placeholder=t("message_placeholder", "fr"),
                        lines=3,
                        elem_id="inbound",
                    ),
                    "message",
                    "message_placeholder",
                )
                send = labels.value(
                    gr.Button(t("send_inbound", "fr"), variant="secondary", elem_id="send-inbound"),
                    "send_inbound",
                )
        with gr.Column(scale=5):
            status = gr.Markdown(elem_id="inbox-status")
            head = gr.Markdown(t("no_selection", "fr"), elem_id="conversation-head")
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    transcript = gr.HTML(elem_id="transcript")
                    trajectory = labels.label(
                        gr.Plot(label=t("trajectory", "fr"), elem_id="trajectory"), "trajectory"
                    )
                with gr.Column(scale=2):
                    with labels.label(gr.Accordion(t("crm_card", "fr")), "crm_card"):
                        card = gr.HTML(elem_id="crm-card")
                    with labels.label(gr.Accordion(t("passages", "fr")), "passages"):
                        sources = gr.HTML(elem_id="passages")
            draft = labels.label(
                gr.Textbox(label=t("draft", "fr"), lines=7, elem_id="draft"), "draft"
            )
            checks = gr.Markdown(elem_id="findings")
            instruction = labels.label(
                gr.Textbox(
                    label=t("instruction", "fr"),
                    placeholder=t("instruction_placeholder", "fr"),
                    elem_id="instruction",
                ),
                "instruction",
                "instruction_placeholder",
            )
            with gr.Row():
                approve = labels.value(
                    gr.Button(t("approve", "fr"), variant="primary", elem_id="approve"),
                    "approve",
                )
                edit = labels.value(
                    gr.Button(t("edit_approve", "fr"), elem_id="edit-approve"), "edit_approve"
                )
                redraft = labels.value(gr.Button(t("redraft", "fr"), elem_id="redraft"), "redraft")
                reject = labels.value(
                    gr.Button(t("reject", "fr"), variant="stop", elem_id="reject"), "reject"
                )
                take_over = labels.value(
                    gr.Button(t("take_over", "fr"), elem_id="take-over"), "take_over"
                )
        # Inside the tab: a Tabs block must hold nothing but tabs.
        timer = gr.Timer(QUEUE_REFRESH_S)
        seen = gr.State(None)
        """The interrupt of the draft shown (a decision names what the agent saw)."""

    detail = [head, transcript, trajectory, card, sources, draft, checks, seen]

    # --- renderers -----------------------------------------------------------------------
    def queue_update(lang: Lang, selected: str | None = None) -> Any:
        items = ws.inbox.queue()
        choices = [(render.queue_label(item, lang), item.conversation_id) for item in items]
        ids = {item.conversation_id for item in items}
        return gr.update(
            choices=choices,
            value=selected if selected in ids else None,
            info=None if items else t("queue_empty", lang),
        )

    def empty_detail(lang: Lang) -> list[Any]:
        return [t("no_selection", lang), "", None, "", "", "", "", None]

    def detail_of(conversation_id: str | None, lang: Lang) -> list[Any]:
        if not conversation_id:
            return empty_detail(lang)
        d = ws.inbox.detail(conversation_id)
        request = d.request
        return [
            render.header(d, lang),
            render.transcript(d, lang),
            plots.trajectory(d.trajectory, lang) if d.trajectory else None,
            render.customer_card(d.customer, lang),
            render.passages(d.passages, request.citations if request else [], lang),
            request.draft if request else "",
            f"{render.draft_origin(request.draft_mode, lang)}\n\n"
            f"{render.findings(request.findings, lang)}"
            if request
            else "",
            d.interrupt_id,
        ]

    # --- callbacks -----------------------------------------------------------------------
    @guard.only("inbox")
    def refresh_queue(who: Account, choice: str, selected: str | None) -> list[Any]:
        lang = lang_of(choice)
        return [queue_update(lang, selected), *detail_of(selected, lang)]

    @guard.only("inbox")
    def select(who: Account, choice: str, selected: str | None) -> list[Any]:
        lang = lang_of(choice)
        return ["", *detail_of(selected, lang)]

    def outcome_text(conversation_id: str, lang: Lang) -> str:
        turn = ws.support.turn_in_progress(conversation_id)
        if turn is None or (turn.status in RUNNING and turn.outcome is None):
            state, _ = ws.support.conversation_state(conversation_id)
            key = "with_a_person" if state == "with_human" else "still_working"
        else:
            key = f"outcome_{turn.outcome}"
        return f"**{t(key, lang)}** ({conversation_id})"

    def followed(conversation_id: str, lang: Lang) -> Iterator[list[Any]]:
        """Yields [status, queue, *detail] while a worker runs the conversation's turn (its
        stage, the draft so far), then the view where the turn stopped."""
        deadline = time.monotonic() + FOLLOW_MAX_S
        shown: tuple[str, str | None, str] | None = None
        while time.monotonic() < deadline:
            turn = ws.support.turn_in_progress(conversation_id)
            if turn is None or turn.status not in RUNNING:
                break
            now = (turn.status, turn.stage, turn.draft_preview)
            if now != shown:
                shown = now
                view = [gr.skip()] * len(detail)
                view[5] = turn.draft_preview
                stage = "stage_queued" if turn.stage is None else f"stage_{turn.stage}"
                yield [f"*{t(stage, lang)}*", gr.skip(), *view]
            time.sleep(FOLLOW_POLL_S)
        turn = ws.support.turn_in_progress(conversation_id)
        waiting = turn is not None and turn.status == "awaiting_approval"
        yield [
            outcome_text(conversation_id, lang),
            queue_update(lang, conversation_id if waiting else None),
            *detail_of(conversation_id, lang),
        ]

    @guard.only("inbox")
    def submit_inbound(
        who: Account, choice: str, customer_id: str, chan: str, subj: str, text: str
    ) -> Iterator[list[Any]]:
        lang = lang_of(choice)
        if not (customer_id and text and text.strip()):
            raise gr.Error(t("need_text", lang))
        medium = cast(TurnChannel, chan if chan in CHANNELS else "email")
        yield [f"*{t('stage_queued', lang)}*", gr.skip(), *empty_detail(lang)]
        received = ws.inbox.simulate_inbound(customer_id, medium, subj or "—", text.strip())
        yield from followed(received.conversation_id, lang)

    def decide(action: str) -> Any:
        @guard.only("inbox")
        def run(
            who: Account,
            choice: str,
            selected: str | None,
            text: str,
            note: str,
            interrupt_id: str | None,
        ) -> Iterator[list[Any]]:
            lang = lang_of(choice)
            if not selected or not interrupt_id:
                raise gr.Error(t("no_selection", lang))
            try:
                decision = ApprovalDecision(
                    action=action,
                    text=text if action == "edit" else None,
                    instruction=note if action == "respond" else None,
                    reviewer=who.email,
                )
            except ValueError as exc:
                raise gr.Error(t("need_text", lang)) from exc
            try:
                ws.support.decide(selected, interrupt_id, decision, who.email)
            except AlreadyDecidedError as exc:
                at = f"{exc.at:%H:%M:%S}"
                raise gr.Error(t("already_decided", lang, who=exc.reviewer, at=at)) from exc
            except DraftCheckError as exc:
                problems = "; ".join(f.detail for f in exc.findings if f.blocking)
                raise gr.Error(t("edit_blocked", lang, problems=problems)) from exc
            except NothingPendingError as exc:
                raise gr.Error(t("nothing_pending", lang)) from exc
            yield from followed(selected, lang)

        return run

    @guard.only("inbox", quiet=True, automatic=True)
    def tick(who: Account | None, choice: str, selected: str | None) -> Any:
        """The queue alone, kept fresh for an inbox left open all day (the open
        conversation and a draft being edited are left alone)."""
        if who is None:
            return gr.skip()
        return queue_update(lang_of(choice), selected)

    timer.tick(tick, [language, queue], queue, api_name=False)
    view_outputs = [status, queue, *detail]
    refresh.click(refresh_queue, [language, queue], [queue, *detail], api_name=False)
    queue.input(select, [language, queue], [status, *detail], api_name=False)
    # Drafting waits on the model: it runs in the model group, never in the way of reads.
    send.click(
        submit_inbound,
        [language, customers, channel, subject, inbound],
        view_outputs,
        api_name=False,
        **model_group,
    )
    for button, action in [
        (approve, "accept"),
        (edit, "edit"),
        (redraft, "respond"),
        (reject, "reject"),
        (take_over, "take_over"),
    ]:
        button.click(
            decide(action),
            [language, queue, draft, instruction, seen],
            view_outputs,
            api_name=False,
            **(model_group if action == "respond" else {}),  # a redraft waits on the model
        )
    language.change(
        refresh_queue_quiet(guard, queue_update, detail_of),
        [language, queue],
        [queue, *detail],
        api_name=False,
    )
    return InboxTab(tab=tab, queue=queue, customers=customers, detail=detail, status=status)


def refresh_queue_quiet(guard: Guard, queue_update: Any, detail_of: Any) -> Any:
    """On a language switch: re-render for a signed-in agent, do nothing otherwise."""

    @guard.only("inbox", quiet=True)
    def run(who: Account | None, choice: str, selected: str | None) -> list[Any]:
        lang = lang_of(choice)
        if who is None:
            return [gr.skip()] * 9
        return [queue_update(lang, selected), *detail_of(selected, lang)]

    return run


def customer_choices(ws: Workspace) -> list[tuple[str, str]]:
    return [
        (f"{c.full_name} · {c.segment} · {c.language} ({c.id})", c.id)
        for c in ws.inbox.demo_customers()
    ]
