"""Telling French from English in a short message, with no model.

Customer messages are short and often sloppy ("bjr, tjs pas de co"), so the heuristic
counts frequent function words of each language and accented letters; ties go to French,
the product's first language.
"""

from __future__ import annotations

import re

from agents.core.lang import Lang


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FRENCH = _words(
    "le la les un une des du de et est je j tu il elle nous vous ils on ne pas plus que qui "
    "quoi pour dans sur avec mon ma mes ton votre vos ce cette ces c ça ca au aux "
    "suis ai avez êtes sont fait toujours encore depuis merci bonjour bonsoir bjr slt "
    "jamais rien mais ou où si car donc très tres aussi moi me m y en d l n qu s "
    "commande colis facture abonnement forfait remboursement"
)
_ENGLISH = _words(
    "the a an and is are was were i you he she we they it not no to of in on for with my "
    "your this that these those be been have has had do does did can could would will "
    "just still again please thanks thank hello hi order parcel bill refund account "
    "what why how when where there here me am at from by an if or but so"
)
_WORD = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœæ]+")
_ACCENTED = re.compile(r"[àâçéèêëîïôùûüœ]")


def detect_lang(text: str) -> Lang:
    """`fr` or `en`: whichever language's function words (and accents) the text has more."""
    lowered = text.lower().replace("’", "'")
    words = _WORD.findall(lowered)
    french = sum(word in _FRENCH for word in words) + 0.5 * len(_ACCENTED.findall(lowered))
    english = sum(word in _ENGLISH for word in words)
    return "en" if english > french else "fr"
