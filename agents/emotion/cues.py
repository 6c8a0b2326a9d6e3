"""Explicit French and English cue rules: flags, customer effort, urgency, intensity hints.

The trained classifier knows emotions from Reddit comments; it knows nothing of contact
centres: that "c'est la troisième fois que j'appelle" is effort, that "je veux mon RIO"
means the customer is leaving, that "ma mère est décédée" calls for a vulnerable-customer
procedure. These rules say it explicitly, and every hit is an evidence span the agent can
show. They run on a folded copy of the text (lower case, accents removed, typographic
apostrophes straightened) that keeps every character at its offset, so spans point into
the original message.

Negation: a flag or urgency cue preceded, within its clause, by a negation reached only
through "bridge" words ("je ne veux pas résilier", "I don't want to cancel", "ce n'est
pas urgent") does not count. Conditional threats ("si ce n'est pas réglé, je résilie")
still count: the comma closes the negated clause.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from agents.core.emotion import EvidenceSpan

CueKind = Literal["flag", "effort", "urgency", "intensity", "label"]


@dataclass(frozen=True)
class CueRule:
    """One pattern (on folded text) and what a hit means."""

    kind: CueKind
    signal: str
    """A flag name, an effort/urgency cue name, an intensity cue, or a taxonomy label."""
    pattern: re.Pattern[str]
    weight: float = 0.0
    """Contribution to effort/urgency/intensity, or the boost of a label's probability."""
    negatable: bool = False


@dataclass
class CueHits:
    """What the rules found in one message."""

    flags: set[str] = field(default_factory=set)
    effort: float = 0.0
    urgency: float = 0.0
    intensity: float = 0.0
    label_boosts: dict[str, float] = field(default_factory=dict)
    evidence: list[EvidenceSpan] = field(default_factory=list)


def fold(text: str) -> str:
    """Lower case, accents removed, ’ → ': one output character per input character."""
    out = []
    for char in text:
        if char in "’‘`´":
            out.append("'")
            continue
        base = unicodedata.normalize("NFD", char)[0].lower()
        out.append(base[0] if base else char)
    return "".join(out)


def _rule(
    kind: CueKind, signal: str, regex: str, weight: float = 0.0, negatable: bool = False
) -> CueRule:
    return CueRule(kind, signal, re.compile(regex), weight, negatable)


# Spelled-out numbers used in effort cues ("trois fois", "three times").
_NUM_FR = (
    r"(?:\d+|deux|trois|quatre|cinq|six|sept|huit|dix|quinze|vingt|plusieurs|nombreuses|mille)"
)
_NUM_EN = r"(?:\d+|two|three|four|five|six|seven|eight|ten|fifteen|twenty|several|multiple|many|countless)"
_DURATION_FR = r"(?:minutes?|min|heures?|h|jours?|semaines?|mois)"
_DURATION_EN = r"(?:minutes?|mins|hours?|hrs|days?|weeks?|months?)"
_PERSON_FR = (
    r"(?:humain|personne|conseill(?:er|ere)|agent|operat(?:eur|rice)|responsable|superieur"
    r"|manager|quelqu'un|technicien|interlocuteur)"
)
_PERSON_EN = (
    r"(?:human|person|agent|representative|rep|manager|supervisor|someone|somebody|operator"
    r"|advisor|adviser|technician)"
)

RULES: tuple[CueRule, ...] = (
    # --- asks for a human ------------------------------------------------------------
    _rule(
        "flag",
        "asks_for_human",
        r"\b(?:parler|discuter|echanger|avoir affaire)\s+(?:a|avec)\s+(?:un(?:e)?\s+|le\s+|la\s+|votre\s+|vos\s+|son\s+|sa\s+|mon\s+|ma\s+)?"
        r"(?:vrai(?:e)?\s+|vraie\s+)?" + _PERSON_FR,
        negatable=True,
    ),
    _rule("flag", "asks_for_human", r"\b(?:un|une)\s+(?:vrai(?:e)?\s+|etre\s+)?humain(?:e)?\b"),
    _rule("flag", "asks_for_human", r"\bquelqu'un de (?:reel|vrai|competent|humain)\b"),
    _rule("flag", "asks_for_human", r"\bmett(?:ez|re)[- ]moi en (?:relation|contact)\b"),
    _rule("flag", "asks_for_human", r"\bpass(?:ez|er)[- ]moi (?:un|une|le|la|votre) " + _PERSON_FR),
    _rule(
        "flag",
        "asks_for_human",
        r"\b(?:qu'un|que quelqu'un|qu'une|qu'on|que le|que la)\s+(?:\w+\s+)?(?:me\s+)?rappelle\b",
    ),
    _rule("flag", "asks_for_human", r"\brappel(?:ez|er)[- ]moi\b|\bme rappeler\b"),
    _rule(
        "flag",
        "asks_for_human",
        r"\b(?:pas|plus) (?:a|avec) (?:un|une|votre) (?:robot|bot|machine|chatbot|ia)\b",
    ),
    _rule(
        "flag",
        "asks_for_human",
        r"\b(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|your\s+|some\s+)?(?:real\s+|actual\s+|live\s+)?"
        + _PERSON_EN,
        negatable=True,
    ),
    _rule("flag", "asks_for_human", r"\b(?:real|actual|live)\s+(?:human|person|agent|people)\b"),
    _rule("flag", "asks_for_human", r"\b(?:get|put|transfer) me (?:through )?to\b"),
    _rule("flag", "asks_for_human", r"\bget me (?:a|an|the|your) " + _PERSON_EN),
    _rule("flag", "asks_for_human", r"\b(?:call|ring|phone) me back\b"),
    _rule("flag", "asks_for_human", r"\b(?:human|agent|representative|operator),? please\b"),
    _rule(
        "flag", "asks_for_human", r"\bnot (?:a|another|some|your) (?:bot|robot|machine|chatbot)\b"
    ),
    _rule("flag", "asks_for_human", r"\bescalate (?:this|my|it)\b"),
    # --- threatens to leave ----------------------------------------------------------
    _rule(
        "flag",
        "threatens_to_leave",
        r"\b(?:resilier|resilie|resilies|resilierai|resiliation|resilions)\b"
        # cancelling an option or a deceased relative's line is not leaving
        r"(?!\s+(?:son|sa|ses|leur|l'option|une option|l'abonnement de|le contrat de|la ligne de))",
        negatable=True,
    ),
    _rule(
        "flag",
        "threatens_to_leave",
        r"\b(?:changer|change|changerai|passer|passe|passerai|partir|pars|aller|vais)\s+"
        r"(?:d'operateur|de fournisseur|d'operateur|chez (?:la )?concurrence|a la concurrence"
        r"|chez (?:free|sfr|orange|bouygues|sosh|red|amazon|cdiscount|fnac|darty))",
        negatable=True,
    ),
    _rule("flag", "threatens_to_leave", r"\bvoir ailleurs\b", negatable=True),
    _rule("flag", "threatens_to_leave", r"\b(?:mon|le|votre|un) (?:code )?rio\b"),
    _rule("flag", "threatens_to_leave", r"\bportabilite\b"),
    _rule(
        "flag",
        "threatens_to_leave",
        r"\b(?:fermer|cloturer|supprimer) (?:mon|le) compte\b",
        negatable=True,
    ),
    _rule(
        "flag",
        "threatens_to_leave",
        r"\b(?:plus jamais|ne plus jamais|jamais plus)\b.{0,25}\b(?:commander|acheter|chez vous|client)",
    ),
    _rule(
        "flag",
        "threatens_to_leave",
        r"\b(?:quitter|quitte|quitterai) (?:votre|vos|ce|cet|la|l')"
        r"\s*(?:operateur|service|enseigne|societe|entreprise|boutique|site)?",
        negatable=True,
    ),
    _rule(
        "flag",
        "threatens_to_leave",
        r"\b(?:cancel(?:l?ing)?|terminat(?:e|ing)|end(?:ing)?)\s+(?:my|the|this)\s+(?:contract|subscription|account|service"
        r"|plan|line|membership|broadband|package)\b",
        negatable=True,
    ),
    _rule(
        "flag",
        "threatens_to_leave",
        r"\b(?:switch|switching|move|moving|go|going|take my (?:business|money))\s+"
        r"(?:to (?:another|a different|a new|your competitor|a competitor)|elsewhere|providers?)\b",
        negatable=True,
    ),
    _rule(
        "flag",
        "threatens_to_leave",
        r"\b(?:leave|leaving|quit|quitting)\s+(?:you|your\s+\w+|this\s+\w+)\b",
        negatable=True,
    ),
    _rule("flag", "threatens_to_leave", r"\bclose (?:my|the) account\b", negatable=True),
    _rule(
        "flag", "threatens_to_leave", r"\b(?:never|won't ever|will never)\s+(?:order|buy|shop)\b"
    ),
    _rule("flag", "threatens_to_leave", r"\bport(?:ing)? (?:my|the) number\b"),
    _rule("flag", "threatens_to_leave", r"\b(?:my )?(?:last|final) order (?:with|from) you\b"),
    _rule("flag", "threatens_to_leave", r"\b(?:derniere|ultime) commande\b"),
    _rule("flag", "threatens_to_leave", r"\b(?:pac|stac) code\b"),
    # --- legal threat ----------------------------------------------------------------
    _rule("flag", "legal_threat", r"\bavocats?\b", negatable=True),
    _rule(
        "flag",
        "legal_threat",
        r"\b(?:porter|porte|porterai|deposer|depose|deposerai)\s+plainte\b",
        negatable=True,
    ),
    _rule(
        "flag",
        "legal_threat",
        r"\b(?:tribunal|tribunaux|justice|proces|mise en demeure|huissier|poursuites?|ufc|que choisir"
        r"|dgccrf|arcep|mediateur|signal ?conso|conciliateur|association de consommateurs"
        r"|juridique|action en justice|recours collectif)\b",
        negatable=True,
    ),
    _rule(
        "flag",
        "legal_threat",
        r"\b(?:lawyer|attorney|solicitor|lawsuit|sue|suing|legal action|court|small claims"
        r"|ombudsman|trading standards|ftc|ofcom|fcc|better business bureau|bbb|regulator"
        r"|consumer (?:protection|rights)|chargeback|class action)\b",
        negatable=True,
    ),
    # --- vulnerable situation --------------------------------------------------------
    _rule(
        "flag",
        "vulnerable_situation",
        r"\b(?:deces|decede|decedee|decedes|deuil|obseques|enterrement|veuf|veuve|disparition"
        r"|(?:pere|mere|mari|femme|epoux|epouse|fils|fille|grand-mere|grand-pere|frere|soeur)"
        r" (?:disparu(?:e)?|decede(?:e)?)|mort(?:e)? (?:il y a|la semaine|le mois|recemment))\b",
    ),
    _rule(
        "flag",
        "vulnerable_situation",
        r"\b(?:malade|maladie|hopital|hospitalise(?:e)?|cancer|chimio\w*|handicap\w*|dialyse"
        r"|oxygene|teleassistance|fauteuil roulant|invalidite|enceinte|depression|alzheimer)\b",
    ),
    _rule(
        "flag",
        "vulnerable_situation",
        r"\b(?:chomage|licencie(?:e)?|perdu mon (?:emploi|travail|boulot)|rsa|surendettement|fin de mois|pas les moyens|plus les moyens"
        r"|sans ressources|difficultes financieres|precarite|minima sociaux|plus un sou"
        r"|personne agee|\d{2} ans et seul(?:e)?|je vis seul(?:e)?)\b",
    ),
    _rule(
        "flag",
        "vulnerable_situation",
        r"\b(?:passed away|died|death|funeral|bereave\w*|widow\w*|deceased"
        r"|grieving|my late|lost my (?:husband|wife|mother|father|mum|mom|dad|son|daughter|partner))\b",
    ),
    _rule(
        "flag",
        "vulnerable_situation",
        r"\b(?:sick(?! of| and tired)|illness|hospital|hospitali[sz]ed|cancer|chemo\w*|disabled|disability|wheelchair"
        r"|dialysis|oxygen|pregnant|my carer|terminal|dementia)\b",
    ),
    _rule(
        "flag",
        "vulnerable_situation",
        r"\b(?:unemployed|lost my job|laid off|can't afford|cannot afford|hardship|on benefits"
        r"|in debt|struggling financially|food bank|elderly|live alone|living alone)\b",
    ),
    # --- effort ----------------------------------------------------------------------
    _rule(
        "effort",
        "repeat_contact",
        r"\b" + _NUM_FR + r"\s*(?:e|eme|ieme)?\s*(?:fois|appels|relances|mails|e-mails|courriels"
        r"|messages|reclamations|tentatives)\b",
        0.7,
    ),
    _rule(
        "effort",
        "repeat_contact",
        r"\b(?:deuxieme|seconde|2e|2eme)\s+fois\b|\bla derniere fois\b|\bdeja fait\b",
        0.45,
    ),
    _rule(
        "effort",
        "repeat_contact",
        r"\b(?:deja|encore|a nouveau|de nouveau)\s+(?:appele|ecrit|contacte|relance|signale|envoye"
        r"|fait|reclame|demande)\b",
        0.45,
    ),
    _rule(
        "effort",
        "repeat_contact",
        r"\bj'ai (?:deja|encore)\b|\b(?:je|on) (?:relance|rappelle|reecris)\b",
        0.4,
    ),
    _rule(
        "effort",
        "repeat_contact",
        r"\bpour la (?:\d+|deuxieme|troisieme|quatrieme|cinquieme|enieme|nieme)\s*(?:e|eme)?\s*fois\b"
        r"|\benieme\b|\bencore une fois\b",
        0.7,
    ),
    _rule("effort", "repeat_contact", r"\b(?:a )?chaque fois\b", 0.45),
    _rule(
        "effort",
        "repeat_contact",
        r"\b" + _NUM_EN + r"\s+(?:times|calls|emails|messages|attempts|chats|complaints)\b",
        0.7,
    ),
    _rule(
        "effort",
        "repeat_contact",
        r"\b(?:second time|last time|last week|did it already|already did)\b",
        0.45,
    ),
    _rule(
        "effort",
        "repeat_contact",
        r"\b(?:already|again|repeatedly)\s+(?:called|contacted|emailed|explained|sent|reported"
        r"|written|told|asked|complained)\b",
        0.45,
    ),
    _rule(
        "effort",
        "repeat_contact",
        r"\b(?:called|contacted|emailed|written to|chatted with)\s+(?:you\s+)?(?:again|already|before"
        r"|twice|repeatedly)\b|\bevery (?:single )?time\b",
        0.45,
    ),
    _rule(
        "effort",
        "repeat_contact",
        r"\b(?:third|fourth|fifth|\d+(?:st|nd|rd|th)|umpteenth|nth) time\b"
        r"|\bkeep (?:calling|asking|having to|chasing)\b|\bonce again\b|\bchasing\b",
        0.7,
    ),
    _rule(
        "effort",
        "waiting",
        r"\b(?:depuis|ca fait|cela fait|voila|il y a|pendant|attendu|attends)\s+(?:plus de |pres de |bientot |deja |au moins )?"
        r"(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|dix|quinze|plusieurs)\s+"
        + _DURATION_FR
        + r"\b",
        0.35,
    ),
    _rule(
        "effort",
        "waiting",
        r"\b(?:\d+|un|une|deux|trois|quatre|cinq|six|dix|quinze|plusieurs)\s+(?:jours|semaines|mois)\s+"
        r"(?:sans|que|de retard|apres)\b",
        0.35,
    ),
    _rule(
        "effort",
        "waiting",
        r"\b(?:en attente|attente|patiente|patienter|toujours rien|toujours pas|toujours aucun"
        r"|sans nouvelles|sans reponse|aucune reponse|aucun retour)\b",
        0.3,
    ),
    _rule(
        "effort",
        "waiting",
        r"\b(?:for|over|almost|nearly|more than|about)\s+(?:\d+|a|an|one|two|three|four|five|six|ten"
        r"|several)\s+" + _DURATION_EN + r"\b|\b(?:\d+|two|three|four|five|six|ten|several)\s+"
        r"(?:days|weeks|months)\s+(?:without|after|late|now|ago)\b",
        0.35,
    ),
    _rule(
        "effort",
        "waiting",
        r"\b(?:been waiting|on hold|waited|still waiting|still no|still not|still nothing|still haven't"
        r"|no reply|no answer|no response|never heard back|heard nothing)\b",
        0.3,
    ),
    _rule(
        "effort",
        "transferred",
        r"\b(?:transfere(?:e)?|renvoye(?:e)?|balade(?:e)?|ping[- ]pong|de service en service"
        r"|d'un service a l'autre|personne ne (?:sait|repond|m'aide)|on me renvoie|on me dit"
        r"|a chaque appel|raccroche(?:nt)? au nez|tourne en rond)\b",
        0.45,
    ),
    _rule(
        "effort",
        "transferred",
        r"\b(?:transferred|passed around|bounced around|redirected|sent me to|told me to call"
        r"|nobody (?:knows|answers|can)|no one (?:knows|answers|can)|each agent|every agent"
        r"|hanging up on me|hung up on me|round in circles)\b",
        0.45,
    ),
    _rule(
        "effort",
        "repeat_explain",
        r"\b(?:re-?expliquer|expliquer encore|expliquer a nouveau|repeter|me repeter|tout reexpliquer)\b"
        r"|\b(?:explain (?:it |this |everything |my (?:situation|problem) )?(?:again|all over)"
        r"|repeat myself|start (?:again|over) from scratch)\b",
        0.4,
    ),
    # --- urgency ---------------------------------------------------------------------
    _rule(
        "urgency",
        "urgent",
        r"\b(?:urgent|urgence|au plus vite|immediatement|tout de suite|des que possible|rapidement"
        r"|asap|des aujourd'hui|ce soir|avant (?:demain|ce soir|lundi|mardi|mercredi|jeudi|vendredi|la fin))\b",
        0.5,
        negatable=True,
    ),
    _rule(
        "urgency",
        "urgent",
        r"\b(?:urgent|urgently|emergency|immediately|right now|right away|as soon as possible|by today"
        r"|tonight|by tomorrow|before (?:monday|tuesday|wednesday|thursday|friday|the weekend|tomorrow))\b",
        0.5,
        negatable=True,
    ),
    _rule(
        "urgency",
        "outage",
        r"\b(?:plus de|pas de|sans|aucun(?:e)?|prive(?:e)?s? d')\s*(?:internet|connexion|reseau|ligne|telephone"
        r"|tele|television|wifi|box|service|tonalite)\b|\b(?:coupe(?:e)?|coupure|en panne|hors service"
        r"|ne fonctionne (?:plus|pas)|ne marche (?:plus|pas))\b",
        0.4,
    ),
    _rule(
        "urgency",
        "outage",
        r"\b(?:no|without)\s+(?:internet|connection|signal|service|broadband|wifi|phone line|tv|dial tone)\b"
        r"|\b(?:cut off|disconnected|outage|not working|doesn't work|does not work|stopped working|is down)\b",
        0.4,
    ),
    _rule(
        "urgency",
        "stakes",
        r"\b(?:teletravail|travail|professionnel|entretien d'embauche|examen|mon entreprise|mes clients)\b"
        r"|\b(?:work from home|working from home|my job|my business|job interview|exam|my clients)\b",
        0.2,
    ),
    _rule(
        "urgency",
        "money",
        r"\b(?:preleve(?:e)? deux fois|double prelevement|debite(?:e)? deux fois|decouvert|agios)\b"
        r"|\b(?:charged twice|double charged|double-charged|overdrawn|overdraft)\b",
        0.3,
    ),
    # --- intensity -------------------------------------------------------------------
    _rule(
        "intensity",
        "outrage",
        r"\b(?:honte|honteux|scandale|scandaleux|inadmissible|inacceptable|arnaque|arnaqueurs|voleurs"
        r"|escrocs|lamentable|minable|n'importe quoi|foutez|fout|merde|putain|degoute(?:e)?|ras le bol"
        r"|ras-le-bol|marre|incompetent(?:s)?|nul(?:s|le)?|pitoyable|catastrophique|honteuse)\b",
        0.25,
    ),
    _rule(
        "intensity",
        "outrage",
        r"\b(?:ridiculous|unacceptable|disgrace(?:ful)?|scam|scammers|thieves|useless|pathetic|joke"
        r"|fed up|sick of|sick and tired|worst|damn|hell|shit|fuck\w*|incompetent|outrageous"
        r"|appalling|disgusting|furious|livid)\b",
        0.25,
    ),
    _rule(
        "intensity",
        "intensifier",
        r"\b(?:tres|vraiment|tellement|absolument|totalement|completement|extremement|trop)\b"
        r"|\b(?:very|really|so|absolutely|totally|completely|extremely|utterly)\b",
        0.08,
    ),
    # --- label hints -----------------------------------------------------------------
    _rule(
        "label",
        "anger",
        r"\b(?:honte|honteux|scandale|scandaleux|inadmissible|arnaque|voleurs|escrocs|foutez|furieux"
        r"|furieuse|colere|enrage(?:e)?|hors de moi)\b"
        r"|\b(?:disgrace(?:ful)?|scam|thieves|furious|livid|outrageous|fuck\w*|angry)\b",
        1.0,
    ),
    _rule(
        "label",
        "frustration",
        r"\b(?:toujours pas|toujours rien|encore une fois|marre|ras le bol|ras-le-bol|decu(?:e)?|decevant"
        r"|agace(?:e)?|inacceptable|n'importe quoi|pas normal|lamentable)\b"
        r"|\b(?:still (?:no|not|nothing|waiting)|once again|fed up|disappointed|disappointing|annoyed"
        r"|unacceptable|frustrat\w*|ridiculous|not good enough|sick of)\b",
        0.8,
    ),
    _rule(
        "label",
        "anxiety",
        r"\b(?:inquiet(?:e)?|inquietude|peur|angoisse(?:e)?|stresse(?:e)?|crains|panique|m'inquiete)\b"
        r"|\b(?:worried|worry|anxious|scared|afraid|nervous|panic\w*|stressed|concerned)\b",
        1.0,
    ),
    _rule(
        "label",
        "sadness",
        r"\b(?:triste|tristesse|effondre(?:e)?|deces|decede(?:e)?|deuil|desespere(?:e)?|perdu mon|perdu ma)\b"
        r"|\b(?:sad|heartbroken|devastated|passed away|grieving|desperate|lost my)\b",
        1.0,
    ),
    _rule(
        "label",
        "confusion",
        r"\b(?:je ne comprends pas|je comprends pas|comprends rien|incomprehensible|pas clair|c'est quoi"
        r"|a quoi correspond|pourquoi|je ne sais pas comment|perdu(?:e)? dans)\b"
        r"|\b(?:don't understand|do not understand|doesn't make sense|confused|confusing|what is this"
        r"|why (?:was|am|is|did)|not sure how|no idea (?:why|how|what))\b",
        0.8,
    ),
    _rule(
        "label",
        "neutral",
        # possessive `\W*+`: a message of 8,000 "!" is read once, not 8,000 times
        r"^\W*+(?:(?:bonjour|bonsoir|hello|hi)\W*+)?(?:pouvez-vous|pourriez-vous|est-ce possible|est-il possible"
        r"|je souhaite|je souhaiterais|je voudrais|j'aimerais|merci de|could you|can you|would you"
        r"|i'd like|i would like|is it possible|please)\b",
        1.0,
    ),
    _rule(
        "label",
        "satisfaction",
        r"\b(?:merci beaucoup|merci infiniment|merci pour|parfait|super|genial|top|ravi(?:e)?|content(?:e)?"
        r"|satisfait(?:e)?|excellent|bravo|efficace|rapide et)\b"
        r"|\b(?:thank you so much|thanks so much|thanks a lot|many thanks|great|perfect|brilliant|excellent"
        r"|delighted|happy with|pleased|amazing|sorted|well done|much appreciated)\b",
        0.8,
    ),
)

_NEGATIONS = frozenset(
    {
        "pas",
        "ne",
        "jamais",
        "plus",
        "not",
        "never",
        "no",
        "sans",
        "without",
        "aucune",
        "aucun",
        "nullement",
    }
)
_BRIDGES = frozenset(
    {
        "je",
        "j",
        "veux",
        "vais",
        "souhaite",
        "compte",
        "ai",
        "l'intention",
        "intention",
        "de",
        "d",
        "me",
        "faut",
        "est",
        "c'est",
        "suis",
        "pas",
        "ne",
        "a",
        "i",
        "want",
        "wanting",
        "going",
        "gonna",
        "to",
        "intend",
        "plan",
        "planning",
        "will",
        "would",
        "do",
        "am",
        "is",
        "it's",
        "this",
        "that",
        "really",
        "need",
        "needs",
        "vraiment",
        "du",
        "tout",
        "at",
        "all",
        "wish",
        "trying",
        "try",
        "have",
        "any",
    }
)
_CLAUSE_BREAK = re.compile(
    r"[,;:.!?\n]|\b(?:mais|sinon|si|sauf|but|or|otherwise|if|unless|et|and)\b"
)
_WORD = re.compile(r"[a-z']+")


class _Clauses:
    """Where the clauses and words of one folded text are, found once per text.

    `_negated` asks, for each negatable hit, for the last words of its clause; finding the
    clause breaks and the words of the whole prefix again for every hit made a message of
    many hits quadratic. Here each is found once and each question is a bisection."""

    def __init__(self, folded: str) -> None:
        self.folded = folded
        self.break_ends = [m.end() for m in _CLAUSE_BREAK.finditer(folded)]
        words = [m.span() for m in _WORD.finditer(folded)]
        self.word_starts = [start for start, _ in words]
        self.word_ends = [end for _, end in words]

    def last_words(self, start: int, count: int) -> list[str]:
        """The last `count` words of the clause that ends at `start` (the words a regex
        would find in that clause alone: a word crossing its edges is cut there)."""
        breaks = bisect.bisect_right(self.break_ends, start)
        clause_start = self.break_ends[breaks - 1] if breaks else 0
        last = bisect.bisect_left(self.word_starts, start)  # words starting before `start`
        words: list[str] = []
        index = last - 1
        while index >= 0 and len(words) < count:
            if self.word_ends[index] <= clause_start:
                break
            piece = self.folded[
                max(self.word_starts[index], clause_start) : min(self.word_ends[index], start)
            ]
            words.extend(reversed(_WORD.findall(piece)))
            index -= 1
        return list(reversed(words[:count]))


def _negated(clauses: _Clauses, start: int) -> bool:
    """Whether the cue at `start` is negated within its clause (through bridge words only)."""
    for word in reversed(clauses.last_words(start, 6)):
        if word in _NEGATIONS or word.endswith("n't") or word.startswith("n'"):
            return True
        if word not in _BRIDGES:
            return False
    return False


def _combine(weights: list[float]) -> float:
    """Noisy-or: independent cues add up without exceeding 1."""
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining


def find_cues(text: str) -> CueHits:
    """Run every rule on `text`; each hit becomes an evidence span on the original text."""
    folded = fold(text)
    clauses = _Clauses(folded)
    hits = CueHits()
    effort: dict[str, float] = {}
    urgency: dict[str, float] = {}
    intensity: list[float] = []
    for rule in RULES:
        for match in rule.pattern.finditer(folded):
            if rule.negatable and _negated(clauses, match.start()):
                continue
            start, end = match.span()
            if rule.kind == "flag":
                hits.flags.add(rule.signal)
                signal = rule.signal
            elif rule.kind == "effort":
                effort[rule.signal] = max(effort.get(rule.signal, 0.0), rule.weight)
                signal = f"effort:{rule.signal}"
            elif rule.kind == "urgency":
                urgency[rule.signal] = max(urgency.get(rule.signal, 0.0), rule.weight)
                signal = f"urgency:{rule.signal}"
            elif rule.kind == "intensity":
                intensity.append(rule.weight)
                signal = f"intensity:{rule.signal}"
            else:
                hits.label_boosts[rule.signal] = max(
                    hits.label_boosts.get(rule.signal, 0.0), rule.weight
                )
                signal = f"label:{rule.signal}"
            hits.evidence.append(
                EvidenceSpan(start=start, end=end, text=text[start:end], signal=signal)
            )
    intensity.extend(_typography_intensity(text))
    hits.effort = _combine(list(effort.values()))
    hits.urgency = _combine(list(urgency.values()))
    hits.intensity = min(1.0, sum(intensity))
    hits.evidence.sort(key=lambda span: (span.start, span.end))
    return hits


def _typography_intensity(text: str) -> list[float]:
    """Shouting: repeated exclamation marks and words in capitals."""
    weights = []
    if "!!" in text or text.count("!") >= 3:
        weights.append(0.15)
    elif "!" in text:
        weights.append(0.05)
    shouted = [w for w in re.findall(r"\b[^\W\d_]{3,}\b", text) if w.isupper()]
    if len(shouted) >= 2:
        weights.append(0.2)
    return weights
