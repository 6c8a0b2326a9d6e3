"""Topics discovered from the messages themselves (`topics.yaml`).

The negative customer messages (a sample spread evenly over the import) are embedded with
the fast reader's multilingual encoder and clustered with scikit-learn's MiniBatchKMeans
(seeded: the same messages give the same topics). A topic is named from its distinctive
terms: a term's weight in a cluster is its frequency there times log(1 + clusters /
clusters using it), a class-based TF-IDF. Its examples are the messages nearest its centre.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from agents.analytics.drivers import fold

_WORD = re.compile(r"[a-z][a-z'-]{2,}")


@dataclass(frozen=True)
class TopicSettings:
    sample: int
    min_per_topic: int
    max_topics: int
    seed: int
    terms_per_topic: int
    examples_per_topic: int
    stopwords: frozenset[str]


@cache
def topic_settings() -> TopicSettings:
    raw: dict[str, Any] = yaml.safe_load(
        resources.files("agents.analytics").joinpath("topics.yaml").read_text("utf-8")
    )
    stopwords = frozenset(fold(str(word)) for word in raw.pop("stopwords"))
    return TopicSettings(stopwords=stopwords, **{k: int(v) for k, v in raw.items()})


@dataclass(frozen=True)
class Topic:
    topic: int
    name: str
    terms: list[str]
    examples: list[str]
    size: int
    members: list[int]
    """Indices (into the clustered texts) of its messages."""


def terms_of(text: str, stopwords: frozenset[str]) -> list[str]:
    words = [w.strip("'-") for w in _WORD.findall(fold(text).replace("'", " "))]
    return [w for w in words if len(w) > 2 and w not in stopwords]


def discover(
    texts: Sequence[str], vectors: NDArray[np.float32], settings: TopicSettings | None = None
) -> list[Topic]:
    """Topics of `texts` (rows of `vectors` are their unit embeddings), largest first."""
    from sklearn.cluster import MiniBatchKMeans

    config = settings or topic_settings()
    count = len(texts)
    k = min(config.max_topics, count // config.min_per_topic)
    if k < 2:
        return []
    model = MiniBatchKMeans(n_clusters=k, random_state=config.seed, n_init=3, batch_size=1024)
    labels = model.fit_predict(vectors)
    counts: list[Counter[str]] = [Counter() for _ in range(k)]
    for text, label in zip(texts, labels, strict=True):
        counts[int(label)].update(set(terms_of(text, config.stopwords)))
    used_by: Counter[str] = Counter()
    for counter in counts:
        used_by.update(counter.keys())
    topics = []
    for index in range(k):
        members = [i for i, label in enumerate(labels) if int(label) == index]
        if not members:
            continue
        size = len(members)
        weights = {
            term: (n / size) * math.log(1 + k / used_by[term])
            for term, n in counts[index].items()
            if n >= 2
        }
        terms = [t for t, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))]
        terms = terms[: config.terms_per_topic]
        centre = model.cluster_centers_[index]
        nearest = sorted(members, key=lambda i: -float(vectors[i] @ centre))
        examples: list[str] = []
        for i in nearest:
            if texts[i] not in examples:
                examples.append(texts[i])
            if len(examples) >= config.examples_per_topic:
                break
        topics.append(
            Topic(
                topic=index,
                name=" / ".join(terms) if terms else f"topic {index + 1}",
                terms=terms,
                examples=[e[:300] for e in examples],
                size=size,
                members=members,
            )
        )
    topics.sort(key=lambda t: (-t.size, t.topic))
    return topics
