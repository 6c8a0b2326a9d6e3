"""Real mail servers for the e-mail channel's tests, each a private instance on loopback.

- `Dovecot`: Debian's `dovecot-imapd` (`make mail` installs it), started in the
  foreground (`dovecot -c <conf> -F`) with its own config, run and state folders under a
  throwaway directory, passwd-file accounts and one maildir per account. Nothing of the
  system's dovecot is read or started. As root, dovecot refuses to run its login
  processes or to deliver mail as root, so it uses the package's own `dovenull` (login),
  `dovecot` (internal) users and delivers as `dovecot`; otherwise everything runs as the
  current user.
- `SmtpDrop`: `aiosmtpd`'s SMTP server; every mail it accepts is appended over IMAP to the
  INBOX of each recipient that has a Dovecot account, so a reply "lands in the customer's
  mailbox" and is read back as the customer would (unknown recipients are refused: 550).
  It can require AUTH (PLAIN/LOGIN) with one login and password.

Both are stopped by their `stop()`; no process is left behind.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import os
import pwd
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dovecot_binary() -> str:
    found = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if found is None:
        raise RuntimeError("dovecot not found: run `make mail` (apt package dovecot-imapd)")
    return found


CONFIG = """\
# A private Dovecot of a test: IMAP on loopback only, plain text logins (no TLS on loopback).
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    """One private Dovecot IMAP server; accounts are e-mail addresses with a password."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ressenti-dovecot-"))
        self.host = "127.0.0.1"
        self.port = free_port()
        self.passwords: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None

    # --- accounts ------------------------------------------------------------------------
    def add_user(self, address: str, password: str) -> None:
        """An account (dovecot reads the passwd file again when it changes)."""
        self.passwords[address] = password
        lines = [f"{user}:{{PLAIN}}{secret}" for user, secret in self.passwords.items()]
        (self.root / "passwd").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # --- the server ----------------------------------------------------------------------
    def start(self) -> Dovecot:
        as_root = os.geteuid() == 0
        if as_root:
            mail_user = pwd.getpwnam("dovecot")
            internal_user, internal_group, login_user = "dovecot", "dovecot", "dovenull"
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            internal_user = mail_user.pw_name
            internal_group = ""
            login_user = mail_user.pw_name
        for folder in ("run", "state", "mail"):
            (self.root / folder).mkdir(exist_ok=True)
        if as_root:  # the mail processes run as `dovecot`: they own the maildirs
            os.chmod(self.root, 0o755)
            shutil.chown(self.root / "mail", mail_user.pw_uid, mail_user.pw_gid)
        if not (self.root / "passwd").exists():
            (self.root / "passwd").write_text("", encoding="utf-8")
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                uid=mail_user.pw_uid,
                gid=mail_user.pw_gid,
                internal_user=internal_user,
                internal_group=internal_group,
                login_user=login_user,
            ),
            encoding="utf-8",
        )
        self._process = subprocess.Popen(
            [dovecot_binary(), "-c", str(config), "-F"],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("wb"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot did not start:\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as probe:
                    if probe.recv(64).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer in 30 s:\n{self.log()}")

    def log(self) -> str:
        parts = [
            path.read_text(encoding="utf-8", errors="replace")
            for path in (self.root / "stderr.log", self.root / "dovecot.log")
            if path.exists()
        ]
        return "\n".join(parts)

    def stop(self) -> None:
        """Stops the server and its children, and removes its folder."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    # --- as a mail client ----------------------------------------------------------------
    def login(self, address: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(address, self.passwords[address])
        return client

    def append(self, address: str, raw: bytes, folder: str = "INBOX") -> None:
        """Puts one mail in an account's folder, as a delivery would."""
        client = self.login(address)
        try:
            status, detail = client.append(folder, None, None, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND refused: {detail!r}")
        finally:
            client.logout()

    def messages(self, address: str, folder: str = "INBOX") -> list[EmailMessage]:
        """Every mail of an account's folder, parsed, oldest first."""
        client = self.login(address)
        try:
            client.select(folder, readonly=True)
            _, found = client.uid("SEARCH", "ALL")
            uids = found[0].split() if found and found[0] else []
            mails: list[EmailMessage] = []
            for uid in uids:
                _, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next(part[1] for part in data if isinstance(part, tuple))
                parsed = email.message_from_bytes(raw, policy=email.policy.default)
                assert isinstance(parsed, EmailMessage)
                mails.append(parsed)
            return mails
        finally:
            client.logout()


@dataclass
class Received:
    """One mail the SMTP server accepted."""

    mail_from: str
    recipients: list[str]
    content: bytes


@dataclass
class _DropHandler:
    dovecot: Dovecot
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address not in self.dovecot.passwords:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        for recipient in envelope.rcpt_tos:
            self.dovecot.append(recipient, content)
        self.received.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(content))
        )
        return "250 2.0.0 delivered to the mailbox"


class SmtpDrop:
    """aiosmtpd on loopback delivering into the Dovecot accounts of its recipients."""

    def __init__(self, dovecot: Dovecot, *, login: str | None = None, password: str = "") -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = _DropHandler(dovecot)
        self._login, self._password = login, password
        options: dict[str, Any] = {}
        if login is not None:
            options = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,  # loopback, no TLS in the tests
            }
        self.controller = Controller(
            self.handler, hostname=self.host, port=self.port, server_hostname="mx.test", **options
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self._login
            and data.password.decode() == self._password
        )
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> SmtpDrop:
        self.controller.start()
        with smtplib.SMTP(self.host, self.port, timeout=10) as probe:  # it answers
            probe.noop()
        return self

    def stop(self) -> None:
        self.controller.stop()
