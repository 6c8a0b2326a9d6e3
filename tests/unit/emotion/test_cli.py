"""`ressenti emotion`: the JSONL contract and the handling of bad lines."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.cli import app
from agents.core.emotion import LABELS
from agents.emotion.batch import parse_line, read_file
from agents.emotion.fast import FastReader

READING_KEYS = {"label", "scores", "valence", "intensity", "effort", "urgency", "flags", "evidence"}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_reads_good_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    source = write_lines(
        tmp_path / "in.jsonl",
        [
            json.dumps({"id": "a", "text": "Je veux parler à un conseiller, c'est la 3e fois !"}),
            "{not json",
            json.dumps({"id": 7, "text": "Thanks a lot, all sorted.", "lang": "en"}),
            json.dumps({"text": "no id"}),
            "",
            json.dumps(["a", "list"]),
            json.dumps({"id": "b", "text": "   "}),
            json.dumps({"id": "c", "text": "Hola", "lang": "es"}),
            json.dumps({"id": "d", "text": "Mon avocat vous écrira.", "lang": "fr"}),
        ],
    )
    target = tmp_path / "out" / "readings.jsonl"
    result = CliRunner().invoke(app, ["emotion", "--input", str(source), "--output", str(target)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["a", 7, "d"]
    for row in rows:
        assert set(row) >= READING_KEYS
        assert set(row["scores"]) == set(LABELS)
        assert row["label"] in LABELS
    assert rows[0]["flags"]["asks_for_human"] is True
    assert rows[0]["lang"] == "fr"
    assert rows[1]["label"] == "satisfaction"
    assert rows[2]["flags"]["legal_threat"] is True
    for number, reason in [
        (2, "not valid JSON"),
        (4, "missing or invalid 'id'"),
        (6, "not a JSON object"),
        (7, "missing or empty 'text'"),
        (8, "unsupported 'lang'"),
    ]:
        assert f"line {number}: skipped, {reason}" in result.output
    assert "3 reading(s) written" in result.output
    assert "5 bad line(s) skipped" in result.output


def test_cli_refuses_a_missing_input_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["emotion", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "No input file" in result.output


def test_reading_streams_in_batches(fast_reader: FastReader) -> None:
    lines = (json.dumps({"id": i, "text": f"Message numéro {i}, merci."}) for i in range(10))
    output = io.StringIO()
    seen: list[int] = []
    summary = read_file(lines, output, fast_reader, batch_size=4, on_batch=seen.append)
    assert seen == [4, 4, 2]
    assert summary.written == 10
    assert summary.bad == 0
    assert len(output.getvalue().splitlines()) == 10


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": {"x": 1}, "text": "t"}', "invalid 'id'"),
        ('{"id": 1, "text": 5}', "empty 'text'"),
        ("[1]", "not a JSON object"),
    ],
)
def test_parse_line_reasons(line: str, reason: str) -> None:
    parsed = parse_line(3, line)
    assert parsed is not None
    assert hasattr(parsed, "reason")
    assert reason in parsed.reason  # type: ignore[union-attr]
    assert parse_line(4, "   ") is None


def test_the_group_without_arguments_shows_its_commands() -> None:
    result = CliRunner().invoke(app, ["emotion"])
    assert result.exit_code == 0
    assert "goemotions-eval" in result.output
    assert "eval" in result.output


def test_deep_mode_without_a_server_falls_back_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESSENTI_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RESSENTI_DATA_DIR", str(tmp_path / "data"))
    source = write_lines(tmp_path / "in.jsonl", [json.dumps({"id": 1, "text": "Mon avocat !"})])
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["emotion", "-i", str(source), "-o", str(target), "--deep"])
    assert result.exit_code == 0, result.output
    row = json.loads(target.read_text(encoding="utf-8"))
    assert row["source"] == "fast"
    assert row["flags"]["legal_threat"] is True
    assert "1 deep reading(s) fell back on the fast reader" in result.output
