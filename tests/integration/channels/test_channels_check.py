"""`ressenti channels check` against the simulator: connected, a wrong token, a missing
webhook secret, Chatwoot down, and no channel configured at all (as `make run` has it)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agents.cli import app
from evals.simulators.chatwoot import ChatwootSimulator

runner = CliRunner()


def check(monkeypatch: pytest.MonkeyPatch, tmp_path, **env: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no .env file
    for name in ("BASE_URL", "API_TOKEN", "WEBHOOK_SECRET"):
        monkeypatch.delenv(f"RESSENTI_CHATWOOT_{name}", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(f"RESSENTI_CHATWOOT_{name}", value)
    monkeypatch.setenv("RESSENTI_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(app, ["channels", "check", "--lang", "en"])
    return result.exit_code, " ".join(result.output.split())


def test_channels_check_says_what_is_wrong(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with ChatwootSimulator(token="tok") as sim:
        code, out = check(
            monkeypatch, tmp_path, BASE_URL=sim.url, API_TOKEN="tok", WEBHOOK_SECRET="s"
        )
        assert code == 0 and "OK chatwoot: connected to" in out and "Ressenti bot" in out
        assert "tok" not in out.replace("token", "")  # the token is never printed
        code, out = check(
            monkeypatch, tmp_path, BASE_URL=sim.url, API_TOKEN="wrong", WEBHOOK_SECRET="s"
        )
        assert code == 1 and "FAILED" in out and "401" in out
        code, out = check(monkeypatch, tmp_path, BASE_URL=sim.url, API_TOKEN="tok")
        assert code == 1 and "RESSENTI_CHATWOOT_WEBHOOK_SECRET is not set" in out
        url = sim.url
    code, out = check(monkeypatch, tmp_path, BASE_URL=url, API_TOKEN="tok", WEBHOOK_SECRET="s")
    assert code == 1 and "unreachable" in out
    code, out = check(monkeypatch, tmp_path)
    assert code == 0 and "not configured" in out and "RESSENTI_CHATWOOT_BASE_URL" in out
