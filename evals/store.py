"""Stored evaluation runs: one folder per run under `<data_dir>/evals/runs/<run id>/`.

- `run.json`: the manifest (suite name, version and file hash, git commit, model, prompts'
  hashes, policy and thresholds hash, options, status, metrics and gates once finished);
- `cases.jsonl`: one line per finished case, appended and flushed as each case ends, so an
  interrupted run keeps what it did and a rerun of the same run skips those cases;
- `report.json` and the figures (`*.png`) written when the run finishes.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agents.core.config import Settings


class RunNotFoundError(LookupError):
    """No stored run with that id (or prefix)."""


def _hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def prompts_hashes() -> dict[str, str]:
    """sha256 (16 hex) of every prompt template file, by template name."""
    from prompts import available

    folder = Path(__file__).resolve().parents[1] / "prompts" / "templates"
    return {
        name: _hash_bytes((folder / f"{name}.yaml").read_bytes())
        for name in available()
        if (folder / f"{name}.yaml").is_file()
    }


def policy_hash(settings: Settings) -> str:
    """Hash of the escalation policy file and of every threshold in the settings."""
    from importlib import resources

    path = settings.escalation_policy_path
    policy = (
        path.read_bytes()
        if path
        else resources.files("agents.support").joinpath("escalation_policy.yaml").read_bytes()
    )
    knobs = json.dumps(thresholds(settings), sort_keys=True).encode()
    return _hash_bytes(policy + b"\0" + knobs)


def thresholds(settings: Settings) -> dict[str, Any]:
    return {
        "escalation_policy_path": str(settings.escalation_policy_path or "default"),
        "retrieval_min_score": settings.retrieval_min_score,
        "emotion_deep_enabled": settings.emotion_deep_enabled,
        "emotion_deep_weight": settings.emotion_deep_weight,
        "emotion_strong_score": settings.emotion_strong_score,
        "embedder": settings.embedder,
        "llm_temperature": settings.llm_temperature,
        "llm_max_tokens": settings.llm_max_tokens,
    }


def git_commit() -> str:
    """The checkout's commit (with `+dirty` when it has uncommitted changes), or `unknown`."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


@dataclass
class StoredRun:
    """One run's folder: its manifest and its case records."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.manifest["run_id"])

    @property
    def cases_path(self) -> Path:
        return self.folder / "cases.jsonl"

    def records(self) -> list[dict[str, Any]]:
        """Case records; the last record of a case wins (a retried error replaces the first)."""
        if not self.cases_path.is_file():
            return []
        by_id: dict[str, dict[str, Any]] = {}
        for line in self.cases_path.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash mid-write: that case runs again
            by_id[record["id"]] = record
        return list(by_id.values())

    def done_ids(self) -> set[str]:
        """Cases finished without error (an errored case is run again on resume)."""
        return {r["id"] for r in self.records() if r.get("error") is None}

    def save_manifest(self) -> None:
        tmp = self.folder / "run.json.tmp"
        tmp.write_text(json.dumps(self.manifest, indent=2, ensure_ascii=False), "utf-8")
        tmp.replace(self.folder / "run.json")


class RunStore:
    """All stored runs of a data folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RunStore:
        return cls(settings.data_dir / "evals" / "runs")

    def create(self, manifest: dict[str, Any], run_id: str | None = None) -> StoredRun:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        run_id = (
            run_id
            or f"{manifest['suite']}-{stamp}-{_hash_bytes(str(datetime.now(UTC)).encode())[:4]}"
        )
        folder = self.root / run_id
        folder.mkdir(parents=True, exist_ok=False)
        run = StoredRun(folder, {"run_id": run_id, **manifest})
        run.save_manifest()
        return run

    def append(self, run: StoredRun, record: dict[str, Any]) -> None:
        """Add one finished case to the run file (written and flushed at once)."""
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        with self._lock, run.cases_path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()

    def runs(self) -> list[StoredRun]:
        """Every stored run, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for manifest in self.root.glob("*/run.json"):
            try:
                found.append(StoredRun(manifest.parent, json.loads(manifest.read_text("utf-8"))))
            except (OSError, json.JSONDecodeError):
                continue
        return sorted(found, key=lambda r: (str(r.manifest.get("started_at", "")), r.id))

    def get(self, run_id: str) -> StoredRun:
        """A run by id, by unique prefix, or `latest` / `latest:<suite>`."""
        runs = self.runs()
        if run_id == "latest" or run_id.startswith("latest:"):
            suite = run_id.partition(":")[2]
            chosen = [r for r in runs if not suite or r.manifest.get("suite") == suite]
            if chosen:
                return chosen[-1]
            raise RunNotFoundError(f"no stored run{' of ' + suite if suite else ''}")
        exact = [r for r in runs if r.id == run_id]
        if exact:
            return exact[0]
        matches = [r for r in runs if r.id.startswith(run_id)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise RunNotFoundError(
                f"{run_id!r} matches several runs: {', '.join(r.id for r in matches)}"
            )
        raise RunNotFoundError(f"no stored run {run_id!r} in {self.root}")

    def latest_unfinished(self, suite: str) -> StoredRun | None:
        unfinished = [
            r
            for r in self.runs()
            if r.manifest.get("suite") == suite and r.manifest.get("status") != "finished"
        ]
        return unfinished[-1] if unfinished else None
