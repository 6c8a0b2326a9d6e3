"""Model profiles: which profile a model gets, what it trusts, how the client samples it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.cli import app
from agents.core.config import Settings
from agents.core.profiles import CAPABILITIES, ProfileError, profile_book, profile_for, profile_of
from agents.llm.client import LLMClient, sampling_params


def test_the_embedded_model_trusts_nothing_that_decides() -> None:
    profile = profile_of(Settings(_env_file=None))  # type: ignore[call-arg]
    assert profile.name == "embedded-smollm2-135m"
    assert not any(profile.trusts(c) for c in CAPABILITIES)
    # served under another name, the embedded source still tells
    assert profile_for("my-model", "embedded:smollm2-135m-instruct").name == profile.name


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("mistralai/Mistral-Small-3.1-24B-Instruct-2503", "mistral-small-24b"),
        ("mistral-small", "mistral-small-24b"),
        ("Qwen/Qwen2.5-7B-Instruct", "qwen-7b-8b"),
        ("Qwen/Qwen3-8B", "qwen-7b-8b"),
        ("meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b"),
    ],
)
def test_the_recommended_gpu_models_are_trusted(model: str, expected: str) -> None:
    profile = profile_for(model)
    assert profile.name == expected
    assert all(profile.trusts(c) for c in CAPABILITIES)


def test_an_unknown_model_gets_the_cautious_default() -> None:
    profile = profile_for("some-other-model-70b")
    assert profile.name == profile_book().default == "cautious"
    assert profile.trusts("free_drafting")
    assert not profile.trusts("assessment")
    assert not profile.trusts("summaries")
    assert not profile.trusts("deep_reading")


def test_the_served_name_wins_over_the_default_source() -> None:
    """A remote endpoint keeps the default (embedded) source: its served name decides."""
    settings = Settings(llm_model="Qwen/Qwen2.5-7B-Instruct", _env_file=None)  # type: ignore[call-arg]
    assert profile_of(settings).name == "qwen-7b-8b"


def test_a_profile_can_be_forced_by_name_and_a_wrong_name_is_refused() -> None:
    forced = Settings(llm_profile="cautious", _env_file=None)  # type: ignore[call-arg]
    assert profile_of(forced).name == "cautious"
    with pytest.raises(ProfileError, match="known: embedded-smollm2-135m"):
        profile_of(Settings(llm_profile="nope", _env_file=None))  # type: ignore[call-arg]
    with pytest.raises(ProfileError):
        profile_of(forced).trusts("everything")  # type: ignore[arg-type]


def test_the_client_samples_as_the_profile_says_unless_the_settings_do() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    params = sampling_params(settings, profile_of(settings))
    assert params["extra_body"] == {"repetition_penalty": 1.2}  # vLLM's, in the extra body
    assert params["frequency_penalty"] == 0.3
    assert params["max_completion_tokens"] == 256
    own = Settings(llm_temperature=0.7, llm_max_tokens=100, _env_file=None)  # type: ignore[call-arg]
    params = sampling_params(own, profile_of(own))
    assert (params["temperature"], params["max_completion_tokens"]) == (0.7, 100)
    cautious = sampling_params(settings, profile_book().named("cautious"))
    assert "extra_body" not in cautious  # an endpoint that may not be vLLM gets no vLLM field
    client = LLMClient(settings)
    assert client.profile.name == "embedded-smollm2-135m"
    built = client.chat_model.model_dump()
    assert built["extra_body"] == {"repetition_penalty": 1.2}
    assert built["frequency_penalty"] == 0.3


def test_llm_status_names_the_profile(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"RESSENTI_DATA_DIR": str(tmp_path), "RESSENTI_LLM_BASE_URL": "http://127.0.0.1:9/v1"}
    plain = runner.invoke(app, ["llm", "status"], env=env)
    assert "model profile: embedded-smollm2-135m" in plain.output
    as_json = runner.invoke(app, ["llm", "status", "--json"], env=env)
    assert '"name": "embedded-smollm2-135m"' in as_json.output
    assert '"trusts": []' in as_json.output
