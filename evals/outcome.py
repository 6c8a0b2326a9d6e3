"""A finished evaluation run, as the runner hands it to the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evals import scorers
from evals.store import StoredRun


@dataclass
class RunOutcome:
    """A finished run: its record, metrics, and each gate's verdict."""

    run: StoredRun
    score: scorers.Score
    gates: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    ran: int = 0

    @property
    def gates_passed(self) -> bool:
        return all(g["passed"] for g in self.gates)
