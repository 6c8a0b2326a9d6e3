"""Retrieval eval: labelled questions (data) → knowledge-base search (task) → recall@k and MRR.

`questions.jsonl` holds one question a line: `id`, `lang`, `question`, `expected` (document ids
any of which answers it; empty for probes that nothing should answer), `cross_lingual` (the
question's language differs from every expected document's) and, for probes, `probe`
(`off-topic`, or `near-domain`: plausible for the company but not covered). A question is a
hit at k when a passage of an expected document is among the first k passages; its reciprocal
rank is 1/rank of the first such passage (0 when none is in the results). The probes measure
the confidence threshold: how many are wrongly judged answerable.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from tools.kb.search import KnowledgeBase, RetrievalResult

QUESTIONS_PATH = Path(__file__).with_name("questions.jsonl")


class LabelledQuestion(BaseModel):
    id: str
    lang: str
    question: str
    expected: list[str] = Field(default_factory=list)
    cross_lingual: bool = False
    probe: Literal["off-topic", "near-domain"] | None = None
    """For unanswerable probes: far from the domain, or close to it but not covered."""


def load_questions(path: Path = QUESTIONS_PATH) -> list[LabelledQuestion]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [LabelledQuestion.model_validate_json(line) for line in lines if line.strip()]


@dataclass(frozen=True)
class QuestionOutcome:
    question: LabelledQuestion
    ranked_docs: tuple[str, ...]
    top_score: float
    confident: bool

    def rank(self) -> int | None:
        """1-based rank of the first passage from an expected document."""
        for position, doc_id in enumerate(self.ranked_docs, start=1):
            if doc_id in self.question.expected:
                return position
        return None


def _ratio(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


@dataclass
class RetrievalScores:
    k: int
    outcomes: list[QuestionOutcome] = field(default_factory=list)

    @property
    def answerable(self) -> list[QuestionOutcome]:
        return [o for o in self.outcomes if o.question.expected]

    @property
    def off_topic(self) -> list[QuestionOutcome]:
        return [o for o in self.outcomes if not o.question.expected]

    def recall(self, outcomes: Sequence[QuestionOutcome] | None = None) -> float:
        chosen = self.answerable if outcomes is None else outcomes
        return _ratio([1.0 if (r := o.rank()) is not None and r <= self.k else 0.0 for o in chosen])

    def mrr(self, outcomes: Sequence[QuestionOutcome] | None = None) -> float:
        chosen = self.answerable if outcomes is None else outcomes
        return _ratio([1.0 / r if (r := o.rank()) is not None else 0.0 for o in chosen])

    def slices(self) -> dict[str, list[QuestionOutcome]]:
        answerable = self.answerable
        return {
            "all": answerable,
            "fr": [o for o in answerable if o.question.lang == "fr"],
            "en": [o for o in answerable if o.question.lang == "en"],
            "cross-lingual": [o for o in answerable if o.question.cross_lingual],
        }

    def confident_answerable(self) -> float:
        """Share of answerable questions whose search is judged confident."""
        return _ratio([1.0 if o.confident else 0.0 for o in self.answerable])

    def confident_off_topic(self, probe: str | None = None) -> float:
        """Share of probes (all, or one `probe` kind) wrongly judged confident (lower is better)."""
        chosen = [o for o in self.off_topic if probe is None or o.question.probe == probe]
        return _ratio([1.0 if o.confident else 0.0 for o in chosen])

    def misses(self) -> list[QuestionOutcome]:
        return [o for o in self.answerable if (r := o.rank()) is None or r > self.k]


def outcome(question: LabelledQuestion, result: RetrievalResult) -> QuestionOutcome:
    return QuestionOutcome(
        question=question,
        ranked_docs=tuple(passage.doc_id for passage in result.passages),
        top_score=result.top_score,
        confident=result.confident,
    )


def evaluate(
    kb: KnowledgeBase, questions: Sequence[LabelledQuestion], k: int = 5
) -> RetrievalScores:
    """Search every question (no language filter: answers may be in the other language)."""
    scores = RetrievalScores(k=k)
    for question in questions:
        scores.outcomes.append(outcome(question, kb.search(question.question, k=k)))
    return scores
