"""The app's shell: an adapter over the services; it renders and sends, nothing more.

A sign-in page, then the tabs the account's role opens: the inbox and the handoff queue
for agents, the dashboard for supervisors (admins), the marketing studio for marketers,
the evaluation suites for testers. French and English labels, switched at any time. No
prompt is built and no model is called here: the services do that.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from agents.core.config import Settings
from agents.services.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, Account
from agents.services.playground import server_status
from agents.services.root import Root
from agents.services.workspace import Workspace
from ui import render
from ui.dashboard import build_dashboard
from ui.evaluations import build_evaluations
from ui.handoffs import build_handoffs
from ui.i18n import LANGUAGES, lang_of, t
from ui.inbox import build_inbox, customer_choices
from ui.labels import Labeller
from ui.messages import status_text
from ui.render import CSS
from ui.studio import build_studio

THEME = gr.themes.Soft()
MODEL_STATUS_REFRESH_S = 15


def build(ws: Workspace) -> gr.Blocks:
    """The app over one workspace (tests hand in one with a scripted model)."""
    labels = Labeller()
    with gr.Blocks(title="Ressenti") as page:
        account = gr.State(None)
        with gr.Row(equal_height=True):
            labels.value(gr.Markdown(t("title", "fr")), "title")
            whoami = gr.Markdown(elem_id="whoami")
            model = gr.Markdown(elem_id="model-status")
            # The model server's state is re-read on a timer, so a server that dies while
            # the page is open is reported within seconds (with what to do).
            model_timer = gr.Timer(MODEL_STATUS_REFRESH_S)
            language = gr.Radio(
                LANGUAGES, value=LANGUAGES[0], show_label=False, elem_id="language", scale=0
            )
            signout = labels.value(
                gr.Button(
                    t("signout", "fr"),
                    size="sm",
                    visible=False,
                    scale=0,
                    min_width=110,
                    elem_id="signout",
                ),
                "signout",
            )

        with gr.Column(visible=True, elem_id="signin") as signin_box:
            labels.value(gr.Markdown(t("signin_intro", "fr")), "signin_intro")
            # Shown only while the demo accounts exist (`make run` creates them).
            demo = gr.Markdown(
                t("signin_demo", "fr", password=DEMO_PASSWORD),
                visible=ws.accounts.exists(DEMO_ACCOUNTS[0][0]),
                elem_id="signin-demo",
            )
            labels.add(
                demo, lambda lang: gr.update(value=t("signin_demo", lang, password=DEMO_PASSWORD))
            )
            email = labels.label(gr.Textbox(label=t("email", "fr"), elem_id="email"), "email")
            password = labels.label(
                gr.Textbox(label=t("password", "fr"), type="password", elem_id="password"),
                "password",
            )
            signin = labels.value(
                gr.Button(t("signin", "fr"), variant="primary", elem_id="signin-button"), "signin"
            )
            signin_error = gr.Markdown(elem_id="signin-error")

        with gr.Column(visible=False, elem_id="workspace") as main_box, gr.Tabs() as tabs:
            inbox = build_inbox(ws, labels, account, language)
            handoffs_tab, _ = build_handoffs(ws, labels, account, language)
            dashboard_tab = build_dashboard(ws, labels, account, language)
            studio_tab = build_studio(ws, labels, account, language)
            evaluations_tab = build_evaluations(ws.evaluations, labels, account, language)

        role_tabs = {
            "inbox": inbox.tab,
            "handoffs": handoffs_tab,
            "dashboard": dashboard_tab,
            "studio": studio_tab,
            "evaluations": evaluations_tab,
        }
        shell = [signin_box, main_box, signout, whoami, model, signin_error, tabs]
        opened = [*shell, *role_tabs.values(), inbox.queue, inbox.customers]

        def model_line(choice: str) -> str:
            report = server_status(ws.support.deps.llm)
            return ("● " if report.ready else "○ ") + status_text(report, lang_of(choice))

        def sign_in(address: str, secret: str, choice: str) -> list[Any]:
            lang = lang_of(choice)
            who = ws.accounts.authenticate(address or "", secret or "")
            if who is None:
                return [
                    None,
                    *([gr.skip()] * 5),
                    f"**{t('bad_credentials', lang)}**",
                    gr.skip(),
                    *([gr.skip()] * 7),
                    "",
                ]
            visible = [gr.update(visible=name in who.tabs) for name in role_tabs]
            queue = gr.skip()
            customers = gr.skip()
            if who.may_open("inbox"):
                choices = customer_choices(ws)
                queue = gr.update(choices=[], value=None)
                customers = gr.update(choices=choices, value=choices[0][1] if choices else None)
            return [
                who,
                gr.update(visible=False),
                gr.update(visible=True),
                gr.update(visible=True),
                t("signed_in_as", lang, name=who.display_name, role=who.role),
                model_line(choice),
                "",
                gr.update(selected=who.tabs[0]),
                *visible,
                queue,
                customers,
                "",
            ]

        def sign_out() -> list[Any]:
            return [
                None,
                gr.update(visible=True),
                gr.update(visible=False),
                gr.update(visible=False),
                "",
                "",
                "",
                gr.skip(),
                *[gr.update(visible=False) for _ in role_tabs],
                gr.update(choices=[], value=None),
                gr.skip(),
                "",
            ]

        def relabel(who: Account | None, choice: str) -> list[Any]:
            lang = lang_of(choice)
            signed = t("signed_in_as", lang, name=who.display_name, role=who.role) if who else ""
            return [*labels.updates(lang), signed, model_line(choice) if who else ""]

        outputs = [account, *opened, password]
        first_view = _first_view(ws)
        for trigger in (signin.click, password.submit):
            trigger(sign_in, [email, password, language], outputs, api_name=False).then(
                first_view, [account, language], [inbox.queue, *inbox.detail], api_name=False
            )
        signout.click(sign_out, None, outputs, api_name=False)
        language.change(
            relabel, [account, language], [*labels.components, whoami, model], api_name=False
        )

        def refresh_model(who: Account | None, choice: str) -> Any:
            return model_line(choice) if who else gr.skip()

        model_timer.tick(refresh_model, [account, language], model, api_name=False)
    return page


def _first_view(ws: Workspace) -> Any:
    def run(who: Account | None, choice: str) -> list[Any]:
        lang = lang_of(choice)
        if who is None or not who.may_open("inbox"):
            return [gr.skip()] * 9
        items = ws.inbox.queue()
        return [
            gr.update(
                choices=[(render.queue_label(i, lang), i.conversation_id) for i in items],
                value=None,
            ),
            t("no_selection", lang),
            *([gr.skip()] * 7),
        ]

    return run


def launch(
    page: gr.Blocks,
    settings: Settings,
    *,
    port: int | None = None,
    workspace: Workspace | None = None,
) -> gr.Blocks:
    """Serves the page; then starts what runs beside it in this process (`workspace`'s
    recovery pass and embedded turn and delivery workers)."""
    page.queue().launch(
        server_name=settings.app_host,
        server_port=port or settings.app_port,
        prevent_thread_lock=True,
        show_error=False,
        quiet=True,
        ssr_mode=False,
        theme=THEME,
        css=CSS,
    )
    if workspace is not None:
        workspace.start()
    return page


def main() -> None:
    settings = Settings()
    root = Root(settings, report=lambda line: print(line, flush=True))
    try:
        page = launch(build(root.workspace), settings, workspace=root.workspace)
        # Printed once the page answers, so the URL is never shown before it works.
        print(f"Ressenti is running at {page.local_url}  (Ctrl+C to stop)", flush=True)
        page.block_thread()
    finally:
        root.close()


if __name__ == "__main__":
    main()
