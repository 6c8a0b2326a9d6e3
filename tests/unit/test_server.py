"""Server control: the command per device, pid records, stopping what was started."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict

import pytest

from agents.core.config import Settings
from agents.llm import runtime, server
from agents.llm.server import ServerRecord, ServerStartError


def _command(settings: Settings, device: runtime.Device) -> tuple[list[str], dict[str, str]]:
    env = runtime.ServerEnv(device, settings.runtime_path / "envs" / "x")
    model_dir = settings.runtime_path / "models" / "m"
    model_dir.mkdir(parents=True, exist_ok=True)
    return server.server_command(settings, env, str(model_dir))


def test_cpu_command_uses_the_module_entry_point_and_cpu_flags(settings: Settings) -> None:
    argv, env = _command(settings, "cpu")
    assert argv[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    assert argv[argv.index("--served-model-name") + 1] == settings.llm_model
    assert argv[argv.index("--port") + 1] == str(settings.llm_port)
    assert argv[argv.index("--max-model-len") + 1] == str(settings.llm_max_model_len)
    assert "--enforce-eager" in argv and "--enable-prefix-caching" in argv
    assert env["VLLM_CPU_KVCACHE_SPACE"] == str(settings.llm_cpu_kvcache_gib)
    assert env["HF_HUB_OFFLINE"] == "1"


def test_cuda_command_sets_gpu_memory_and_keeps_compiled_graphs(settings: Settings) -> None:
    argv, env = _command(settings, "cuda")
    assert argv[argv.index("--gpu-memory-utilization") + 1] == "0.85"
    assert "--enforce-eager" not in argv
    assert "VLLM_CPU_KVCACHE_SPACE" not in env


def test_hub_model_may_be_fetched_by_the_server(settings: Settings) -> None:
    env = runtime.ServerEnv("cuda", settings.runtime_path / "envs" / "x")
    _, extra = server.server_command(settings, env, "mistralai/Mistral-Small-Instruct")
    assert "HF_HUB_OFFLINE" not in extra


def test_api_key_is_passed_by_environment_never_on_the_command_line(settings: Settings) -> None:
    keyed = settings.model_copy(update={"llm_api_key": "s3cret"})
    argv, env = _command(keyed, "cpu")
    assert env["VLLM_API_KEY"] == "s3cret"  # vLLM reads it when no --api-key is given
    assert "--api-key" not in argv
    assert not any("s3cret" in part for part in argv)  # argv shows in `ps` and vLLM's log
    _, unkeyed = _command(settings, "cpu")
    assert "VLLM_API_KEY" not in unkeyed


def _record(settings: Settings, pid: int) -> None:
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    record = ServerRecord(pid, "cpu", settings.llm_base_url, settings.llm_model, "", time.time())
    server.pid_file(settings).write_text(json.dumps(asdict(record)))


def test_stop_ends_the_recorded_process_group(settings: Settings) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True
    )
    _record(settings, child.pid)

    assert server.stop(settings, report=lambda _: None) is True
    assert child.wait(timeout=10) is not None
    assert not server.pid_file(settings).exists()


def test_stop_without_a_record_says_so(settings: Settings) -> None:
    said: list[str] = []
    assert server.stop(settings, report=said.append) is False
    assert said == ["No vLLM server started by Ressenti is recorded."]


def test_stop_of_a_dead_process_cleans_the_record(settings: Settings) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    _record(settings, child.pid)
    assert server.stop(settings, report=lambda _: None) is False
    assert not server.pid_file(settings).exists()


def test_start_up_failure_reports_the_log_tail(settings: Settings) -> None:
    log = settings.data_dir / "vllm.log"
    log.parent.mkdir(parents=True)
    log.write_text("loading…\nValueError: no model found at /nowhere\n")
    with pytest.raises(ServerStartError, match="no model found"):
        server.wait_until_healthy(settings, 30, lambda: False, log, report=lambda _: None)


def test_start_up_timeout_is_reported(settings: Settings) -> None:
    with pytest.raises(ServerStartError, match="not healthy after"):
        server.wait_until_healthy(settings, 0.1, lambda: True, None, report=lambda _: None)


def test_status_of_nothing(settings: Settings) -> None:
    state = server.status(settings)
    assert not state.ready and state.record is None and not state.process_alive
