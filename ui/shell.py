"""The app's shell: an adapter over the services; it renders and sends, nothing more.

The page opens only for a signed-in browser (the sign-in page is `web/signin.py`; Gradio is
mounted with an `auth_dependency` that reads the session cookie, so its config, queue,
upload and file routes refuse a request without a live session). On load the page reads
the caller's session: the tabs their role opens (the inbox and the handoff queue for
agents, the dashboard for supervisors (admins), the marketing studio for marketers, the
evaluation suites for testers) and the language they chose, which a reload keeps. Every
event reads its caller from the session again (`ui/session.py`). No prompt is built and no
model is called here: the services do that.

Concurrency: each kind of event runs up to `app_event_concurrency` at once, and the
events that wait on the model (drafts, redrafts, campaign rounds) share one group of
`app_model_concurrency`, so reading the queue, opening a conversation or deciding never
waits behind someone else's draft.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import gradio as gr
from fastapi import FastAPI, Request

from agents.core.lang import Lang
from agents.services.accounts import Account
from agents.services.playground import server_status
from agents.services.sessions import SignedIn
from agents.services.workspace import Workspace
from ui import render
from ui.dashboard import build_dashboard
from ui.evaluations import build_evaluations
from ui.files import files_router
from ui.handoffs import build_handoffs
from ui.i18n import LANGUAGES, lang_of, t
from ui.inbox import build_inbox, customer_choices
from ui.insights import INSIGHTS_CSS, build_insights
from ui.labels import Labeller
from ui.messages import status_text
from ui.render import CSS
from ui.session import Guard
from ui.studio import build_studio

THEME = gr.themes.Soft()
MODEL_STATUS_REFRESH_S = 15
SESSION_CHECK_S = 30
"""How often an open page asks whether its session still lives (then goes to sign-in)."""

MODEL_EVENTS = "model"
"""Concurrency group of the events that wait on the model."""

# The page's only script: sign out (a POST the server answers by ending the session) and,
# every SESSION_CHECK_S seconds, go back to the sign-in page once the session is over.
SIGN_OUT_JS = """() => {
  const form = document.createElement('form');
  form.method = 'post'; form.action = 'signout';
  document.body.appendChild(form); form.submit();
}"""
HEAD = f"""<script>
setInterval(async () => {{
  try {{
    const r = await fetch('auth/session', {{credentials: 'same-origin', cache: 'no-store'}});
    if (r.status === 401) location.replace('signin?expired=1');
  }} catch (e) {{}}
}}, {SESSION_CHECK_S * 1000});
</script>"""


def language_choice(lang: Lang) -> str:
    return t("language_name", lang)


def build(ws: Workspace) -> gr.Blocks:
    """The app over one workspace (tests hand in one with a scripted model)."""
    labels = Labeller()
    guard = Guard(ws.sessions)
    model_group = {
        "concurrency_id": MODEL_EVENTS,
        "concurrency_limit": ws.settings.app_model_concurrency,
    }
    with gr.Blocks(title="Ressenti") as page:
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
                    scale=0,
                    min_width=110,
                    elem_id="signout",
                ),
                "signout",
            )

        with gr.Column(elem_id="workspace"), gr.Tabs() as tabs:
            inbox = build_inbox(ws, labels, guard, language, model_group)
            handoffs = build_handoffs(ws, labels, guard, language, model_group)
            dashboard_tab = build_dashboard(ws, labels, guard, language)
            insights_tab = build_insights(ws, labels, guard, language)
            studio_tab = build_studio(ws, labels, guard, language, model_group)
            evaluations_tab = build_evaluations(ws, labels, guard, language)

        role_tabs = {
            "inbox": inbox.tab,
            "handoffs": handoffs.tab,
            "dashboard": dashboard_tab,
            "insights": insights_tab,
            "studio": studio_tab,
            "evaluations": evaluations_tab,
        }

        def model_line(choice: str) -> str:
            report = server_status(ws.support.deps.llm)
            return ("● " if report.ready else "○ ") + status_text(report, lang_of(choice))

        @guard.session_event
        def open_page(signed: SignedIn) -> list[Any]:
            """The page of the caller's role, in the language their session remembers."""
            who, lang = signed.account, signed.lang
            choice = language_choice(lang)
            visible = [gr.update(visible=name in who.tabs) for name in role_tabs]
            queue = gr.skip()
            customers = gr.skip()
            if who.may_open("inbox"):
                choices = customer_choices(ws)
                queue = gr.update(choices=[], value=None)
                customers = gr.update(choices=choices, value=choices[0][1] if choices else None)
            return [
                t("signed_in_as", lang, name=who.display_name, role=who.role),
                model_line(choice),
                choice,
                gr.update(selected=who.tabs[0]),
                *visible,
                queue,
                customers,
            ]

        opened = [whoami, model, language, tabs, *role_tabs.values(), inbox.queue, inbox.customers]
        page.load(open_page, None, opened, api_name=False).then(
            _first_view(ws, guard), [language], [inbox.queue, *inbox.detail], api_name=False
        )
        signout.click(None, js=SIGN_OUT_JS)

        @guard.only(None)
        def relabel(who: Account, choice: str) -> list[Any]:
            lang = lang_of(choice)
            signed = t("signed_in_as", lang, name=who.display_name, role=who.role)
            return [*labels.updates(lang), signed, model_line(choice)]

        @guard.session_event
        def remember_language(signed: SignedIn, choice: str) -> None:
            """A reload keeps the language chosen here."""
            lang = lang_of(choice)
            if lang != signed.lang:
                ws.sessions.set_lang(signed.session_id, lang)

        language.change(relabel, [language], [*labels.components, whoami, model], api_name=False)
        language.change(remember_language, [language], None, api_name=False)

        @guard.only(None, automatic=True)
        def refresh_model(who: Account, choice: str) -> Any:
            return model_line(choice)

        model_timer.tick(refresh_model, [language], model, api_name=False)
    page.queue(default_concurrency_limit=ws.settings.app_event_concurrency)
    return page


def _first_view(ws: Workspace, guard: Guard) -> Any:
    @guard.only("inbox", quiet=True)
    def run(who: Account | None, choice: str) -> list[Any]:
        lang = lang_of(choice)
        if who is None:
            return [gr.skip()] * 9
        items = ws.inbox.queue()
        return [
            gr.update(
                choices=[(render.queue_label(i, lang), i.conversation_id) for i in items],
                value=None,
                info=t("queue_info" if items else "queue_empty", lang),
            ),
            t("no_selection", lang),
            *([gr.skip()] * 7),
        ]

    return run


def mount(
    app: FastAPI,
    ws: Workspace,
    *,
    user_of: Callable[[Request], Awaitable[str | None]],
    path: str = "/",
) -> gr.Blocks:
    """Mounts the app on `app` at `path`; `user_of` names the signed-in caller of a request
    (None: Gradio answers 401 on every route of the app, uploads included)."""
    page = build(ws)
    # Before the page's mount at `path`, which would take every route under it.
    app.include_router(files_router(ws), prefix=path.rstrip("/"))
    gr.mount_gradio_app(
        app,
        page,
        path=path,
        auth_dependency=user_of,
        max_file_size=int(ws.settings.app_max_upload_mb * 1024 * 1024),
        footer_links=["gradio", "settings"],
        run_history=False,  # it would keep customer data in the browser's storage
        show_error=False,
        ssr_mode=False,
        theme=THEME,
        css=CSS + INSIGHTS_CSS,
        head=HEAD,
    )
    return page
