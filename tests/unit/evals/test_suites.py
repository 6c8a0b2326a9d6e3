"""Every suite file validates against the one schema; malformed suites are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.runner import load_cases, spread
from evals.schema import CASE_MODELS, SuiteError, available_suites, load_suite

EXPECTED = {
    "emotion",
    "escalation",
    "judge",
    "marketing_compliance",
    "redteam",
    "reply_quality",
    "retrieval",
}


def test_every_kind_has_a_suite_file() -> None:
    assert set(available_suites()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_suite_file_validates_and_its_cases_load(name: str) -> None:
    suite = load_suite(name)
    cases = load_cases(suite)
    assert cases, name
    assert all(isinstance(case, CASE_MODELS[suite.kind]) for case in cases)
    ids = [case.id for case in cases]  # type: ignore[attr-defined]
    assert len(ids) == len(set(ids))
    assert suite.gates, "every suite declares at least one gate"
    langs = {case.lang for case in cases}  # type: ignore[attr-defined]
    assert {"fr", "en"} <= langs, "suites are bilingual"


def test_redteam_has_150_attacks_in_both_languages_and_eight_per_category() -> None:
    from collections import Counter
    from typing import get_args

    from evals.schema import AttackKind

    cases = load_cases(load_suite("redteam"))
    assert len(cases) >= 150
    by_lang = Counter(c.lang for c in cases)  # type: ignore[attr-defined]
    assert min(by_lang["fr"], by_lang["en"]) >= 70, by_lang
    by_kind = Counter(c.attack for c in cases)  # type: ignore[attr-defined]
    assert set(by_kind) == set(get_args(AttackKind))
    assert min(by_kind.values()) >= 8, by_kind
    for kind in by_kind:  # every category in both languages
        assert {c.lang for c in cases if c.attack == kind} == {"fr", "en"}, kind  # type: ignore[attr-defined]
    # the indirect categories plant their poison; multi-turn attacks come second
    for case in cases:
        kind = case.attack  # type: ignore[attr-defined]
        plant = case.plant  # type: ignore[attr-defined]
        if kind == "indirect_kb":
            assert plant is not None and plant.passage is not None, case.id  # type: ignore[attr-defined]
        elif kind == "indirect_crm":
            assert plant is not None and plant.ticket is not None, case.id  # type: ignore[attr-defined]
        else:
            assert plant is None, case.id  # type: ignore[attr-defined]
        if kind == "multi_turn":
            assert len(case.messages) >= 2, case.id  # type: ignore[attr-defined]
    # the 44 attacks of version 1 are kept (ids unchanged, so runs compare case by case)
    ids = {c.id for c in cases}  # type: ignore[attr-defined]
    old = {
        f"{p}-{lang}-{n:02d}"
        for p in ("inj", "oth", "sys", "ges")
        for lang in ("fr", "en")
        for n in range(1, 9)
    }
    assert len(old & ids) == 44


def test_emotion_suite_reuses_the_curated_sets_and_reads_goemotions_only_when_given(
    tmp_path: Path,
) -> None:
    suite = load_suite("emotion")
    cases = load_cases(suite)
    assert {c.source for c in cases} == {"customer_service", "customer_service_holdout"}  # type: ignore[attr-defined]
    folder = tmp_path / "goemotions" / "original"
    folder.mkdir(parents=True)
    (folder / "labels.txt").write_text("anger\nneutral\njoy\n", "utf-8")
    (folder / "test.tsv").write_text("I hate this\t0\tid1\nok then\t1,2\tid2\n", "utf-8")
    with_go = load_cases(suite, tmp_path / "goemotions")
    go = [c for c in with_go if c.source == "goemotions"]  # type: ignore[attr-defined]
    assert [c.labels for c in go] == [["anger"], ["neutral", "satisfaction"]]  # type: ignore[attr-defined]


def test_spread_takes_cases_across_the_whole_suite() -> None:
    cases = load_cases(load_suite("redteam"))
    chosen = spread(cases, 8)
    assert len(chosen) == 8
    assert {c.lang for c in chosen} == {"fr", "en"}  # type: ignore[attr-defined]
    assert len({c.attack for c in chosen}) >= 4  # type: ignore[attr-defined]


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(body, "utf-8")
    return path


HEADER = "name: {name}\nversion: '1'\nkind: {kind}\ndescription: test\n"


@pytest.mark.parametrize(
    ("kind", "cases", "message"),
    [
        (
            "escalation",
            "cases:\n  - {id: a, lang: fr, customer: C00001, messages: [x], escalate: true}",
            "handoff_at",
        ),
        (
            "escalation",
            "cases:\n  - {id: a, lang: fr, customer: C00001, messages: [x], escalate: true,"
            " handoff_at: 3}",
            "one of the messages",
        ),
        (
            "redteam",
            "cases:\n  - {id: a, lang: de, attack: gesture, customer: C1, messages: [x]}",
            "lang",
        ),
        (
            "judge",
            "cases:\n  - {id: a, lang: fr, message: m, reply: r, empathy: 9, tone_fit: 1,"
            " clarity: 1}",
            "empathy",
        ),
        (
            "marketing_compliance",
            "cases:\n  - {id: a, lang: fr, subject: s, body: b}"
            "\n  - {id: a, lang: en, subject: s, body: b}",
            "duplicate id",
        ),
        ("redteam", "cases: []", "cases or sources"),
    ],
)
def test_malformed_suites_are_refused_with_the_reason(
    tmp_path: Path, kind: str, cases: str, message: str
) -> None:
    path = _write(tmp_path, "broken", HEADER.format(name="broken", kind=kind) + cases)
    with pytest.raises(SuiteError, match=message):
        load_suite(path)


def test_unknown_suite_names_the_known_ones() -> None:
    with pytest.raises(SuiteError, match="known suites: emotion"):
        load_suite("nope")


def test_suite_name_must_match_its_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "one",
        HEADER.format(name="other", kind="judge")
        + "cases:\n  - {id: a, lang: fr, message: m, reply: r, empathy: 1, tone_fit: 1,"
        " clarity: 1}",
    )
    with pytest.raises(SuiteError, match="differs from its file name"):
        load_suite(path)
