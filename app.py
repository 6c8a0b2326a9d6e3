"""Ressenti's Gradio app: an adapter over the services; it renders and sends, nothing more.

For now (foundation) one page: the model server's status and a prompt box whose answer
streams in through the LLM boundary. No prompt is built and no model is called here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

# Self-hosted means no calls home: Gradio's usage analytics stay off unless asked for.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from agents.config import Settings
from agents.llm.client import LLMClient, LLMError
from agents.services.playground import (
    PromptRejectedError,
    answer_stream,
    friendly_error,
    server_status,
)
from prompts import Lang

LABELS: dict[str, dict[Lang, str]] = {
    "title": {
        "fr": "Ressenti — copilote de centre de contact",
        "en": "Ressenti — contact-centre copilot",
    },
    "intro": {
        "fr": "Vérifiez que le modèle répond, puis posez-lui une question.",
        "en": "Check that the model answers, then ask it a question.",
    },
    "language": {"fr": "Langue", "en": "Language"},
    "status": {"fr": "État du modèle", "en": "Model status"},
    "refresh": {"fr": "Actualiser", "en": "Refresh"},
    "prompt": {"fr": "Votre question", "en": "Your question"},
    "placeholder": {
        "fr": "Ex. : Comment annoncer un retard de livraison avec tact ?",
        "en": "E.g. How do I announce a delivery delay tactfully?",
    },
    "send": {"fr": "Envoyer", "en": "Send"},
    "answer": {"fr": "Réponse (en direct)", "en": "Answer (live)"},
}


def _lang(value: str) -> Lang:
    return "en" if value == "English" else "fr"


def build(settings: Settings | None = None, client: LLMClient | None = None) -> gr.Blocks:
    """The page, wired to one LLM client (injected in tests)."""
    settings = settings or Settings()
    llm = client or LLMClient(settings)

    def status_text(language: str) -> str:
        report = server_status(llm, _lang(language))
        return ("🟢 " if report.ready else "🔴 ") + report.text

    def ask(question: str, language: str) -> Iterator[str]:
        lang = _lang(language)
        try:
            yield from answer_stream(llm, question, lang)
        except (LLMError, PromptRejectedError) as exc:
            # A person reads this: the typed error's message, never a stack trace.
            yield "⚠️ " + friendly_error(exc, lang)

    def relabel(language: str) -> list[Any]:
        lang = _lang(language)
        return [
            gr.Markdown(f"# {LABELS['title'][lang]}\n{LABELS['intro'][lang]}"),
            gr.Textbox(label=LABELS["status"][lang], value=status_text(language)),
            gr.Button(LABELS["refresh"][lang]),
            gr.Textbox(label=LABELS["prompt"][lang], placeholder=LABELS["placeholder"][lang]),
            gr.Button(LABELS["send"][lang]),
            gr.Textbox(label=LABELS["answer"][lang]),
        ]

    with gr.Blocks(title="Ressenti") as page:
        language = gr.Radio(["Français", "English"], value="Français", label="Langue / Language")
        header = gr.Markdown(f"# {LABELS['title']['fr']}\n{LABELS['intro']['fr']}")
        with gr.Row():
            status = gr.Textbox(label=LABELS["status"]["fr"], interactive=False, scale=5)
            refresh = gr.Button(LABELS["refresh"]["fr"], scale=1)
        prompt = gr.Textbox(
            label=LABELS["prompt"]["fr"], placeholder=LABELS["placeholder"]["fr"], lines=3
        )
        send = gr.Button(LABELS["send"]["fr"], variant="primary")
        answer = gr.Textbox(label=LABELS["answer"]["fr"], lines=8, interactive=False)

        page.load(status_text, inputs=language, outputs=status, api_name="status")
        refresh.click(status_text, inputs=language, outputs=status, api_name=False)
        send.click(ask, inputs=[prompt, language], outputs=answer, api_name="ask")
        prompt.submit(ask, inputs=[prompt, language], outputs=answer, api_name=False)
        language.change(
            relabel,
            inputs=language,
            outputs=[header, status, refresh, prompt, send, answer],
            api_name=False,
        )
    return page


def main() -> None:
    settings = Settings()
    page = build(settings)
    page.queue().launch(
        server_name=settings.app_host,
        server_port=settings.app_port,
        prevent_thread_lock=True,
        show_error=False,
        quiet=True,
        ssr_mode=False,
        theme=gr.themes.Soft(),
    )
    # Printed once the page answers, so the URL is never shown before it works.
    print(f"Ressenti is running at {page.local_url}  (Ctrl+C to stop)", flush=True)
    page.block_thread()


if __name__ == "__main__":
    main()
