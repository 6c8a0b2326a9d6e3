"""Settings from the environment, and the `ressenti llm` commands a person runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.cli import app
from agents.core.config import Settings


def test_defaults_work_without_configuration(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'ressenti.db'}"
    assert settings.resolved_checkpoint_url().endswith("checkpoints.db")
    assert settings.runtime_path == tmp_path / "runtime"
    assert (settings.llm_host, settings.llm_port) == ("127.0.0.1", 8300)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RESSENTI_LLM_BASE_URL", "http://gpu-box:8000/v1")
    monkeypatch.setenv("RESSENTI_LLM_MODEL", "qwen2.5-7b-instruct")
    monkeypatch.setenv("RESSENTI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RESSENTI_DATABASE_URL", "postgresql+psycopg://u@db/ressenti")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.llm_host, settings.llm_port) == ("gpu-box", 8000)
    assert settings.llm_model == "qwen2.5-7b-instruct"
    assert settings.resolved_database_url() == "postgresql+psycopg://u@db/ressenti"


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("RESSENTI_LLM_TIMEOUT_S=7.5\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().llm_timeout_s == 7.5


def test_status_command_reports_a_down_server(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("RESSENTI_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RESSENTI_LLM_BASE_URL", settings.llm_base_url)
    runner = CliRunner()

    plain = runner.invoke(app, ["llm", "status"])
    assert plain.exit_code == 1
    assert "NOT READY" in plain.output and "connection refused" in plain.output

    as_json = runner.invoke(app, ["llm", "status", "--json"])
    payload = json.loads(as_json.output)
    assert payload["ready"] is False and payload["process"] is None


def test_ask_command_fails_cleanly_when_the_server_is_down(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("RESSENTI_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RESSENTI_LLM_BASE_URL", settings.llm_base_url)
    result = CliRunner().invoke(app, ["llm", "ask", "Bonjour"])
    assert result.exit_code == 1
    assert "not reachable" in result.output
    assert "Traceback" not in result.output


def test_ask_command_refuses_an_empty_prompt_without_a_trace(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("RESSENTI_LLM_BASE_URL", settings.llm_base_url)
    result = CliRunner().invoke(app, ["llm", "ask", "   "])
    assert result.exit_code == 2
    assert "Type a question first." in result.output
    assert "Traceback" not in result.output
