"""Facts the services report, worded for a person: the studio's notices and the model
server's status (the services return the facts; the wording is the UI's, `ui/texts.yaml`).
"""

from __future__ import annotations

from agents.core.lang import Lang
from agents.marketing.schemas import Notice
from agents.services.playground import StatusReport
from ui.i18n import rule_name, t


def notice_text(notice: Notice, lang: Lang) -> str:
    """Why the studio's last decision was not applied."""
    return t(
        f"notice_{notice.kind}",
        lang,
        rounds=notice.rounds,
        variant=notice.variant_id,
        rules=", ".join(rule_name(rule, lang) for rule in notice.rules),
    )


def status_text(report: StatusReport, lang: Lang) -> str:
    """The model server's state, and what to do when it is not ready."""
    return t(
        f"model_{report.state}",
        lang,
        model=report.model,
        url=report.base_url,
        detail=report.detail,
        served=", ".join(report.served) or t("model_serves_nothing", lang),
    )
