"""Escalation flags that survive paraphrase: learned detectors OR the cue rules, negations cleared.

For each flag (`asks_for_human`, `threatens_to_leave`, `legal_threat`,
`vulnerable_situation`) a logistic regression scores every clause of a message from its
sentence embedding and its hashed word features (`agents.emotion.flags.features`). A clause
at or above the flag's threshold raises the flag, and the clause is its evidence span.
The weights and thresholds are a small `.npz` shipped in the package
(`agents/emotion/model/flags.npz`), trained by `python -m agents.emotion.flags.train` on
the hand-written phrasings in `agents/emotion/flags/data/train.jsonl` (thresholds from
cross-validated scores on that file only); inference is plain numpy.

The cue rules (`agents.emotion.cues`) still run; a flag is raised when a rule OR the model
finds it. Negation: the rules skip a cue negated in its clause, the model sees negation
scopes in its features, and a clause that declines the very thing the flag is about ("pas
besoin de m'appeler", "I'm not planning to leave", "je ne compte pas porter plainte")
clears that flag in that clause, whichever of the two raised it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from agents.core.emotion import EvidenceSpan
from agents.emotion.cues import fold
from agents.emotion.flags.features import HASH_DIM, Clause, clauses, hashed_features

FLAG_NAMES: tuple[str, ...] = (
    "asks_for_human",
    "threatens_to_leave",
    "legal_threat",
    "vulnerable_situation",
)

FloatArray = npt.NDArray[np.float32]

# --- clauses that decline what a flag is about ------------------------------------------------
_NEG_FR = r"(?:ne|n')\s*(?:\w+\s+){0,2}?(?:pas|plus|jamais|point)\b"
_NO_NEED = (
    r"\b(?:pas|plus|aucun|nul|sans)\s+(?:besoin|la peine|question|envie|intention|necessaire)\b"
    r"|\binutile\b|\bpas necessaire\b"
    r"|\b(?:no|without)\s+(?:need|wish|intention|plans?|way|reason)\b|\bnot necessary\b"
    r"|\b(?:don't|do not|doesn't|does not|won't|will not|didn't|did not|never)\s+(?:really\s+)?"
    r"(?:need|want|wish|plan|intend|mean|bother|think|say|said|wanted)\b"
    r"|\b(?:not|never)\s+(?:planning|going|trying|asking|looking|thinking|wanting)\b"
    r"|\b(?:ne|n')\s*(?:veux|voulais|souhaite|demande|cherche|compte|pense|vais|ai|irai|porterai"
    r"|quitterai|partirai|resilierai)\s+(?:\w+\s+){0,1}?(?:pas|jamais|plus|aucun\w*|nulle part)\b"
)
_WITHIN = r"(?:(?!\b(?:et|and|mais|but|si|if|sinon|otherwise)\b)[^.!?;,]){0,40}?"
"""What may separate a refusal from its object: the rest of the same clause."""
_MACHINE = re.compile(r"\b(?:robot|bot|machine|chatbot|automat\w*|algorithm\w*|ia)\b|(?<!')\bai\b")
"""Refusing a machine is asking for a person ("je ne veux plus parler à un robot"). The
English "AI" never follows an apostrophe: "je n'ai pas besoin" is not about one."""
_DECLINES: dict[str, tuple[re.Pattern[str], ...]] = {
    "asks_for_human": (
        re.compile(
            r"(?:" + _NO_NEED + r")" + _WITHIN + r"\b(?:appel\w*|rappel\w*|telephon\w*|joindre"
            r"|recontact\w*|contact\w*|conseill\w*|agent|humain|personne|quelqu'un|superviseur"
            r"|responsable|manager|parler|call\w*|phone|ring|speak|talk|human|person|someone"
            r"|anyone|anybody|advisor|adviser|supervisor|representative)"
        ),
        re.compile(
            r"\b(?:ne|n')\s*(?:m'|me\s+)(?:appelez|rappelez|telephonez|contactez)\s+pas\b"
            r"|\bde ne pas m(?:e|')\s*(?:appeler|rappeler|telephoner|contacter)\b"
            r"|\b(?:don't|do not|please don't)\s+(?:call|phone|ring|contact)\b"
            r"|\bno (?:callback|call|phone call)s?\b"
            r"|\b(?:le chat|ce chat|l'ecrit|un mail|un e-mail|un courriel)\s+(?:me\s+)?"
            r"(?:suffit|va tres bien|me va)\b"
            r"|\b(?:the chat|this chat|email|an email|writing)\s+(?:is|works)\s+(?:fine|enough)\b"
        ),
    ),
    "threatens_to_leave": (
        re.compile(
            r"(?:" + _NO_NEED + r")" + _WITHIN + r"\b(?:part\w*|quitt\w*|resili\w*|chang\w*"
            r"|leav\w*|cancel\w*|switch\w*|terminat\w*|go(?:ing)? anywhere|move)"
        ),
        re.compile(
            r"\b(?:je\s+)?(?:ne|n')\s*(?:\w+\s+){0,2}?(?:pas|jamais|nulle part)\b"
            + _WITHIN
            + r"\b(?:partir|pars|quitter|quitterai|resilier|resilie|changer d'operateur|nulle part)"
            r"|\bje (?:ne )?(?:pars|m'en vais) (?:pas|nulle part)\b"
            r"|\bje reste (?:chez vous|client)\b"
            r"|\b(?:i'm|i am|we're|we are) (?:not|never) "
            r"(?:leaving|going anywhere|cancel\w*|switch\w*)\b"
            r"|\b(?:i'm|i am) staying\b|\bstill (?:a|your) customer\b|\bi won't leave\b"
        ),
    ),
    "legal_threat": (
        re.compile(
            r"(?:" + _NO_NEED + r")" + _WITHIN + r"\b(?:plainte|justice|proces|avocat\w*|tribunal"
            r"|mediateur|poursui\w*|sue|suing|lawsuit|lawyer\w*|court|legal|ombudsman|complaint)"
        ),
        re.compile(
            r"\b(?:pas|sans|aucun)\s+(?:de\s+)?(?:proces|avocat|plainte|poursuite)s?\b"
            r"|\bno (?:lawsuit|lawyer|legal action|court)s?\b"
            r"|\b(?:je\s+)?(?:ne|n')\s*(?:\w+\s+){0,2}?(?:pas|jamais)\b"
            + _WITHIN
            + r"\b(?:porter plainte|plainte|justice|tribunal|poursuivre|avocat)"
            r"|\b(?:won't|will not|not going to|am not going to)\s+"
            r"(?:sue|file|take legal|go to court)"
        ),
    ),
    "vulnerable_situation": (
        re.compile(
            r"\b(?:je ne suis pas|i'm not|i am not)\s+(?:malade|handicape\w*|ill|sick|disabled)\b"
        ),
    ),
}


def declined(flag: str, clause_text: str) -> bool:
    """Whether the clause declines what `flag` is about ("pas besoin de m'appeler")."""
    folded = fold(clause_text)
    if flag == "asks_for_human" and _MACHINE.search(folded):
        return False
    return any(pattern.search(folded) for pattern in _DECLINES.get(flag, ()))


# --- the model ------------------------------------------------------------------------------
def default_flags_path() -> Path:
    """The flag detectors shipped inside the package."""
    return Path(str(resources.files("agents.emotion").joinpath("model", "flags.npz")))


@dataclass(frozen=True)
class FlagHead:
    """One flag's logistic regression over [embedding, hashed words]."""

    embedding_weights: FloatArray
    hashed_index: npt.NDArray[np.int64]
    hashed_weights: FloatArray
    bias: float
    threshold: float

    def hashed_lookup(self) -> dict[int, float]:
        return {
            int(i): float(w) for i, w in zip(self.hashed_index, self.hashed_weights, strict=True)
        }


@dataclass
class FlagModel:
    """The four flag heads and the embedder they were trained on."""

    embedder: str
    heads: dict[str, FlagHead]
    metadata: dict[str, Any] = field(default_factory=dict)
    _lookups: dict[str, dict[int, float]] = field(default_factory=dict, repr=False)

    def probabilities(
        self, embeddings: FloatArray, texts: Sequence[str]
    ) -> dict[str, npt.NDArray[np.float64]]:
        """Per flag, the probability of each row (an embedding and its clause's text)."""
        features = [hashed_features(text) for text in texts]
        out: dict[str, npt.NDArray[np.float64]] = {}
        for name, head in self.heads.items():
            lookup = self._lookups.get(name)
            if lookup is None:
                lookup = self._lookups[name] = head.hashed_lookup()
            linear = np.asarray(embeddings, dtype=np.float64) @ head.embedding_weights.astype(
                np.float64
            )
            sparse = np.array(
                [sum(lookup.get(i, 0.0) * v for i, v in row.items()) for row in features]
            )
            out[name] = 1.0 / (1.0 + np.exp(-(linear + sparse + head.bias)))
        return out

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = {}
        for name, head in self.heads.items():
            arrays[f"{name}.emb"] = head.embedding_weights.astype(np.float32)
            arrays[f"{name}.hidx"] = head.hashed_index.astype(np.int32)
            arrays[f"{name}.hw"] = head.hashed_weights.astype(np.float32)
            arrays[f"{name}.bias"] = np.array(head.bias, dtype=np.float64)
            arrays[f"{name}.threshold"] = np.array(head.threshold, dtype=np.float64)
        meta = {"embedder": self.embedder, "flags": list(self.heads), **self.metadata}
        arrays["metadata"] = np.array(json.dumps(meta, sort_keys=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(handle, **arrays)

    @classmethod
    def load(cls, path: Path | None = None) -> FlagModel:
        source = path or default_flags_path()
        if not source.is_file():
            raise FileNotFoundError(
                f"no flag detectors at {source}; train them with "
                "`python -m agents.emotion.flags.train`"
            )
        with np.load(source, allow_pickle=False) as data:
            meta = json.loads(str(data["metadata"]))
            heads = {
                name: FlagHead(
                    embedding_weights=np.asarray(data[f"{name}.emb"], dtype=np.float32),
                    hashed_index=np.asarray(data[f"{name}.hidx"], dtype=np.int64),
                    hashed_weights=np.asarray(data[f"{name}.hw"], dtype=np.float32),
                    bias=float(data[f"{name}.bias"]),
                    threshold=float(data[f"{name}.threshold"]),
                )
                for name in meta["flags"]
            }
        embedder = str(meta.pop("embedder"))
        meta.pop("flags", None)
        if any(index >= HASH_DIM for head in heads.values() for index in head.hashed_index):
            raise ValueError(f"{source}: hashed features beyond {HASH_DIM} buckets")
        return cls(embedder=embedder, heads=heads, metadata=meta)


@dataclass(frozen=True)
class FlagFinding:
    """The flags of one message and the clause that raised each (its evidence)."""

    flags: frozenset[str]
    evidence: tuple[EvidenceSpan, ...]
    scores: dict[str, float]
    """Per flag, the highest clause probability the model gave."""
    cleared: tuple[EvidenceSpan, ...] = ()
    """Cue-rule flag spans in a clause that declines their flag (not evidence any more)."""


def segment(texts: Sequence[str]) -> list[list[Clause]]:
    """Each message's clauses (a message without a word gets itself as its one clause)."""
    out = []
    for text in texts:
        found = clauses(text)
        out.append(found or [Clause(0, len(text), text)])
    return out


def find_flags(
    model: FlagModel,
    text: str,
    parts: Sequence[Clause],
    embeddings: FloatArray,
    cue_flags: set[str],
    cue_evidence: Sequence[EvidenceSpan],
) -> FlagFinding:
    """Rules OR model over the clauses of one message, declined clauses cleared.

    `embeddings` has one row per clause of `parts`. `cue_flags` / `cue_evidence` are what
    the cue rules found in the whole message.
    """
    probabilities = model.probabilities(embeddings, [part.text for part in parts])
    raised: set[str] = set()
    evidence: list[EvidenceSpan] = []
    scores: dict[str, float] = {}
    cleared: list[EvidenceSpan] = []
    for name in FLAG_NAMES:
        head = model.heads.get(name)
        kept_cue = []
        for span in cue_evidence:
            if span.signal != name:
                continue
            if declined(name, _clause_of(parts, span.start).text):
                cleared.append(span)
            else:
                kept_cue.append(span)
        if name in cue_flags and kept_cue:
            raised.add(name)
        if head is None:
            continue
        row = probabilities[name]
        scores[name] = round(float(row.max()), 4) if len(row) else 0.0
        for part, probability in zip(parts, row, strict=True):
            if probability >= head.threshold and not declined(name, part.text):
                raised.add(name)
                if not any(part.start <= s.start < part.end for s in kept_cue):
                    evidence.append(
                        EvidenceSpan(start=part.start, end=part.end, text=part.text, signal=name)
                    )
    return FlagFinding(frozenset(raised), tuple(evidence), scores, tuple(cleared))


def _clause_of(parts: Sequence[Clause], offset: int) -> Clause:
    for part in parts:
        if part.start <= offset < part.end:
            return part
    return parts[-1] if parts else Clause(0, 0, "")
