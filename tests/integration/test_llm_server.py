"""The LLM boundary and the foundation page against a real vLLM CPU server."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Literal

import httpx
import pytest
from pydantic import BaseModel, Field
from typer.testing import CliRunner

from agents.cli import app as cli
from agents.core.config import Settings
from agents.llm import server
from agents.llm.client import LLMClient, LLMTimeoutError, LLMUnavailableError
from tests.integration.conftest import free_port


class Triage(BaseModel):
    """A small schema with enums, a boolean and a bounded list, as the agent's readings use."""

    language: Literal["fr", "en"]
    topic: Literal["delivery", "billing", "refund", "other"]
    wants_a_person: bool
    keywords: list[str] = Field(max_length=3)


TRIAGE_QUESTION = (
    "Classify this customer message. Message: « Mon colis n'est toujours pas arrivé, "
    "je veux parler à un conseiller. »"
)


def _down_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"llm_base_url": f"http://127.0.0.1:{free_port()}/v1"})


def test_server_reports_ready_with_the_served_model(llm_settings: Settings) -> None:
    state = server.status(llm_settings)
    assert state.ready
    assert llm_settings.llm_model in state.health.served_models
    assert state.process_alive
    assert state.record is not None
    assert state.record.device == "cpu"


def test_the_api_key_reaches_the_server_by_its_environment_only(llm_settings: Settings) -> None:
    key = llm_settings.llm_api_key
    models = llm_settings.llm_base_url.rstrip("/") + "/models"
    assert httpx.get(models, timeout=10).status_code == 401  # the server wants the key…
    keyed = httpx.get(models, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert keyed.status_code == 200  # …and has it
    # What anyone on the machine can list, and the server's own log, never show it.
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True)
    record = server.read_record(llm_settings)
    assert record is not None and str(record.pid) in listing.stdout
    assert key not in listing.stdout
    assert key not in Path(record.log_path).read_text(errors="replace")


def test_structured_output_round_trip(llm_settings: Settings) -> None:
    triage = LLMClient(llm_settings).structured(TRIAGE_QUESTION, Triage, max_tokens=120)
    # The server enforces the schema; pydantic validated it: the values are well-typed.
    assert isinstance(triage, Triage)
    assert triage.language in ("fr", "en")
    assert isinstance(triage.keywords, list)


def test_streamed_answer_arrives_in_pieces(llm_settings: Settings) -> None:
    pieces = list(LLMClient(llm_settings).stream("Say hello to a customer in one sentence."))
    assert len(pieces) > 3
    assert "".join(pieces).strip()


def test_a_slow_answer_times_out_with_a_typed_error(llm_settings: Settings) -> None:
    impatient = llm_settings.model_copy(update={"llm_timeout_s": 0.05, "llm_max_tokens": 400})
    with pytest.raises(LLMTimeoutError, match=r"did not answer within 0\.05 s"):
        LLMClient(impatient).complete("Write a long story about a lost parcel.")


def test_a_down_server_is_reported_clearly(llm_settings: Settings) -> None:
    down = _down_settings(llm_settings)
    client = LLMClient(down)
    with pytest.raises(LLMUnavailableError, match="not reachable"):
        client.complete("hello")
    with pytest.raises(LLMUnavailableError):
        client.structured("hello", Triage)
    assert client.health().reachable is False


def test_a_wrong_model_name_is_reported_clearly(llm_settings: Settings) -> None:
    other = llm_settings.model_copy(update={"llm_model": "not-served"})
    assert LLMClient(other).health().detail == "the server does not serve 'not-served'"
    with pytest.raises(LLMUnavailableError, match="not-served"):
        LLMClient(other).complete("hello")


@pytest.mark.stops_server
def test_a_crashed_server_is_reported_and_serve_restarts_it(llm_settings: Settings) -> None:
    record = server.read_record(llm_settings)
    assert record is not None
    os.killpg(record.pid, signal.SIGKILL)  # a crash, not a clean stop
    os.waitpid(record.pid, 0)

    with pytest.raises(LLMUnavailableError, match="make run"):
        LLMClient(llm_settings).complete("hello")
    env = {
        "RESSENTI_DATA_DIR": str(llm_settings.data_dir),
        "RESSENTI_RUNTIME_DIR": str(llm_settings.runtime_path),
        "RESSENTI_LLM_BASE_URL": llm_settings.llm_base_url,
        "RESSENTI_LLM_API_KEY": llm_settings.llm_api_key,
    }
    status = CliRunner().invoke(cli, ["llm", "status"], env=env)
    assert status.exit_code == 1
    assert "NOT READY" in status.output
    assert "not running" in status.output

    # What `make run` does: serve again; the stale record is replaced by a live server.
    restarted = server.serve(llm_settings, report=lambda _: None)
    assert restarted.pid != record.pid
    assert LLMClient(llm_settings).complete("Say OK.").strip()

    stopped = CliRunner().invoke(cli, ["llm", "stop"], env=env)
    assert stopped.exit_code == 0
    assert f"Stopped the vLLM server (pid {restarted.pid})" in stopped.output
    assert not server.status(llm_settings).ready
