"""Valence from sentiment lexicons with permissive licences (MIT): VADER and VADER-FR.

A lexicon score is the compound score in [-1, 1]; 0 when no lexicon word occurs.
"""

from __future__ import annotations

import warnings
from typing import Any

from agents.core.lang import Lang


class LexiconValence:
    """VADER for English, VADER-FR for French; analysers are built on first use."""

    def __init__(self) -> None:
        self._analysers: dict[str, Any] = {}

    def _analyser(self, lang: Lang) -> Any:
        if lang not in self._analysers:
            if lang == "fr":
                with warnings.catch_warnings():
                    # fuzzywuzzy warns that python-Levenshtein is absent; it is not needed.
                    warnings.simplefilter("ignore", UserWarning)
                    warnings.simplefilter("ignore", DeprecationWarning)  # its own regex escapes
                    from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer
            else:
                from vaderSentiment.vaderSentiment import (
                    SentimentIntensityAnalyzer,
                )
            self._analysers[lang] = SentimentIntensityAnalyzer()
        return self._analysers[lang]

    def compound(self, text: str, lang: Lang) -> float:
        """The lexicon's compound valence of `text`, in [-1, 1]."""
        score = self._analyser(lang).polarity_scores(text)
        return float(score["compound"])
