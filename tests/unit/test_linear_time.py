"""The cue, check and compliance patterns take time linear in their input, adversarial too.

Customer messages, drafts and e-mails are untrusted, so a message crafted for a regex
(8,000 "!", a run of digits, a long word before no "@", a cue repeated a thousand times)
must not stall a turn. No absolute timing here: each input is timed at a size n and at 8n
in the same run (best of a few tries, so a busy machine does not count), and the work may
grow about 8 times, not the 64 times of a quadratic pattern. A generous bound (24 times, plus
a few milliseconds for timer noise on tiny inputs) still tells the two apart by far: the
quadratic patterns fixed here took seconds at 8,000 characters.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

from agents.emotion import cues, lang
from agents.marketing import compliance
from agents.support import check, closing

SMALL = 500
"""Characters of the small input of one pattern (the large one has 8 times as many)."""
SMALL_TEXT = 2_000
"""Characters of the small input of a whole reader or check: below that, fixed costs and
the processor's caches make the growth of a few milliseconds look anything but linear."""
FACTOR = 8
MAX_GROWTH = 24.0
"""Linear work grows ~8 times from n to 8n; quadratic work ~64 times."""
SLACK_S = 0.005
UNITS = (
    "!",
    "1",
    "_",
    "a",
    "A",
    " ",
    "'",
    "\n",
    "€",
    "-",
    ".",
    "é",
    "a@",
    "1,",
    "a.",
    "+33 ",
    "hello ",
    "je ne veux pas resilier ",
    "i want to cancel, ",
    "speak to a human ",
    "geste 1",
)
"""Runs of one character of each kind the patterns treat specially, and repeated cues."""


def _best_time(work: Callable[[], object], tries: int = 2) -> float:
    """The least processor time of this thread over a few tries: time spent waiting for a
    core that other processes hold does not count."""
    best = float("inf")
    for _ in range(tries):
        start = time.thread_time()
        work()
        best = min(best, time.thread_time() - start)
    return best


def _grows_linearly(
    work: Callable[[str], object], unit: str, size: int = SMALL
) -> tuple[bool, float, float]:
    small = unit * max(1, size // len(unit))
    big = small * FACTOR
    t_small = _best_time(lambda: work(small))
    t_big = _best_time(lambda: work(big))
    for _ in range(2):
        if t_big <= MAX_GROWTH * t_small + SLACK_S:
            break
        # again, in case the machine was busy during one of the measures
        t_small = min(t_small, _best_time(lambda: work(small), tries=4))
        t_big = min(t_big, _best_time(lambda: work(big), tries=4))
    return t_big <= MAX_GROWTH * t_small + SLACK_S, t_small, t_big


def _patterns(module: ModuleType) -> Iterator[tuple[str, re.Pattern[str]]]:
    """Every compiled pattern a module holds, in its globals or in lists, dicts and the
    rules (dataclasses) it keeps there."""

    def walk(name: str, value: object, depth: int) -> Iterator[tuple[str, re.Pattern[str]]]:
        if isinstance(value, re.Pattern):
            yield name, value
        elif depth < 3 and isinstance(value, tuple | list):
            for index, item in enumerate(value):
                yield from walk(f"{name}[{index}]", item, depth + 1)
        elif depth < 3 and isinstance(value, dict):
            for key, item in value.items():
                yield from walk(f"{name}[{key!r}]", item, depth + 1)
        elif depth < 3 and isinstance(value, cues.CueRule):
            yield f"{name}:{value.signal}", value.pattern

    for name, value in vars(module).items():
        yield from walk(f"{module.__name__}.{name}", value, 0)


PATTERNS = [p for module in (cues, check, closing, compliance, lang) for p in _patterns(module)]


def test_the_patterns_are_all_found() -> None:
    names = [name for name, _ in PATTERNS]
    assert len([n for n in names if n.startswith("agents.emotion.cues.RULES")]) == len(cues.RULES)
    assert {"agents.support.check.AMOUNT", "agents.support.check.EMAIL"} <= set(names)
    assert len(PATTERNS) > 150


def test_every_pattern_takes_linear_time_on_adversarial_runs() -> None:
    slow = []
    for name, pattern in PATTERNS:
        for unit in UNITS:
            linear, t_small, t_big = _grows_linearly(lambda s, p=pattern: list(p.finditer(s)), unit)
            if not linear:
                slow.append(f"{name} on {unit!r}: {t_small * 1e3:.2f} ms → {t_big * 1e3:.2f} ms")
    assert not slow


@pytest.mark.parametrize(
    "unit", ["!", "1", "a", " ", "'", "a@", "€", "hello ", "speak to a human "]
)
def test_find_cues_takes_linear_time(unit: str) -> None:
    linear, t_small, t_big = _grows_linearly(cues.find_cues, unit, SMALL_TEXT)
    assert linear, f"{t_small * 1e3:.2f} ms at {SMALL_TEXT} characters, {t_big * 1e3:.2f} ms at 8×"


def test_many_negated_cues_take_linear_time() -> None:
    """Each negatable hit looks back over its clause: once per text, not once per hit."""
    linear, t_small, t_big = _grows_linearly(
        cues.find_cues, "je ne veux pas resilier et ", SMALL_TEXT
    )
    assert linear, f"{t_small * 1e3:.2f} ms → {t_big * 1e3:.2f} ms"
    hits = cues.find_cues("je ne veux pas resilier et " * 10 + "je vais resilier")
    assert "threatens_to_leave" in hits.flags  # the one threat not negated still counts
    assert [e.start for e in hits.evidence if e.signal == "threatens_to_leave"] == [
        len("je ne veux pas resilier et ") * 10 + len("je vais ")
    ]


@pytest.mark.parametrize("unit", ["1", "_", "a@", "geste 1", "x.y@", "€1"])
def test_the_draft_check_takes_linear_time(unit: str) -> None:
    linear, t_small, t_big = _grows_linearly(
        lambda draft: check.check_draft(draft, [], "", [], 50.0, "fr"), unit, SMALL_TEXT
    )
    assert linear, f"{t_small * 1e3:.2f} ms → {t_big * 1e3:.2f} ms"


def test_the_fixed_patterns_still_find_what_they_found() -> None:
    assert [
        m.group(0) for m in check.AMOUNT.finditer("un geste de 12,50 € puis €30 et 1.234,5 €")
    ] == [
        "12,50 €",
        "€30",
        "234,5 €",
    ]
    assert check.EMAIL.findall("écrivez à jean.dupont+sav@example.co.uk, pas à @x.fr.") == [
        "jean.dupont+sav@example.co.uk"
    ]
    assert cues.find_cues("Bonjour !!! Pourriez-vous m'aider ?").label_boosts.get("neutral") == 1.0
    assert "neutral" not in cues.find_cues("!" * 8_000).label_boosts
