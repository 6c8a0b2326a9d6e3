"""Secrets masked wherever a URL is shown; demo mode on only for the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.core.config import EMBEDDED_MODEL, Settings, _default_data_dir
from agents.core.secrets import mask, mask_url
from agents.llm.client import LLMClient


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://ressenti:s3cr%40t@db:5432/crm?sslmode=require",
            "postgresql+psycopg://ressenti:***@db:5432/crm?sslmode=require",
        ),
        ("https://bot:tok3n@gpu-box:8000/v1", "https://bot:***@gpu-box:8000/v1"),
        ("https://tok3n@gpu-box/v1", "https://***@gpu-box/v1"),
        ("http://h/v1?api_key=tok3n&x=1", "http://h/v1?api_key=***&x=1"),
        ("sqlite:////var/lib/ressenti/ressenti.db", "sqlite:////var/lib/ressenti/ressenti.db"),
        ("http://127.0.0.1:8300/v1", "http://127.0.0.1:8300/v1"),
    ],
)
def test_a_url_is_shown_without_its_secrets(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    assert "s3cr" not in mask_url(url) and "tok3n" not in mask_url(url)


def test_a_key_is_shown_as_a_mask() -> None:
    assert mask("sk-123") == "***"
    assert mask("EMPTY") == mask(None) == ""


def test_the_model_status_never_shows_the_endpoint_s_password(settings: Settings) -> None:
    keyed = settings.model_copy(update={"llm_base_url": "http://user:pw-123@127.0.0.1:9/v1"})
    health = LLMClient(keyed).health()  # nothing listens: the unit tier has no network
    assert not health.reachable
    assert "pw-123" not in health.base_url and "***" in health.base_url


def test_demo_mode_is_on_only_for_the_embedded_default_install(tmp_path: Path) -> None:
    def settings(**values: object) -> Settings:
        return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]

    default = settings()
    assert default.data_dir == _default_data_dir()
    assert default.llm_model_source == EMBEDDED_MODEL
    assert default.demo_active
    assert not settings(data_dir=tmp_path).demo_active  # a data folder of one's own
    assert not settings(llm_model_source="mistralai/Mistral-Small").demo_active  # a real model
    assert not settings(database_url="postgresql+psycopg://h/crm").demo_active
    assert not settings(checkpoint_url="postgresql+psycopg://h/cp").demo_active
    assert not settings(demo_mode=False).demo_active  # RESSENTI_DEMO_MODE=false
    assert settings(data_dir=tmp_path, demo_mode=True).demo_active  # a throwaway folder


def test_demo_mode_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESSENTI_DEMO_MODE", "false")
    assert not Settings(_env_file=None).demo_active  # type: ignore[call-arg]
