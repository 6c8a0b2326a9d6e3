"""Signed-in browsers: server-side sessions, and signing in with a throttle.

A session is a row of the store's `sessions` table; the browser holds only a random token
in an HttpOnly cookie, and the table keeps the token's sha256, so a copy of the database
opens no session. A session is live while it is not revoked, has been used within
`session_idle_minutes` and is younger than `session_max_hours`, and while its account is
active. Every check reads the row: a session ended from the command line (disable, role
change, new password) is refused at the next click, in every process.

Signing in (`SignInDesk`) checks the throttle before any password work: after
`signin_free_failures` failures in a row for one account, or from one address, each further
try waits twice as long as the one before (from `signin_backoff_s` up to
`signin_backoff_max_s`). Every checked attempt is recorded in `signin_attempts` (the audit
of failures and the throttle's memory); a throttled try costs nothing and writes nothing.
Nothing here holds a lock across requests: sign-ins run side by side.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from agents.core.config import Settings
from agents.core.lang import Lang, lang_or
from agents.services.accounts import (
    DEMO_EMAILS,
    MAX_EMAIL_LENGTH,
    Account,
    AccountStore,
    SignInCheck,
    account_of,
)
from tools.crm.models import SignInAttempt, User, UserSession
from tools.crm.store import CRMStore

log = logging.getLogger(__name__)

SESSION_COOKIE = "ressenti_session"
"""The cookie that holds the session token (HttpOnly, SameSite=Strict)."""
LANG_COOKIE = "ressenti_lang"
"""The language of the sign-in page, remembered across visits."""

TOUCH_EVERY = timedelta(seconds=60)
"""A session's last use is written at most this often (idle expiry is that precise)."""

Outcome = SignInCheck | Literal["demo_account"]


def token_id(token: str) -> str:
    """What the table keeps of a token: its sha256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """A live session: whose it is and what it remembers."""

    session_id: str
    account: Account
    lang: Lang
    expires_at: datetime


class SessionStore:
    """The `sessions` table, with the expiry rules of the settings and the store's clock."""

    def __init__(self, store: CRMStore, settings: Settings) -> None:
        self.store = store
        self.idle = timedelta(minutes=settings.session_idle_minutes)
        self.lifetime = timedelta(hours=settings.session_max_hours)

    def open(self, email: str, *, lang: Lang, address: str) -> tuple[str, SignedIn]:
        """A new session for an active account: the token for the cookie, and the session."""
        with self.store.transaction() as session:
            return self.open_within(session, email, lang=lang, address=address)

    def open_within(
        self, session: Session, email: str, *, lang: Lang, address: str
    ) -> tuple[str, SignedIn]:
        """`open`, inside the caller's transaction."""
        token = secrets.token_urlsafe(32)
        now = self.store.clock()
        user = session.scalars(select(User).where(User.email == email)).one()
        row = UserSession(
            id=token_id(token),
            user_id=user.id,
            lang=lang,
            address=address[:64],
            created_at=now,
            last_seen_at=now,
            expires_at=now + self.lifetime,
        )
        session.add(row)
        return token, SignedIn(row.id, account_of(user), lang, row.expires_at)

    def resolve(self, token: str | None, *, touch: bool = True) -> SignedIn | None:
        """The live session of a cookie's token, else None. `touch` counts this as use
        (a click); timers and polls pass False so that an open page still goes idle."""
        if not token or len(token) > 200:
            return None
        key = token_id(token)
        now = self.store.clock()
        with self.store.reading() as session:
            found = session.execute(
                select(UserSession, User)
                .join(User, User.id == UserSession.user_id)
                .where(UserSession.id == key)
            ).first()
        if found is None:
            return None
        row, user = found
        if (
            row.revoked_at is not None
            or not user.active
            or now >= row.expires_at
            or now - row.last_seen_at >= self.idle
        ):
            return None
        if touch and now - row.last_seen_at >= TOUCH_EVERY:
            with self.store.transaction() as session:
                session.execute(
                    update(UserSession).where(UserSession.id == key).values(last_seen_at=now)
                )
        return SignedIn(key, account_of(user), lang_or(row.lang), row.expires_at)

    def set_lang(self, session_id: str, lang: Lang) -> None:
        """Remember the language chosen on the page (a reload keeps it)."""
        with self.store.transaction() as session:
            session.execute(
                update(UserSession).where(UserSession.id == session_id).values(lang=lang)
            )

    def revoke(self, token: str | None, reason: str = "signed_out") -> bool:
        """End the session of this token; True if a live one was ended."""
        if not token:
            return False
        with self.store.transaction() as session:
            return self.revoke_within(session, token, reason)

    def revoke_within(self, session: Session, token: str, reason: str) -> bool:
        """`revoke`, inside the caller's transaction."""
        result = session.execute(
            update(UserSession)
            .where(UserSession.id == token_id(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=self.store.clock(), revoked_reason=reason)
        )
        return bool(getattr(result, "rowcount", 0))

    def live_count(self, email: str) -> int:
        """How many sessions of this account are not revoked (expired ones included)."""
        with self.store.reading() as session:
            query = (
                select(func.count())
                .select_from(UserSession)
                .join(User, User.id == UserSession.user_id)
                .where(User.email == email.strip().lower(), UserSession.revoked_at.is_(None))
            )
            return int(session.scalar(query) or 0)


@dataclass(frozen=True)
class SignInResult:
    """How a sign-in ended: a session (`token` for the cookie), a refusal, or a wait."""

    outcome: Literal["ok", "refused", "throttled"]
    token: str | None = None
    signed_in: SignedIn | None = None
    retry_after_s: float = 0.0


class SignInDesk:
    """Password sign-in with a throttle per account and per address, audited."""

    def __init__(
        self,
        accounts: AccountStore,
        sessions: SessionStore,
        store: CRMStore,
        settings: Settings,
    ) -> None:
        self.accounts = accounts
        self.sessions = sessions
        self.store = store
        self.settings = settings
        self.window = timedelta(minutes=settings.signin_window_minutes)

    def sign_in(
        self,
        email: str,
        password: str,
        *,
        address: str,
        lang: Lang,
        replacing: str | None = None,
    ) -> SignInResult:
        """Check the throttle, then the password; open a session on success (ending the
        browser's previous one, `replacing`)."""
        key = email.strip().lower()[:MAX_EMAIL_LENGTH]
        wait = self.wait_s(key, address)
        if wait > 0:
            log.warning("sign-in throttled for %r from %s (%.0f s left)", key, address, wait)
            return SignInResult("throttled", retry_after_s=wait)
        outcome: Outcome
        if key in DEMO_EMAILS and not self.settings.demo_active:
            outcome, account = "demo_account", None
        else:
            outcome, account = self.accounts.check(email, password)
        # The audit row and the new session are one transaction (one commit per sign-in).
        with self.store.transaction() as session:
            session.add(
                SignInAttempt(
                    at=self.store.clock(), email=key, address=address[:64], outcome=outcome
                )
            )
            if account is None:
                log.info("sign-in refused for %r from %s: %s", key, address, outcome)
                return SignInResult("refused")
            if replacing:
                self.sessions.revoke_within(session, replacing, "replaced")
            token, signed = self.sessions.open_within(
                session, account.email, lang=lang, address=address
            )
        return SignInResult("ok", token=token, signed_in=signed)

    def wait_s(self, email: str, address: str) -> float:
        """Seconds before this account may be tried again from this address (0: now)."""
        now = self.store.clock()
        since = now - self.window
        with self.store.reading() as session:
            last_ok = session.scalar(
                select(func.max(SignInAttempt.at)).where(
                    SignInAttempt.email == email, SignInAttempt.outcome == "ok"
                )
            )
            # An account's count starts again after its own success; an address's does not
            # (signing in to one's own account must not reset the guesses at others').
            by_account = self._failures(session, SignInAttempt.email == email, since, last_ok)
            by_address = self._failures(session, SignInAttempt.address == address, since, None)
        return max(self._wait(*by_account, now), self._wait(*by_address, now))

    @staticmethod
    def _failures(
        session: Session, where: ColumnElement[bool], since: datetime, after: datetime | None
    ) -> tuple[int, datetime | None]:
        """Failures matching `where` since the window's start (or `after`, if later)."""
        start = max(since, after) if after is not None else since
        query = select(func.count(), func.max(SignInAttempt.at)).where(
            where, SignInAttempt.outcome != "ok", SignInAttempt.at > start
        )
        count, last = session.execute(query).one()
        return int(count or 0), last

    def _wait(self, failures: int, last: datetime | None, now: datetime) -> float:
        s = self.settings
        if last is None or failures < s.signin_free_failures:
            return 0.0
        doublings = min(failures - s.signin_free_failures, 30)
        delay = min(s.signin_backoff_max_s, s.signin_backoff_s * 2.0**doublings)
        return max(0.0, (last + timedelta(seconds=delay) - now).total_seconds())
