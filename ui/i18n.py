"""Every label of the app in French and English, and the language switch's choices."""

from __future__ import annotations

from prompts import Lang

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
    "studio_soon": {
        "fr": "### Studio marketing\nArrive avec le studio marketing (brief → variantes → conformité → approbation). Rien n'est simulé ici.",
        "en": "### Marketing studio\nComing with the marketing studio (brief → variants → compliance → approval). Nothing is simulated here.",
    },
    "evaluations_soon": {
        "fr": "### Évaluations\nArrive avec les suites d'évaluation (suites, exécutions, comparaison). Rien n'est simulé ici.",
        "en": "### Evaluations\nComing with the evaluation suites (suites, runs, comparison). Nothing is simulated here.",
    },
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
