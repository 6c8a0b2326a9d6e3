"""Crash points for the fault-injection tests: a process told to (setting `crash_at`)
kills itself with SIGKILL at the named point, as `kill -9` would, leaving every open
transaction, lease and checkpoint as a real crash leaves them."""

from __future__ import annotations

import os
import signal

from agents.core.config import Settings

CRASH_POINTS = ("after_claim", "before_apply", "after_apply", "after_send")
"""After a worker claimed a turn; after a decision was claimed, before its effects; after
the effects, before the graph's checkpoint; after a channel took a message, before the
outbox row says so."""


def crash_point(settings: Settings, name: str) -> None:
    """Dies here, at once and uncleanly, when `settings.crash_at` names this point."""
    if settings.crash_at == name:
        os.kill(os.getpid(), signal.SIGKILL)
