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
from agents.support.intake import MAX_MESSAGE_CHARS
from agents.support.schemas import ApprovalDecision, TurnChannel
from agents.support.service import (
    AlreadyDecidedError,
    DraftCheckError,
    NothingPendingError,
)
from tools.crm.errors import CRMError
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
        with gr.Column(scale=2, min_width=300):
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
                inbound = gr.Textbox(
                    label=t("message", "fr"),
                    placeholder=t("message_placeholder", "fr"),
                    info=t("length_limit", "fr", n=MAX_MESSAGE_CHARS),
                    lines=3,
                    max_length=MAX_MESSAGE_CHARS,
                    elem_id="inbound",
                )
                labels.add(
                    inbound,
                    lambda lang: gr.update(
                        label=t("message", lang),
                        placeholder=t("message_placeholder", lang),
                        info=t("length_limit", lang, n=MAX_MESSAGE_CHARS),
                    ),
                )
                send = labels.value(
                    gr.Button(t("send_inbound", "fr"), variant="secondary", elem_id="send-inbound"),
                    "send_inbound",
                )
        # Two columns: the conversation (message, reading, record, sources) on the left,
        # the draft, its check and the decision with its feedback on the right, so that
        # one screen (1366×768) holds the whole decision.
        with gr.Column(scale=6):
            head = gr.Markdown(t("no_selection", "fr"), elem_id="conversation-head")
            with gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=320):
                    transcript = gr.HTML(elem_id="transcript")
                    # Titled inside the figure: a block label would cover its axis.
                    trajectory = gr.Plot(show_label=False, elem_id="trajectory")
                    with labels.label(
                        gr.Accordion(t("crm_card", "fr"), open=False, elem_id="crm-card-box"),
                        "crm_card",
                    ):
                        card = gr.HTML(elem_id="crm-card")
                    with labels.label(
                        gr.Accordion(t("passages", "fr"), open=False, elem_id="passages-box"),
                        "passages",
                    ):
                        sources = gr.HTML(elem_id="passages")
                with gr.Column(scale=1, min_width=360):
                    draft = gr.Textbox(
                        label=t("draft", "fr"),
                        info=t("length_limit", "fr", n=MAX_MESSAGE_CHARS),
                        lines=8,
                        max_lines=14,
                        max_length=MAX_MESSAGE_CHARS,
                        elem_id="draft",
                    )
                    labels.add(
                        draft,
                        lambda lang: gr.update(
                            label=t("draft", lang),
                            info=t("length_limit", lang, n=MAX_MESSAGE_CHARS),
                        ),
                    )
                    checks = gr.Markdown(elem_id="findings")
                    with gr.Row():
                        approve = labels.value(
                            gr.Button(
                                t("approve", "fr"),
                                variant="primary",
                                interactive=False,
                                elem_id="approve",
                            ),
                            "approve",
                        )
                        edit = labels.value(
                            gr.Button(
                                t("edit_approve", "fr"), interactive=False, elem_id="edit-approve"
                            ),
                            "edit_approve",
                        )
                        reject = labels.value(
                            gr.Button(
                                t("reject", "fr"),
                                variant="stop",
                                interactive=False,
                                elem_id="reject",
                            ),
                            "reject",
                        )
                        take_over = labels.value(
                            gr.Button(t("take_over", "fr"), interactive=False, elem_id="take-over"),
                            "take_over",
                        )
                    # The feedback sits under the buttons, where the eye is after a click.
                    status = gr.Markdown(elem_id="inbox-status")
                    override = labels.label(
                        gr.Textbox(
                            label=t("draft_override", "fr"), lines=1, elem_id="draft-override"
                        ),
                        "draft_override",
                    )
                    with gr.Row(equal_height=True):
                        instruction = labels.label(
                            gr.Textbox(
                                label=t("instruction", "fr"),
                                placeholder=t("instruction_placeholder", "fr"),
                                scale=3,
                                elem_id="instruction",
                            ),
                            "instruction",
                            "instruction_placeholder",
                        )
                        redraft = labels.value(
                            gr.Button(
                                t("redraft", "fr"), interactive=False, scale=1, elem_id="redraft"
                            ),
                            "redraft",
                        )
        # Inside the tab: a Tabs block must hold nothing but tabs.
        timer = gr.Timer(QUEUE_REFRESH_S)
        seen = gr.State(None)
        """The interrupt of the draft shown (a decision names what the agent saw)."""

    detail = [head, transcript, trajectory, card, sources, draft, checks, seen]
    buttons = [approve, edit, redraft, reject, take_over]
    keep = gr.skip()

    # --- renderers -----------------------------------------------------------------------
    def queue_update(lang: Lang, selected: str | None = None) -> Any:
        items = ws.inbox.queue()
        choices = [(render.queue_label(item, lang), item.conversation_id) for item in items]
        ids = {item.conversation_id for item in items}
        return gr.update(
            choices=choices,
            value=selected if selected in ids else None,
            # Always a text: an info left unset would keep "no draft waiting" above a draft.
            info=t("queue_info" if items else "queue_empty", lang),
        )

    def empty_detail(lang: Lang) -> list[Any]:
        return [t("no_selection", lang), "", None, "", "", "", "", None]

    def detail_of(conversation_id: str | None, lang: Lang) -> list[Any]:
        if not conversation_id:
            return empty_detail(lang)
        try:
            d = ws.inbox.detail(conversation_id)
        except CRMError:
            return empty_detail(lang)
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

    def decidable(conversation_id: str | None) -> list[Any]:
        """The decision buttons: usable only while a draft waits in the conversation."""
        waiting = (
            bool(conversation_id) and ws.support.pending_for(conversation_id or "") is not None
        )
        return [gr.update(interactive=waiting) for _ in buttons]

    def frozen() -> list[Any]:
        return [gr.update(interactive=False) for _ in buttons]

    def said(note: str) -> list[Any]:
        """[status, queue, *detail, *buttons] with only the feedback line changed."""
        return [note, keep, *[keep] * len(detail), *[keep] * len(buttons)]

    # --- callbacks -----------------------------------------------------------------------
    @guard.only("inbox")
    def refresh_queue(who: Account, choice: str, selected: str | None) -> list[Any]:
        lang = lang_of(choice)
        return [queue_update(lang, selected), *detail_of(selected, lang), *decidable(selected)]

    @guard.only("inbox")
    def select(who: Account, choice: str, selected: str | None) -> list[Any]:
        lang = lang_of(choice)
        return [
            explanation(selected, lang) if selected else "",
            *detail_of(selected, lang),
            *decidable(selected),
        ]

    def explanation(conversation_id: str, lang: Lang) -> str:
        """Where the conversation stands and, when it went to a person, why (the rules
        that fired with the values they saw)."""
        turn = ws.support.turn_in_progress(conversation_id)
        if turn is None or (turn.status in RUNNING and turn.outcome is None):
            state, _ = ws.support.conversation_state(conversation_id)
            key = "with_a_person" if state == "with_human" else "still_working"
            return f"**{t(key, lang)}** ({conversation_id})"
        text = f"**{t(f'outcome_{turn.outcome}', lang)}** ({conversation_id})"
        if turn.outcome in ("handed_off", "failed", "taken_over"):
            package = ws.support.result(turn.turn_id).handoff
            if package is not None and package.reasons:
                text += f"\n\n{render.labelled('reasons', lang)}\n\n"
                text += render.rule_hits_md(package.reasons, lang)
        return text

    def followed(conversation_id: str, lang: Lang) -> Iterator[list[Any]]:
        """Yields [status, queue, *detail, *buttons]: the conversation at once, then the
        turn's stage and draft so far while a worker runs it, then where it stopped."""
        deadline = time.monotonic() + FOLLOW_MAX_S
        shown: tuple[str, str | None, str] | None = None
        first = True
        while time.monotonic() < deadline:
            turn = ws.support.turn_in_progress(conversation_id)
            if turn is None or turn.status not in RUNNING:
                break
            now = (turn.status, turn.stage, turn.draft_preview)
            if now != shown:
                shown = now
                if first:  # the customer's message and record while the copilot works
                    view = detail_of(conversation_id, lang)
                    first = False
                else:
                    view = [keep] * len(detail)
                view[5] = turn.draft_preview
                view[6] = ""
                stage = "stage_queued" if turn.stage is None else f"stage_{turn.stage}"
                yield [stage_line(turn.stage, lang, t(stage, lang)), keep, *view, *frozen()]
            time.sleep(FOLLOW_POLL_S)
        turn = ws.support.turn_in_progress(conversation_id)
        waiting = turn is not None and turn.status == "awaiting_approval"
        yield [
            explanation(conversation_id, lang),
            queue_update(lang, conversation_id if waiting else None),
            *detail_of(conversation_id, lang),
            *decidable(conversation_id),
        ]

    @guard.only("inbox")
    def submit_inbound(
        who: Account, choice: str, customer_id: str, chan: str, subj: str, text: str
    ) -> Iterator[list[Any]]:
        lang = lang_of(choice)
        text = (text or "").strip()
        if not (customer_id and text):
            yield said("⚠ " + t("need_message", lang))
            return
        if len(text) > MAX_MESSAGE_CHARS:
            # Said before anything is stored: no empty conversation is left behind.
            yield said("⚠ " + t("too_long", lang, n=len(text), limit=MAX_MESSAGE_CHARS))
            return
        medium = cast(TurnChannel, chan if chan in CHANNELS else "email")
        yield [f"*{t('stage_queued', lang)}*", keep, *empty_detail(lang), *frozen()]
        received = ws.inbox.simulate_inbound(customer_id, medium, subj or "—", text)
        yield from followed(received.conversation_id, lang)

    def decide(action: str) -> Any:
        @guard.only("inbox")
        def run(
            who: Account,
            choice: str,
            selected: str | None,
            text: str,
            note: str,
            reason: str,
            interrupt_id: str | None,
        ) -> Iterator[list[Any]]:
            lang = lang_of(choice)
            if not selected or not interrupt_id:
                # A second click after the first decision: nothing left to decide here.
                yield said("⚠ " + t("pick_a_draft", lang))
                return
            if action == "edit" and not (text or "").strip():
                yield said("⚠ " + t("need_draft_text", lang))
                return
            if action == "edit" and len(text) > MAX_MESSAGE_CHARS:
                yield said("⚠ " + t("too_long", lang, n=len(text), limit=MAX_MESSAGE_CHARS))
                return
            if action == "respond" and not (note or "").strip():
                yield said("⚠ " + t("need_instruction", lang))
                return
            reason = (reason or "").strip()
            if action == "accept" and not reason:
                pending = ws.support.pending_for(selected)
                blocking = [f for f in pending.request.findings if f.blocking] if pending else []
                if blocking:
                    problems = render.findings(blocking, lang)
                    yield said("⚠ " + t("confirm_blocking", lang) + "\n\n" + problems)
                    return
            decision = ApprovalDecision(
                action=action,
                text=text if action == "edit" else None,
                instruction=note if action == "respond" else None,
                reviewer=who.email,
            )
            yield [f"*{t(f'deciding_{action}', lang)}*", keep, *[keep] * len(detail), *frozen()]
            try:
                ws.support.decide(
                    selected,
                    interrupt_id,
                    decision,
                    who.email,
                    override_reason=reason if action in ("accept", "edit") and reason else None,
                )
            except AlreadyDecidedError as exc:
                at = f"{exc.at:%H:%M:%S}"
                note_ = "ℹ " + t("already_decided", lang, who=exc.reviewer, at=at)
                yield [note_, queue_update(lang), *detail_of(selected, lang), *decidable(selected)]
                return
            except DraftCheckError as exc:
                problems = render.findings(exc.findings, lang)
                yield [
                    "⚠ " + t("edit_blocked", lang) + "\n\n" + problems,
                    keep,
                    *[keep] * len(detail),
                    *decidable(selected),
                ]
                return
            except NothingPendingError:
                note_ = "ℹ " + t("nothing_pending", lang)
                yield [note_, queue_update(lang), *detail_of(selected, lang), *decidable(selected)]
                return
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
    view_outputs = [status, queue, *detail, *buttons]
    refresh.click(refresh_queue, [language, queue], [queue, *detail, *buttons], api_name=False)
    queue.input(select, [language, queue], [status, *detail, *buttons], api_name=False)
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
            [language, queue, draft, instruction, override, seen],
            view_outputs,
            api_name=False,
            trigger_mode="once",  # a second click while the first is sent does nothing
            **(model_group if action == "respond" else {}),  # a redraft waits on the model
        )
    language.change(
        refresh_queue_quiet(guard, queue_update, detail_of, decidable),
        [language, queue],
        [queue, *detail, *buttons],
        api_name=False,
    )
    return InboxTab(tab=tab, queue=queue, customers=customers, detail=detail, status=status)


STAGES = ("reading", "searching", "assessing", "drafting", "checking")
"""The stages of a turn, in order (`turns.stage`, `agents.support.graph.STAGE_OF_NODE`)."""


def stage_line(stage: str | None, lang: Lang, label: str) -> str:
    """The turn's stage and the steps around it: done ✓, now ●, to come ○."""
    now = STAGES.index(stage) if stage in STAGES else -1
    steps = []
    for i, name in enumerate(STAGES):
        mark = "✓" if i < now else ("●" if i == now else "○")
        steps.append(f"{mark} {t(f'step_{name}', lang)}")
    return f"*{label}*\n\n" + " · ".join(steps)


def refresh_queue_quiet(guard: Guard, queue_update: Any, detail_of: Any, decidable: Any) -> Any:
    """On a language switch: re-render for a signed-in agent, do nothing otherwise."""

    @guard.only("inbox", quiet=True)
    def run(who: Account | None, choice: str, selected: str | None) -> list[Any]:
        lang = lang_of(choice)
        if who is None:
            return [gr.skip()] * 14
        return [queue_update(lang, selected), *detail_of(selected, lang), *decidable(selected)]

    return run


def customer_choices(ws: Workspace) -> list[tuple[str, str]]:
    return [
        (f"{c.full_name} · {c.segment} · {c.language} ({c.id})", c.id)
        for c in ws.inbox.demo_customers()
    ]
