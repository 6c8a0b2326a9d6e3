"""What `ressenti channels check` tests of the e-mail channel: IMAP login and folder
selection, SMTP connection (STARTTLS) and login. Each check says which step failed and
the server's own words; no password is ever part of what it says."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass

from agents.channels.imap import MailboxError, connect, mailbox_key
from agents.core.config import Settings

CHANNEL = "email"


@dataclass(frozen=True)
class ChannelCheck:
    """The result of testing one connection of a channel."""

    channel: str
    part: str
    """`imap`, `smtp`, …"""
    target: str
    """What was tried (`user@host:port/folder`, `host:port`): no secret in it."""
    problem: str | None
    """None when it works; else the step that failed: `config`, `connect`, `tls`,
    `login`, `folder`."""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_imap(settings: Settings) -> ChannelCheck:
    target = mailbox_key(settings)
    if not settings.imap_configured:
        return ChannelCheck(CHANNEL, "imap", target, "config", "RESSENTI_IMAP_HOST/USER")
    try:
        client = connect(settings)
    except MailboxError as exc:
        return ChannelCheck(CHANNEL, "imap", target, exc.step, str(exc))
    try:
        status, data = client.status(f'"{settings.imap_folder}"', "(MESSAGES UNSEEN)")
        detail = data[0].decode("utf-8", "replace") if status == "OK" and data[0] else ""
    finally:
        client.logout()
    return ChannelCheck(CHANNEL, "imap", target, None, detail if isinstance(detail, str) else "")


def check_smtp(settings: Settings) -> ChannelCheck:
    target = f"{settings.smtp_host}:{settings.smtp_port}"
    if not settings.smtp_host:
        return ChannelCheck(CHANNEL, "smtp", target, "config", "RESSENTI_SMTP_HOST")
    if not settings.mail_from:
        return ChannelCheck(CHANNEL, "smtp", target, "config", "RESSENTI_MAIL_FROM")
    timeout = settings.mail_timeout_s
    context = ssl.create_default_context()
    try:
        client = (
            smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
            )
            if settings.smtp_ssl
            else smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        )
    except (OSError, smtplib.SMTPException) as exc:
        return ChannelCheck(CHANNEL, "smtp", target, "connect", str(exc))
    try:
        code, banner = client.ehlo()
        step = "tls"
        if settings.smtp_starttls and not settings.smtp_ssl:
            client.starttls(context=context)
            client.ehlo()
        step = "login"
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            client.login(settings.smtp_user, password)
        client.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return ChannelCheck(CHANNEL, "smtp", target, step, str(exc))
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    first = banner.decode("utf-8", "replace").splitlines()[0] if banner else ""
    return ChannelCheck(CHANNEL, "smtp", target, None, f"{code} {first}".strip())


def check_mail(settings: Settings) -> list[ChannelCheck]:
    """The e-mail channel's checks, for the parts that are configured."""
    checks: list[ChannelCheck] = []
    if settings.imap_host or settings.imap_user:
        checks.append(check_imap(settings))
    if settings.smtp_host or settings.mail_from:
        checks.append(check_smtp(settings))
    return checks
