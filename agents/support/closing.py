"""Closing messages: the customer thanks, says the matter is settled or passes on feedback.

"Merci, tout marche bien", "Right, I see the line now, thanks", "not a big deal but I
thought you should know": nothing is asked, so there is nothing for the knowledge base to
answer, and "no good passage" must not send such a message to a person. A short courteous
reply is drafted instead (for approval, like any other). Decided by code, in both
languages, on the message alone:

- a closing cue (thanks, settled, noted, feedback) is present;
- nothing is asked: no question mark and no request ("pouvez-vous", "I'd like", "how"…);
- nothing is still wrong: no contrast ("mais", "but", "still"), no complaint of something
  not working ("ne marche pas", "doesn't work", "toujours pas", "not yet");
- it is short (a closing line, not a letter).

The escalation flags (a request for a person, a threat to leave…) are judged apart and still
fire on a closing message. Every pattern is a plain alternation of words (linear time).
"""

from __future__ import annotations

import re

MAX_WORDS = 40
"""A longer message is a letter, not a closing line."""

_CUE = re.compile(
    r"\b(?:merci|remercie|thanks?|thx|cheers"
    r"|ça marche|ca marche|ça fonctionne|ca fonctionne|tout marche|tout fonctionne"
    r"|tout va bien|ça ira|ca ira|c'est bon|c'est réglé|c'est clair|c'est noté"
    r"|c'est parfait|parfait|bien reçu|bien recu|résolu|réglé"
    r"|pas grave|je le signale|pour info|pour information|désolée? du dérangement"
    r"|all good|works now|working now|sorted|resolved|that's clear|got it"
    r"|no worries|not a big deal|thought you should know|just letting you know"
    r"|for your information|sorry to bother|sorry for the trouble|perfect)\b",
    re.I,
)
_ASKS = re.compile(
    r"\?|\b(?:pouvez|pourriez|pourrais|peux|voudrais|voulais|aimerais|souhaite|souhaiterais"
    r"|comment|combien|quand|pourquoi|quel|quelle|quels|quelles|où|est-ce"
    r"|envoyez|renvoyez|rappeler|rappelez|recontacter|contacter|vérifiez|expliquez|dites|indiquez|aidez"
    r"|can|could|would|will you|please|how|when|why|what|which|where|whether"
    r"|svp|stp|plz|pls|kan|koi|wen|will (?:my|it|you|i|the)"
    r"|send|call|contact|check|explain|tell me|help me|need|want|i'd like)\b",
    re.I,
)
_STILL_WRONG = re.compile(
    r"\b(?:mais|cependant|pourtant|toujours pas|pas encore|toujours rien|plus rien"
    r"|ne marche|ne fonctionne|marche pas|fonctionne pas|n'arrive|rien reçu|jamais"
    r"|but|however|though|still|not yet|doesn't|does not|didn't|did not|isn't|is not"
    r"|won't|can't|cannot|never|nothing|no one|rien n'|toujours|pour rien"
    r"|erreur|mauvais|abîmé|cassé|manque|manquait|manquant|deux fois"
    r"|wrong|error|damaged|broken|missing|twice|for nothing)\b",
    re.I,
)
_NO_HARM = re.compile(
    r"\b(?:pas grave|pas de souci|pas de problème|ça ira|ca ira|not a big deal|no worries"
    r"|no problem|no harm done)\b",
    re.I,
)
"""The customer says it is fine: a "mais" / "but" after it passes on feedback."""
_CONTRAST = re.compile(r"\b(?:mais|but)\b", re.I)


def is_closing(text: str) -> bool:
    """Whether the message only thanks, confirms the matter is settled or passes on
    feedback, asking for nothing and saying nothing is still wrong."""
    flat = text.replace("’", "'")
    if len(flat.split()) > MAX_WORDS or not _CUE.search(flat):
        return False
    if _ASKS.search(flat):
        return False
    if _NO_HARM.search(flat):
        flat = _CONTRAST.sub(" ", flat)
    return not _STILL_WRONG.search(flat)
