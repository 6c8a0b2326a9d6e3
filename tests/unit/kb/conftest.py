"""Knowledge-base unit fixtures: a counting bag-of-words embedder and a small document folder."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from tools.embeddings import EmbeddingKind


class CountingEmbedder:
    """Hashes words into a fixed-size vector: same words, same direction. Counts embedded texts."""

    name = "test-bow"
    dim = 256

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    @property
    def passages_embedded(self) -> int:
        return sum(n for kind, n in self.calls if kind == "passage")

    def embed(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> NDArray[np.float32]:
        self.calls.append((kind, len(texts)))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


@pytest.fixture
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


REFUNDS = """---
id: refunds
title: Refunds
lang: en
version: "1.0"
updated: 2026-01-15
topic: refunds
---

# Refunds

Intro paragraph about refunds.

## Delays

Refunds are paid within fourteen days to the original card.

## Vouchers

Agents may offer a voucher of ten euros for a late parcel.
"""

LIVRAISON = """---
id: livraison
title: Livraison
lang: fr
version: "2"
updated: 2026-02-01
topic: delivery
---

# Livraison

## Colis perdu

Un colis perdu est renvoyé ou remboursé au choix du client.
"""


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "refunds.md").write_text(REFUNDS, encoding="utf-8")
    (folder / "livraison.md").write_text(LIVRAISON, encoding="utf-8")
    return folder
