"""The difference between what the assistant drafted and what a person approved."""

from __future__ import annotations

import difflib


def edit_diff(draft: str, final: str) -> str:
    """Unified diff from the assistant's draft to what the human approved ('' if equal)."""
    if draft == final:
        return ""
    lines = difflib.unified_diff(
        draft.splitlines(keepends=True),
        final.splitlines(keepends=True),
        fromfile="draft",
        tofile="final",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
