"""The `ressenti` command. Each feature adds its own group from its own module."""

from __future__ import annotations

import typer

from agents.cli.analyze import analyze
from agents.cli.channels import channels_app
from agents.cli.crm import crm_app
from agents.cli.emotion import emotion_app
from agents.cli.evals import eval_app
from agents.cli.kb import kb_app
from agents.cli.llm import llm_app
from agents.cli.marketing import marketing_app
from agents.cli.support import support_app
from agents.cli.tokens import tokens_app
from agents.cli.users import users_app
from agents.cli.worker import doctor, outbox_app, worker

app = typer.Typer(
    name="ressenti",
    help="Ressenti: an emotion-aware, self-hosted copilot for contact centres.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(llm_app, name="llm")
app.add_typer(kb_app, name="kb")
app.add_typer(crm_app, name="crm")
app.add_typer(support_app, name="support")
app.add_typer(emotion_app, name="emotion")
app.add_typer(marketing_app, name="marketing")
app.add_typer(eval_app, name="eval")
app.add_typer(users_app, name="users")
app.add_typer(outbox_app, name="outbox")
app.command("doctor")(doctor)
app.command("worker")(worker)
app.command("analyze")(analyze)
app.add_typer(tokens_app, name="tokens")
app.add_typer(channels_app, name="channels")


@app.command("app")
def run_app() -> None:
    """Start the app: its page, sign-in and HTTP API on one port (the LLM server is started
    separately: `ressenti llm serve`)."""
    from web.serve import main

    main()


if __name__ == "__main__":
    app()
