"""Every label of the app in French and English, and the language switch's choices."""

from __future__ import annotations

from agents.core.lang import Lang

LANGUAGES = ["Français", "English"]


def lang_of(choice: str | None) -> Lang:
    return "en" if choice == "English" else "fr"


LABELS: dict[str, dict[Lang, str]] = {
    # Shell and sign-in
    "title": {
        "fr": "## Ressenti — copilote de centre de contact",
        "en": "## Ressenti — contact-centre copilot",
    },
    "signin_intro": {
        "fr": "### Connexion\nConnectez-vous avec votre compte.",
        "en": "### Sign in\nSign in with your account.",
    },
    "signin_demo": {
        "fr": "Comptes de démonstration : `agent@demo`, `marketer@demo`, `tester@demo`, `admin@demo` — mot de passe `{password}`.",
        "en": "Demo accounts: `agent@demo`, `marketer@demo`, `tester@demo`, `admin@demo` — password `{password}`.",
    },
    "email": {"fr": "E-mail", "en": "E-mail"},
    "password": {"fr": "Mot de passe", "en": "Password"},
    "signin": {"fr": "Se connecter", "en": "Sign in"},
    "signout": {"fr": "Se déconnecter", "en": "Sign out"},
    "bad_credentials": {
        "fr": "E-mail ou mot de passe incorrect.",
        "en": "Wrong e-mail or password.",
    },
    "signed_in_as": {"fr": "Connecté·e : {name} ({role})", "en": "Signed in: {name} ({role})"},
    "not_allowed": {
        "fr": "Votre rôle ne donne pas accès à cette action.",
        "en": "Your role does not allow this action.",
    },
    # Tabs
    "tab_inbox": {"fr": "Boîte de réception", "en": "Inbox"},
    "tab_handoffs": {"fr": "Transferts", "en": "Handoffs"},
    "tab_dashboard": {"fr": "Tableau de bord", "en": "Dashboard"},
    "tab_studio": {"fr": "Studio marketing", "en": "Marketing studio"},
    "tab_evaluations": {"fr": "Évaluations", "en": "Evaluations"},
    # Marketing studio
    "studio_intro": {
        "fr": "Décrivez la campagne ; le studio lit le ressenti du segment, propose des variantes et les vérifie avant votre décision.",
        "en": "Describe the campaign; the studio reads how the segment feels, proposes variants and checks them before your decision.",
    },
    "brief_name": {"fr": "Nom de la campagne", "en": "Campaign name"},
    "brief_goal": {"fr": "Objectif", "en": "Goal"},
    "brief_offer": {
        "fr": "Offre (nom de la fiche offre)",
        "en": "Offer (as named in the offer sheets)",
    },
    "brief_facts": {
        "fr": "Faits garantis sur l'offre (un par ligne)",
        "en": "Facts you vouch for (one a line)",
    },
    "seg_segment": {"fr": "Segment", "en": "Segment"},
    "seg_language": {"fr": "Langue du client", "en": "Customer language"},
    "seg_city": {
        "fr": "Ville (plusieurs : séparées par des virgules)",
        "en": "City (several: comma-separated)",
    },
    "seg_contract": {"fr": "Type de contrat", "en": "Contract kind"},
    "brief_emotion": {"fr": "Émotion visée", "en": "Target emotion"},
    "brief_lang": {"fr": "Langue de l'e-mail", "en": "E-mail language"},
    "brief_tone": {
        "fr": "Contraintes de ton (une par ligne)",
        "en": "Tone constraints (one a line)",
    },
    "brief_variants": {"fr": "Nombre de variantes", "en": "Number of variants"},
    "draft_campaign": {"fr": "Rédiger", "en": "Draft"},
    "variants_drafting": {
        "fr": "Rédaction des variantes par le modèle…",
        "en": "The model is drafting the variants…",
    },
    "bad_brief": {
        "fr": "Brief incomplet ou invalide : {why}",
        "en": "Incomplete or invalid brief: {why}",
    },
    "insight_size": {"fr": "Destinataires :", "en": "Recipients:"},
    "insight_excluded": {"fr": "Exclus :", "en": "Excluded:"},
    "insight_no_consent": {"fr": "{n} sans consentement", "en": "{n} without consent"},
    "insight_vulnerable": {"fr": "{n} vulnérables", "en": "{n} vulnerable"},
    "insight_emotions": {"fr": "Émotions dominantes :", "en": "Dominant emotions:"},
    "insight_irritants": {"fr": "Irritants :", "en": "Irritants:"},
    "insight_valence": {
        "fr": "Valence en fin de conversation :",
        "en": "End-of-conversation valence:",
    },
    "insight_conversations": {"fr": "{n} conversations lues", "en": "{n} conversations read"},
    "plot_segment_emotions": {"fr": "Émotions du segment (%)", "en": "Segment emotions (%)"},
    "no_flag": {"fr": "aucune alerte de conformité", "en": "no compliance flag"},
    "aimed_emotion": {"fr": "Émotion visée", "en": "Aimed emotion"},
    "variant_failed": {"fr": "Variante {n} non produite :", "en": "Variant {n} not produced:"},
    "variant_approved": {"fr": "approuvée", "en": "approved"},
    "pick_variant": {"fr": "Variante choisie", "en": "Chosen variant"},
    "override_reason": {
        "fr": "Motif de dérogation (obligatoire pour approuver une variante signalée)",
        "en": "Override reason (required to approve a flagged variant)",
    },
    "edit_variant": {"fr": "Modifier la variante choisie", "en": "Edit the chosen variant"},
    "body": {"fr": "Texte", "en": "Body"},
    "round_instruction": {
        "fr": "Consigne pour un nouveau tour",
        "en": "Instruction for another round",
    },
    "approve_variant": {"fr": "Approuver", "en": "Approve"},
    "edit_approve_variant": {"fr": "Modifier et approuver", "en": "Edit and approve"},
    "another_round": {"fr": "Nouveau tour", "en": "Another round"},
    "reject_all": {"fr": "Tout rejeter", "en": "Reject all"},
    "export_campaign": {"fr": "Exporter", "en": "Export"},
    "export_file": {"fr": "Export (zip)", "en": "Export (zip)"},
    "no_campaign": {"fr": "Rédigez d'abord une campagne.", "en": "Draft a campaign first."},
    "override_required": {
        "fr": "Cette variante a des alertes de conformité : indiquez un motif de dérogation (il est enregistré avec votre nom et l'heure).",
        "en": "This variant has compliance flags: give an override reason (recorded with your name and the time).",
    },
    "export_needs_approval": {
        "fr": "Seule une campagne approuvée s'exporte : approuvez d'abord une variante.",
        "en": "Only an approved campaign is exported: approve a variant first.",
    },
    "exported": {
        "fr": "Campagne {id} exportée : {n} e-mails.",
        "en": "Campaign {id} exported: {n} e-mails.",
    },
    "campaign_awaiting_approval": {
        "fr": "Campagne {id} — tour {round} : variantes à approuver.",
        "en": "Campaign {id} — round {round}: variants awaiting approval.",
    },
    "campaign_approved": {
        "fr": "Campagne {id} approuvée. Vous pouvez l'exporter.",
        "en": "Campaign {id} approved. You can export it.",
    },
    "campaign_rejected": {"fr": "Campagne {id} rejetée.", "en": "Campaign {id} rejected."},
    "campaign_failed": {"fr": "Campagne {id} en échec.", "en": "Campaign {id} failed."},
    "campaign_exported": {"fr": "Campagne {id} exportée.", "en": "Campaign {id} exported."},
    "campaign_drafting": {
        "fr": "Campagne {id} en rédaction.",
        "en": "Campaign {id} being drafted.",
    },
    # Evaluations
    "evaluations_intro": {
        "fr": "Lancez une suite d'évaluation (la même que `ressenti eval run`), lisez ses métriques, ses seuils et ses cas, et comparez deux exécutions enregistrées.",
        "en": "Run an evaluation suite (the same as `ressenti eval run`), read its metrics, gates and cases, and compare two stored runs.",
    },
    "suite": {"fr": "Suite", "en": "Suite"},
    "limit": {"fr": "Nombre de cas (vide : tous)", "en": "Number of cases (empty: all)"},
    "workers": {"fr": "Cas en parallèle", "en": "Cases at the same time"},
    "goemotions": {
        "fr": "Dossier GoEmotions (facultatif, suite emotion)",
        "en": "GoEmotions folder (optional, emotion suite)",
    },
    "run_suite": {"fr": "Lancer", "en": "Run"},
    "running": {"fr": "Suite {suite} en cours…", "en": "Running suite {suite}…"},
    "run_done": {
        "fr": "Exécution `{id}` ({suite}, {n} cas) : {verdict}",
        "en": "Run `{id}` ({suite}, {n} cases): {verdict}",
    },
    "gates_pass": {"fr": "tous les seuils sont tenus", "en": "every gate passes"},
    "gates_fail": {"fr": "un seuil au moins n'est pas tenu", "en": "at least one gate fails"},
    "no_gates": {"fr": "Cette suite n'a pas de seuil.", "en": "This suite has no gate."},
    "gate": {"fr": "Seuil", "en": "Gate"},
    "measured": {"fr": "Mesuré", "en": "Measured"},
    "why": {"fr": "Pourquoi", "en": "Why"},
    "metrics": {"fr": "Métriques", "en": "Metrics"},
    "figures": {"fr": "Figures du rapport", "en": "Report figures"},
    "cases": {"fr": "Résultats par cas", "en": "Per-case results"},
    "compare_title": {"fr": "### Comparer deux exécutions", "en": "### Compare two runs"},
    "run_a": {"fr": "Exécution A (avant)", "en": "Run A (before)"},
    "run_b": {"fr": "Exécution B (après)", "en": "Run B (after)"},
    "compare": {"fr": "Comparer", "en": "Compare"},
    "deltas": {"fr": "Écarts de métriques", "en": "Metric deltas"},
    "compare_head": {"fr": "**{a} → {b}**", "en": "**{a} → {b}**"},
    "different_suites": {
        "fr": "Les deux exécutions sont de suites différentes.",
        "en": "The two runs are of different suites.",
    },
    "compare_counts": {
        "fr": "{regressions} régression(s) (réussi en A, échoué en B), {improvements} amélioration(s).",
        "en": "{regressions} regression(s) (passed in A, failed in B), {improvements} improvement(s).",
    },
    "regressed": {"fr": "Régressions", "en": "Regressed"},
    "improved": {"fr": "Améliorations", "en": "Improved"},
    "worse": {"fr": "moins bien", "en": "worse"},
    "better": {"fr": "mieux", "en": "better"},
    "pick_two_runs": {"fr": "Choisissez deux exécutions.", "en": "Pick two runs."},
    # Inbox
    "queue": {"fr": "À approuver", "en": "Awaiting approval"},
    "queue_empty": {"fr": "Aucun brouillon en attente.", "en": "No draft waiting."},
    "refresh": {"fr": "Actualiser", "en": "Refresh"},
    "simulate": {
        "fr": "Simuler un message entrant (démo)",
        "en": "Simulate an inbound message (demo)",
    },
    "customer": {"fr": "Client·e", "en": "Customer"},
    "channel": {"fr": "Canal", "en": "Channel"},
    "subject": {"fr": "Objet", "en": "Subject"},
    "message": {"fr": "Message du client", "en": "Customer's message"},
    "message_placeholder": {
        "fr": "Ex. : Mon colis n'est toujours pas arrivé, c'est la troisième fois que j'écris !",
        "en": "E.g. My parcel still hasn't arrived, this is the third time I write!",
    },
    "send_inbound": {"fr": "Envoyer comme le client", "en": "Send as the customer"},
    "transcript": {"fr": "Conversation", "en": "Conversation"},
    "trajectory": {"fr": "Trajectoire émotionnelle", "en": "Emotional trajectory"},
    "crm_card": {"fr": "Fiche client", "en": "Customer card"},
    "passages": {"fr": "Sources citables", "en": "Citable sources"},
    "draft": {"fr": "Brouillon (modifiable)", "en": "Draft (editable)"},
    "findings": {"fr": "Contrôle du brouillon", "en": "Draft check"},
    "instruction": {
        "fr": "Consigne pour un nouveau brouillon",
        "en": "Instruction for a new draft",
    },
    "instruction_placeholder": {
        "fr": "Ex. : plus court, proposez un rappel",
        "en": "E.g. shorter, offer a call back",
    },
    "approve": {"fr": "Approuver", "en": "Approve"},
    "edit_approve": {"fr": "Modifier et approuver", "en": "Edit and approve"},
    "redraft": {"fr": "Redemander un brouillon", "en": "Redraft"},
    "reject": {"fr": "Rejeter", "en": "Reject"},
    "take_over": {"fr": "Prendre la main", "en": "Take over"},
    "no_selection": {
        "fr": "Choisissez une conversation dans la file.",
        "en": "Pick a conversation in the queue.",
    },
    "new_message": {"fr": "nouveau", "en": "new"},
    "drafting": {"fr": "Rédaction du brouillon…", "en": "Drafting…"},
    "outcome_awaiting_approval": {
        "fr": "Brouillon prêt : à approuver.",
        "en": "Draft ready: awaiting approval.",
    },
    "outcome_sent": {
        "fr": "Réponse approuvée : placée dans la file d'envoi.",
        "en": "Reply approved: queued in the outbox.",
    },
    "outcome_rejected": {"fr": "Brouillon rejeté.", "en": "Draft rejected."},
    "outcome_taken_over": {
        "fr": "Conversation reprise par un humain : voir Transferts.",
        "en": "Conversation taken over: see Handoffs.",
    },
    "outcome_handed_off": {
        "fr": "Conversation transférée à un humain : voir Transferts.",
        "en": "Conversation handed off: see Handoffs.",
    },
    "busy": {
        "fr": "Cette conversation a déjà un brouillon en attente.",
        "en": "This conversation already has a draft waiting.",
    },
    "nothing_pending": {
        "fr": "Plus rien à approuver pour cette conversation.",
        "en": "Nothing left to approve in this conversation.",
    },
    "need_text": {
        "fr": "Il manque le texte (message, brouillon ou consigne).",
        "en": "Text is missing (message, draft or instruction).",
    },
    "error": {"fr": "Erreur : {detail}", "en": "Error: {detail}"},
    "priority": {"fr": "Priorité", "en": "Priority"},
    "emotion": {"fr": "Émotion", "en": "Emotion"},
    "segment": {"fr": "Segment", "en": "Segment"},
    "contracts": {"fr": "Contrats", "en": "Contracts"},
    "orders": {"fr": "Commandes récentes", "en": "Recent orders"},
    "invoices": {"fr": "Factures à régler", "en": "Unpaid invoices"},
    "tickets": {"fr": "Tickets ouverts", "en": "Open tickets"},
    "vulnerable": {"fr": "Client·e vulnérable", "en": "Vulnerable customer"},
    "no_passages": {"fr": "Aucune source retrouvée.", "en": "No source found."},
    "no_findings": {"fr": "Aucun problème relevé.", "en": "No problem found."},
    "blocking": {"fr": "bloquant", "en": "blocking"},
    # Handoffs
    "handoffs_empty": {
        "fr": "Aucune conversation transférée.",
        "en": "No conversation handed off.",
    },
    "reasons": {"fr": "Raisons", "en": "Reasons"},
    "summary": {"fr": "Résumé", "en": "Summary"},
    "tried": {"fr": "Déjà tenté", "en": "Already tried"},
    "opening": {"fr": "Proposition d'ouverture", "en": "Suggested opening"},
    "last_message": {"fr": "Dernier message", "en": "Last message"},
    # Dashboard
    "dashboard_intro": {
        "fr": "Indicateurs calculés sur le CRM (conversations de démo et conversations traitées ici).",
        "en": "Figures computed from the CRM (demo conversations and those handled here).",
    },
    "plot_emotions": {"fr": "Émotions par semaine", "en": "Emotions per week"},
    "plot_end_valence": {
        "fr": "Valence en fin de conversation",
        "en": "End-of-conversation valence",
    },
    "plot_recovery": {
        "fr": "Temps de rétablissement (min, médiane)",
        "en": "Sentiment recovery time (min, median)",
    },
    "plot_effort": {"fr": "Effort client moyen", "en": "Mean customer effort"},
    "plot_escalation": {"fr": "Taux de transfert", "en": "Escalation rate"},
    "plot_reasons": {"fr": "Raisons des transferts", "en": "Escalation reasons"},
    "plot_edit_rate": {"fr": "Taux de brouillons modifiés", "en": "Approval edit rate"},
    "by_channel": {"fr": "par canal", "en": "per channel"},
    "by_segment": {"fr": "par segment", "en": "per segment"},
    "week": {"fr": "semaine du", "en": "week of"},
    "readings": {"fr": "lectures", "en": "readings"},
    "nothing_yet": {"fr": "pas encore de données", "en": "no data yet"},
    "message_index": {"fr": "message", "en": "message"},
    "valence": {"fr": "valence", "en": "valence"},
    "intensity": {"fr": "intensité", "en": "intensity"},
}


def t(key: str, lang: Lang, **values: object) -> str:
    text = LABELS[key][lang]
    return text.format(**values) if values else text


EMOTION_NAMES: dict[str, dict[Lang, str]] = {
    "anger": {"fr": "colère", "en": "anger"},
    "frustration": {"fr": "frustration", "en": "frustration"},
    "anxiety": {"fr": "inquiétude", "en": "anxiety"},
    "sadness": {"fr": "tristesse", "en": "sadness"},
    "confusion": {"fr": "confusion", "en": "confusion"},
    "neutral": {"fr": "neutre", "en": "neutral"},
    "satisfaction": {"fr": "satisfaction", "en": "satisfaction"},
}

FINDING_NAMES: dict[str, dict[Lang, str]] = {
    "ungrounded": {"fr": "chiffre non sourcé", "en": "ungrounded figure"},
    "unknown_citation": {"fr": "citation inconnue", "en": "unknown citation"},
    "gesture_over_limit": {"fr": "geste commercial hors barème", "en": "gesture over the limit"},
    "foreign_data": {"fr": "donnée d'un autre client", "en": "another customer's data"},
    "no_citation": {"fr": "aucune source citée", "en": "no source cited"},
}

EMOTION_COLOURS: dict[str, str] = {
    "anger": "#d64545",
    "frustration": "#e8833a",
    "anxiety": "#c9a227",
    "sadness": "#5b7db8",
    "confusion": "#8a6fbf",
    "neutral": "#8c959f",
    "satisfaction": "#3f9d5a",
}


def emotion_name(label: str, lang: Lang) -> str:
    return EMOTION_NAMES.get(label, {}).get(lang, label)


RULE_NAMES: dict[str, dict[Lang, str]] = {
    "false_urgency": {"fr": "fausse urgence", "en": "false urgency"},
    "guilt_or_fear": {"fr": "culpabilité ou peur", "en": "guilt or fear"},
    "unbacked_claim": {"fr": "affirmation non étayée", "en": "unbacked claim"},
    "missing_legal_mentions": {"fr": "mentions légales absentes", "en": "missing legal mentions"},
    "missing_unsubscribe": {"fr": "désinscription absente", "en": "missing unsubscribe"},
    "sensitive_targeting": {"fr": "ciblage sensible", "en": "sensitive targeting"},
}

TARGET_EMOTION_NAMES: dict[str, dict[Lang, str]] = {
    "reassurance": {"fr": "réassurance", "en": "reassurance"},
    "gratitude": {"fr": "gratitude", "en": "gratitude"},
    "excitement": {"fr": "enthousiasme", "en": "excitement"},
    "belonging": {"fr": "appartenance", "en": "belonging"},
    "curiosity": {"fr": "curiosité", "en": "curiosity"},
}


def rule_name(rule: str, lang: Lang) -> str:
    return RULE_NAMES.get(rule, {}).get(lang, rule)


def target_emotion_name(label: str, lang: Lang) -> str:
    return TARGET_EMOTION_NAMES.get(label, {}).get(lang, label)
