"""The configured channels: their senders for the delivery worker, and their checks.

Each channel is one `ChannelSpec` in `CHANNELS`: whether the settings configure it, how to
build its `ChannelSender`, and how to test its connection (`ressenti channels check`). The
composition root gives the delivery worker `senders(settings)`; a channel not configured
has no sender (its rows use the delivery fallback). `make run` configures none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from agents.channels.chatwoot import CHANNEL as CHATWOOT
from agents.channels.chatwoot import ChatwootSender, chatwoot_client
from agents.core.config import Settings
from agents.core.secrets import mask_url
from agents.support.delivery import ChannelSender, DeliveryError

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


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    configured: Callable[[Settings], bool]
    sender: Callable[[Settings], ChannelSender]
    check: Callable[[Settings], ChannelCheck]


def _chatwoot_configured(settings: Settings) -> bool:
    return bool(settings.chatwoot_base_url and settings.chatwoot_api_token)


def _chatwoot_sender(settings: Settings) -> ChannelSender:
    client = chatwoot_client(settings)
    assert client is not None  # only built when configured
    return ChatwootSender(client)


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


CHANNELS: list[ChannelSpec] = [
    ChannelSpec(CHATWOOT, _chatwoot_configured, _chatwoot_sender, _chatwoot_check),
]
"""Every channel Ressenti can deliver to (the e-mail channel adds itself here)."""


def senders(settings: Settings) -> dict[str, ChannelSender]:
    """The sender of each configured channel, by conversation channel."""
    return {spec.name: spec.sender(settings) for spec in CHANNELS if spec.configured(settings)}


def check_all(settings: Settings) -> list[ChannelCheck]:
    """Tests each channel's connection (a channel not configured says what it needs)."""
    return [spec.check(settings) for spec in CHANNELS]
