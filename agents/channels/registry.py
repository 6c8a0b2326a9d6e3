"""The configured channels: their senders for the delivery worker, and their checks.

Each channel is one `ChannelSpec` in `CHANNELS`: whether the settings configure it, how to
build its `ChannelSender`, and how to test its connection (`ressenti channels check`). The
composition root gives the delivery worker `senders(settings)`; a channel not configured
has no sender (its rows use the delivery fallback). `make run` configures none.
A channel with several connections (e-mail: IMAP in, SMTP out) gives one check for each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from agents.channels.chatwoot import CHANNEL as CHATWOOT
from agents.channels.chatwoot import ChatwootSender, chatwoot_client
from agents.channels.mailcheck import CHANNEL as EMAIL
from agents.channels.mailcheck import check_mail
from agents.channels.smtp import SmtpSender
from agents.core.config import Settings
from agents.core.secrets import mask_url
from agents.support.delivery import ChannelSender, DeliveryError
from tools.crm.store import CRMStore

CheckStatus = Literal["ok", "failed", "not_configured"]


@dataclass(frozen=True)
class ChannelCheck:
    """The outcome of testing one channel's connection."""

    channel: str
    status: CheckStatus
    target: str
    """Where it connects (secrets masked), or the settings it needs."""
    detail: str = ""
    """What is wrong, in the words of the failure, or who the connection is as."""
    problem: str | None = None
    """For a failure, the step that failed when it is known (`config`, `connect`, `tls`,
    `login`, `folder`, `read`): the report names it in the reader's language."""


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    configured: Callable[[Settings], bool]
    sender: Callable[[Settings, CRMStore], ChannelSender]
    checks: Callable[[Settings], list[ChannelCheck]]


def _chatwoot_configured(settings: Settings) -> bool:
    return bool(settings.chatwoot_base_url and settings.chatwoot_api_token)


def _chatwoot_sender(settings: Settings, store: CRMStore) -> ChannelSender:
    client = chatwoot_client(settings)
    assert client is not None  # only built when configured
    return ChatwootSender(client)


def _chatwoot_checks(settings: Settings) -> list[ChannelCheck]:
    return [_chatwoot_check(settings)]


def _chatwoot_check(settings: Settings) -> ChannelCheck:
    client = chatwoot_client(settings)
    if client is None:
        return ChannelCheck(
            CHATWOOT,
            "not_configured",
            "RESSENTI_CHATWOOT_BASE_URL, RESSENTI_CHATWOOT_API_TOKEN",
        )
    target = mask_url(client.base_url)
    missing_secret = settings.chatwoot_webhook_secret is None
    try:
        profile = client.profile()
    except DeliveryError as exc:
        return ChannelCheck(CHATWOOT, "failed", target, str(exc))
    finally:
        client.close()
    who = str(profile.get("name") or profile.get("email") or profile.get("id") or "?")
    detail = f"as {who}"
    if missing_secret:
        return ChannelCheck(
            CHATWOOT,
            "failed",
            target,
            f"{detail}, but RESSENTI_CHATWOOT_WEBHOOK_SECRET is not set: every webhook is refused",
        )
    return ChannelCheck(CHATWOOT, "ok", target, detail)


def _mail_configured(settings: Settings) -> bool:
    return settings.smtp_configured


def _mail_sender(settings: Settings, store: CRMStore) -> ChannelSender:
    return SmtpSender(settings, store)


def _mail_checks(settings: Settings) -> list[ChannelCheck]:
    """IMAP (the mailbox read) and SMTP (replies sent), each for itself."""
    found = check_mail(settings)
    if not found:
        return [
            ChannelCheck(
                EMAIL,
                "not_configured",
                "RESSENTI_IMAP_HOST, RESSENTI_SMTP_HOST, RESSENTI_MAIL_FROM",
            )
        ]
    return [
        ChannelCheck(
            f"{EMAIL} ({check.part})",
            "ok" if check.ok else "failed",
            check.target,
            check.detail,
            check.problem,
        )
        for check in found
    ]


CHANNELS: list[ChannelSpec] = [
    ChannelSpec(CHATWOOT, _chatwoot_configured, _chatwoot_sender, _chatwoot_checks),
    ChannelSpec(EMAIL, _mail_configured, _mail_sender, _mail_checks),
]
"""Every channel Ressenti can deliver to."""


def senders(settings: Settings, store: CRMStore) -> dict[str, ChannelSender]:
    """The sender of each configured channel, by conversation channel."""
    return {
        spec.name: spec.sender(settings, store) for spec in CHANNELS if spec.configured(settings)
    }


def check_all(settings: Settings) -> list[ChannelCheck]:
    """Tests each channel's connections (a channel not configured says what it needs)."""
    return [check for spec in CHANNELS for check in spec.checks(settings)]
