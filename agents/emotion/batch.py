"""Reading a JSONL file of messages into a JSONL file of readings, in constant memory.

Each input line is `{"id": ..., "text": "...", "lang": "fr"|"en" (optional)}`; each output
line is the same `id` followed by the full reading. A line that cannot be read (not JSON,
not an object, no id, no text, unknown language) is reported with its number and reason
and skipped: the run goes on and loses nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.emotion.deep import DeepReader
from agents.emotion.fast import FastReader
from agents.emotion.fusion import fuse
from agents.llm.client import LLMError

DEFAULT_BATCH_SIZE = 64


@dataclass(frozen=True)
class MessageLine:
    number: int
    id: Any
    text: str
    lang: Lang | None


@dataclass(frozen=True)
class BadLine:
    number: int
    reason: str


@dataclass
class BatchSummary:
    read: int = 0
    written: int = 0
    bad: int = 0
    deep_fallbacks: int = 0


def parse_line(number: int, line: str) -> MessageLine | BadLine | None:
    """One input line as a message, a bad line with its reason, or None for a blank line."""
    if not line.strip():
        return None
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as error:
        return BadLine(number, f"not valid JSON ({error.msg} at column {error.colno})")
    if not isinstance(raw, dict):
        return BadLine(number, "not a JSON object")
    if "id" not in raw or raw["id"] is None or isinstance(raw["id"], dict | list):
        return BadLine(number, "missing or invalid 'id' (a string or a number)")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        return BadLine(number, "missing or empty 'text'")
    lang = raw.get("lang")
    if lang is not None and lang not in ("fr", "en"):
        return BadLine(number, f"unsupported 'lang' {lang!r} (expected 'fr' or 'en')")
    return MessageLine(number, raw["id"], text, lang)


def batches(
    lines: Iterable[str], size: int, on_bad: Callable[[BadLine], None]
) -> Iterator[list[MessageLine]]:
    """Valid messages in batches of `size`; bad lines go to `on_bad` as they are met."""
    batch: list[MessageLine] = []
    for number, line in enumerate(lines, start=1):
        parsed = parse_line(number, line)
        if isinstance(parsed, BadLine):
            on_bad(parsed)
        elif parsed is not None:
            batch.append(parsed)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def output_line(message: MessageLine, reading: EmotionReading) -> str:
    """The output JSON line: the input's id, then every field of the reading."""
    return json.dumps({"id": message.id, **reading.model_dump(mode="json")}, ensure_ascii=False)


def read_file(
    lines: Iterable[str],
    output: TextIO,
    fast_reader: FastReader,
    *,
    deep_reader: DeepReader | None = None,
    deep_weight: float = 0.3,
    strong_score: float = 0.6,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_bad: Callable[[BadLine], None] = lambda bad: None,
    on_batch: Callable[[int], None] = lambda count: None,
) -> BatchSummary:
    """Read every message of `lines` and write one output line each to `output`."""
    summary = BatchSummary()

    def bad(line: BadLine) -> None:
        summary.bad += 1
        on_bad(line)

    for batch in batches(lines, batch_size, bad):
        summary.read += len(batch)
        readings = fast_reader.read_batch([m.text for m in batch], [m.lang for m in batch])
        for message, fast in zip(batch, readings, strict=True):
            reading = fast
            if deep_reader is not None:
                try:
                    deep = deep_reader.read(message.text, fast.lang)
                    reading = fuse(fast, deep, deep_weight=deep_weight, strong_score=strong_score)
                except LLMError:
                    summary.deep_fallbacks += 1
            output.write(output_line(message, reading) + "\n")
            summary.written += 1
        on_batch(len(batch))
    return summary
