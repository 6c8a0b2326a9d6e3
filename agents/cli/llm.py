"""`ressenti llm …`: prepare, serve, check and stop the local vLLM server; ask it once."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import typer

from agents.cli.root import command_root
from agents.cli.texts import say
from agents.core.profiles import profile_of
from agents.llm import runtime, server
from agents.llm.client import LLMError

llm_app = typer.Typer(help="The local language model server (vLLM).", no_args_is_help=True)


def _say(text: str) -> None:
    typer.echo(text, err=True)


@llm_app.command()
def prepare(ctx: typer.Context) -> None:
    """Create the server environment and prepare the model, without starting anything."""
    settings = command_root(ctx).settings
    try:
        env, model = runtime.prepare(settings, _say)
    except runtime.RuntimeSetupError as exc:
        _say(f"error: {exc}")
        raise typer.Exit(1) from exc
    _say(f"Server environment: {env.path} ({env.device})\nModel: {model}")


@llm_app.command()
def serve(
    ctx: typer.Context,
    wait: bool = typer.Option(True, help="Wait until the server answers before returning."),
) -> None:
    """Start vLLM in the background (or reuse a healthy one) and record its pid."""
    settings = command_root(ctx).settings
    try:
        record = server.serve(settings, _say, wait=wait)
    except (runtime.RuntimeSetupError, server.ServerStartError) as exc:
        _say(f"error: {exc}")
        raise typer.Exit(1) from exc
    _say(f"Serving '{record.model}' at {record.base_url}")


@llm_app.command()
def status(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Report whether the server answers and which model it serves (exit 1 if not ready)."""
    settings = command_root(ctx).settings
    state = server.status(settings)
    profile = profile_of(settings)
    if as_json:
        payload = {
            "ready": state.ready,
            "base_url": state.health.base_url,
            "served_models": list(state.health.served_models),
            "detail": state.health.detail,
            "process": asdict(state.record) if state.record else None,
            "process_alive": state.process_alive,
            "profile": {
                "name": profile.name,
                "trusts": list(profile.trusted),
                "sampling": profile.sampling.model_dump(),
                "prompt_budget_tokens": profile.prompt_budget_tokens,
            },
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        word = "ready" if state.ready else "NOT READY"
        typer.echo(f"LLM server {state.health.base_url}: {word} ({state.health.detail})")
        if state.health.served_models:
            typer.echo(f"  serves: {', '.join(state.health.served_models)}")
        trusted = (
            ", ".join(profile.trusted) or "nothing that decides (drafts and summaries by code)"
        )
        typer.echo(f"  model profile: {profile.name}; trusted for: {trusted}")
        if state.record:
            alive = "running" if state.process_alive else "not running"
            typer.echo(
                f"  started by Ressenti: pid {state.record.pid} ({alive}), "
                f"{state.record.device}, log {state.record.log_path}"
            )
    if not state.ready:
        raise typer.Exit(1)


@llm_app.command()
def stop(ctx: typer.Context) -> None:
    """Stop the server that `ressenti llm serve` started."""
    server.stop(command_root(ctx).settings, _say)


@llm_app.command()
def ask(
    ctx: typer.Context, prompt: str = typer.Argument(..., help="What to ask the model.")
) -> None:
    """Send one prompt through the LLM boundary and stream the answer."""
    from agents.services.playground import PromptRejectedError, playground_messages

    try:
        messages = playground_messages(prompt, "en")
    except PromptRejectedError as exc:
        why = say(f"prompt_{exc.reason}", "en", length=exc.length, limit=exc.limit)
        _say(f"error: {why}")
        raise typer.Exit(2) from exc
    client = command_root(ctx).llm
    try:
        for piece in client.stream(messages):
            sys.stdout.write(piece)
            sys.stdout.flush()
    except LLMError as exc:
        _say(f"\nerror: {exc.user_message}")
        raise typer.Exit(1) from exc
    sys.stdout.write("\n")
