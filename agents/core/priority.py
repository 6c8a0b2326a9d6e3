"""How urgently a person must look at a conversation: one scale for every queue."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, TypeGuard

Priority = Literal["normal", "high", "urgent"]
"""The priority of a support turn, its approval request and its handoff."""

PRIORITY_RANK: dict[Priority, int] = {"normal": 0, "high": 1, "urgent": 2}
"""Each priority's rank: the higher, the more urgent."""


def is_priority(value: object) -> TypeGuard[Priority]:
    """Whether `value` is one of the priorities."""
    return value in PRIORITY_RANK


def priority_rank(value: str) -> int:
    """The rank of a priority; below every priority (-1) for a value that is none."""
    return PRIORITY_RANK[value] if is_priority(value) else -1


def most_urgent(priorities: Iterable[Priority], default: Priority = "normal") -> Priority:
    """The most urgent of `priorities`, or `default` when there are none."""
    return max(priorities, key=PRIORITY_RANK.__getitem__, default=default)


def most_urgent_first(value: str) -> int:
    """A sort key putting the most urgent priority first (and unknown values last)."""
    return -priority_rank(value)
