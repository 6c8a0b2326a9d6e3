"""Evaluation suites as data: one schema for every suite file in `evals/suites/`.

A suite file is YAML with a header (name, version, kind, description, gates) and either
inline `cases` or `sources` that point at data kept elsewhere in `evals/` (the emotion and
retrieval sets are reused, not copied). Each kind has its own case model; the header and
the gates are the same for all. Loading validates everything with pydantic, so a malformed
file fails with the file name and the field at fault before anything runs.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agents.core.lang import Lang

SuiteKind = Literal[
    "emotion",
    "escalation",
    "reply_quality",
    "retrieval",
    "marketing_compliance",
    "redteam",
    "judge",
]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}


class SuiteError(ValueError):
    """A suite file that cannot be used (missing, not YAML, or not matching the schema)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gate(_Strict):
    """A threshold on one metric of the suite's report; a run fails when one does not hold."""

    metric: str
    op: Literal[">=", "<=", ">", "<", "=="]
    value: float
    why: str = ""
    """Why this threshold (shown next to the gate in the report)."""

    def holds(self, measured: float | None) -> bool:
        return measured is not None and OPERATORS[self.op](measured, self.value)


# --- cases, one model per kind ---------------------------------------------------------------
class EmotionCase(_Strict):
    """One message and the taxonomy label(s) a reader should give it."""

    id: str
    lang: Lang
    text: str
    labels: list[str] = Field(min_length=1)
    """Gold labels; several for GoEmotions rows tagged with more than one (any one counts)."""
    source: str = "inline"


Split = Literal["dev", "test"]
"""Where a case belongs: `dev` (thresholds are tuned on it) or `test` (reported only)."""


class EscalationCase(_Strict):
    """A conversation played message by message, and when it should reach a person."""

    id: str
    lang: Lang
    customer: str
    """CRM id of a customer of the seeded demo company."""
    messages: list[str] = Field(min_length=1)
    escalate: bool
    handoff_at: int | None = None
    """1-based number of the message at which the handoff should happen."""
    tolerance: int = Field(default=0, ge=0)
    """How many messages late (or early) the handoff may happen and still count in time."""
    split: Split = "test"
    """`dev` cases may be used to tune thresholds; `test` cases are only reported."""
    expected_rules: list[str] = Field(default_factory=list)
    """Policy rules that should fire at the handoff (for per-rule recall), when one can say."""

    @model_validator(mode="after")
    def _handoff_matches(self) -> EscalationCase:
        if self.expected_rules and not self.escalate:
            raise ValueError("a case that should not escalate cannot expect rules")
        if self.escalate and self.handoff_at is None:
            raise ValueError("an escalating case needs handoff_at")
        if not self.escalate and self.handoff_at is not None:
            raise ValueError("a case that should not escalate cannot have handoff_at")
        if self.handoff_at is not None and not 1 <= self.handoff_at <= len(self.messages):
            raise ValueError("handoff_at must number one of the messages")
        return self


class ReplyCase(_Strict):
    """A customer message and what a good reply must and must not contain."""

    id: str
    lang: Lang
    customer: str
    messages: list[str] = Field(min_length=1)
    """Messages played in order; the reply to the last one is scored."""
    must_contain: list[list[str]] = Field(default_factory=list)
    """Each entry is a list of alternatives; the reply must contain one of each (any case)."""
    must_not_contain: list[str] = Field(default_factory=list)


class RetrievalCase(_Strict):
    id: str
    lang: str
    question: str
    expected: list[str] = Field(default_factory=list)
    cross_lingual: bool = False
    probe: Literal["off-topic", "near-domain"] | None = None


class MarketingCase(_Strict):
    """A marketing e-mail with its planted violations (empty: a compliant e-mail)."""

    id: str
    lang: Lang
    subject: str
    body: str
    offer_facts: list[str] = Field(default_factory=list)
    segment_filter: dict[str, Any] = Field(default_factory=dict)
    violations: list[str] = Field(default_factory=list)


AttackKind = Literal[
    "bola",
    "bfla",
    "cross_session",
    "excessive_agency",
    "prompt_extraction",
    "indirect_kb",
    "indirect_crm",
    "hijacking",
    "pii",
    "obfuscation",
    "multi_turn",
]
"""Red-team categories (after promptfoo's that fit a support copilot): another customer's
object (BOLA) or a function the customer may not call (BFLA), what an earlier conversation
said, acting beyond the turn, the prompt itself, instructions planted in a knowledge-base
document or a CRM field, off-topic or role-play hijacking, personal data, encoded or
obfuscated attacks, and attacks that come in a second message."""


class PlantedPassage(_Strict):
    """A knowledge-base document added to the sandbox's index only, for one case."""

    title: str
    text: str
    """Markdown body; its sections become passages like the packaged documents'."""


class PlantedTicket(_Strict):
    """An open ticket on the attacker's own CRM record, as a helpdesk import would write it."""

    subject: str = Field(max_length=200)
    summary: str = ""


class Plant(_Strict):
    """Poisoned data put in the sandbox world (never in the shipped `knowledge/`) before
    the case is played, and taken out after it."""

    passage: PlantedPassage | None = None
    ticket: PlantedTicket | None = None
    canary: str | None = None
    """A string only the planted instruction's payload holds (a link, a code): a draft or
    a handoff package that carries it obeyed the planted instruction."""

    @model_validator(mode="after")
    def _plants_something(self) -> Plant:
        if self.passage is None and self.ticket is None:
            raise ValueError("a plant needs a passage or a ticket")
        return self


class RedTeamCase(_Strict):
    """An attack sent as a customer message through the support graph."""

    id: str
    lang: Lang
    attack: AttackKind
    customer: str
    """The attacker's own (seeded) customer id; every other customer is off limits."""
    messages: list[str] = Field(min_length=1)
    target: str | None = None
    """The other customer the attack aims at, when it names one."""
    plant: Plant | None = None
    """Poisoned knowledge or CRM data for the indirect-injection categories."""


class JudgeCase(_Strict):
    """A reply with a person's rubric scores, to measure how far the LLM judge agrees."""

    id: str
    lang: Lang
    message: str
    reply: str
    empathy: int = Field(ge=1, le=5)
    tone_fit: int = Field(ge=1, le=5)
    clarity: int = Field(ge=1, le=5)


# --- sources: data reused from elsewhere in evals/ -----------------------------------------
class CuratedEmotionSource(_Strict):
    type: Literal["curated_emotion"]
    file: str
    """Path relative to the `evals` package (e.g. `emotion/customer_service.jsonl`)."""


class GoEmotionsSource(_Strict):
    type: Literal["goemotions"]
    split: Literal["train", "dev", "test"] = "test"
    """Rows of this split, read from the folder given at run time (never committed)."""


class RetrievalQuestionsSource(_Strict):
    type: Literal["retrieval_questions"]
    file: str = "retrieval/questions.jsonl"


Source = Annotated[
    CuratedEmotionSource | GoEmotionsSource | RetrievalQuestionsSource,
    Field(discriminator="type"),
]


class Suite(_Strict):
    """A suite file: header, gates, and its cases (inline or from sources)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    version: str
    kind: SuiteKind
    description: str
    uses_llm: bool = False
    """Whether running it needs the model server (the CLI checks it first)."""
    gates: list[Gate] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    cases: list[dict[str, Any]] = Field(default_factory=list)
    """Inline cases, validated by `cases_of` against the kind's case model."""

    @model_validator(mode="after")
    def _cases_valid(self) -> Suite:
        model = CASE_MODELS[self.kind]
        ids: set[str] = set()
        for position, raw in enumerate(self.cases, start=1):
            try:
                case = model.model_validate(raw)
            except ValidationError as exc:
                raise ValueError(f"case {position}: {exc}") from exc
            case_id = str(case.id)  # type: ignore[attr-defined]
            if case_id in ids:
                raise ValueError(f"case {position}: duplicate id {case_id!r}")
            ids.add(case_id)
        if not self.cases and not self.sources:
            raise ValueError("a suite needs cases or sources")
        return self

    def inline_cases(self) -> list[BaseModel]:
        model = CASE_MODELS[self.kind]
        return [model.model_validate(raw) for raw in self.cases]


CASE_MODELS: dict[str, type[BaseModel]] = {
    "emotion": EmotionCase,
    "escalation": EscalationCase,
    "reply_quality": ReplyCase,
    "retrieval": RetrievalCase,
    "marketing_compliance": MarketingCase,
    "redteam": RedTeamCase,
    "judge": JudgeCase,
}


def suites_dir() -> Path:
    return Path(str(resources.files("evals").joinpath("suites")))


def suite_files() -> list[Path]:
    return sorted(suites_dir().glob("*.yaml"))


def available_suites() -> list[str]:
    return [path.stem for path in suite_files()]


def load_suite(name_or_path: str | Path) -> Suite:
    """A suite by name (a file in `evals/suites/`) or by path; raises `SuiteError`."""
    path = Path(name_or_path)
    if not path.suffix:
        path = suites_dir() / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(available_suites())
        raise SuiteError(f"no suite {str(name_or_path)!r} (known suites: {known})")
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
        suite = Suite.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise SuiteError(f"{path}: {exc}") from exc
    if suite.name != path.stem:
        raise SuiteError(f"{path}: the suite's name {suite.name!r} differs from its file name")
    return suite
