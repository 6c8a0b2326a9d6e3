"""Example briefs of the marketing studio (one French, one English)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent
