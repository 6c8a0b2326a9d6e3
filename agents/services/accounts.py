"""Who may sign in, and what each role sees.

Accounts live in the store's `users` table; passwords are kept as salted scrypt hashes
(`hashlib.scrypt`, standard library) and compared in constant time. The tab a role may open
is decided here, not in the UI, so every UI callback can ask the same question.

Disabling an account, removing it, changing its password or its role ends its sessions in
the same transaction (`revoke_sessions`): a session never outlives the right it was opened
with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tools.crm.models import User, UserSession
from tools.crm.store import CRMStore

Role = Literal["agent", "marketer", "tester", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
Tab = Literal["inbox", "handoffs", "dashboard", "insights", "studio", "evaluations"]

TABS_BY_ROLE: dict[Role, tuple[Tab, ...]] = {
    "agent": ("inbox", "handoffs"),
    "marketer": ("studio",),
    "tester": ("evaluations",),
    "admin": ("inbox", "handoffs", "dashboard", "insights", "studio", "evaluations"),
}
"""The supervisor's dashboard and insights are the admin's; an admin sees every tab."""

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
"""Longer passwords are refused before any hashing (a megabyte "password" costs the server,
not the guesser)."""
MAX_EMAIL_LENGTH = 254

DEMO_PASSWORD = "ressenti-demo"
"""The documented password of the demo accounts (`make run` creates them; never in production)."""
DEMO_ACCOUNTS: tuple[tuple[str, Role, str], ...] = (
    ("agent@demo", "agent", "Alex Agent"),
    ("marketer@demo", "marketer", "Maud Marketing"),
    ("tester@demo", "tester", "Théo Test"),
    ("admin@demo", "admin", "Ada Admin"),
)
DEMO_EMAILS = frozenset(email for email, _, _ in DEMO_ACCOUNTS)

SignInCheck = Literal["ok", "bad_password", "unknown_account", "disabled", "too_long"]
"""How a password check ended (the sign-in audit records it)."""

# scrypt cost: 16 MiB of memory and ~50 ms per hash on one core.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class AccountError(ValueError):
    """An account could not be created as asked (the message says why)."""


class Account(BaseModel):
    """A signed-in person, as the UI knows them (never the hash)."""

    email: str
    display_name: str
    role: Role
    active: bool = True

    def may_open(self, tab: Tab) -> bool:
        return tab in TABS_BY_ROLE[self.role]

    @property
    def tabs(self) -> tuple[Tab, ...]:
        return TABS_BY_ROLE[self.role]


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash`, salt and hash in URL-safe base64."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    salt_text = base64.urlsafe_b64encode(salt).decode()
    digest_text = base64.urlsafe_b64encode(digest).decode()
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt_text}${digest_text}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    if "@" not in value or value.startswith("@") or " " in value:
        raise AccountError(f"not an e-mail address: {email!r}")
    return value


class AccountStore:
    """The `users` table of the store."""

    def __init__(self, store: CRMStore) -> None:
        self.store = store

    def create(
        self, email: str, password: str, role: Role, display_name: str | None = None
    ) -> Account:
        address = normalise_email(email)
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
        _check_password(password)
        name = (display_name or address.split("@")[0]).strip()[:100]
        try:
            with self.store.transaction() as session:
                session.add(
                    User(
                        email=address,
                        display_name=name,
                        role=role,
                        password_hash=hash_password(password),
                        active=True,
                        created_at=self.store.clock(),
                    )
                )
        except IntegrityError as exc:
            raise AccountError(f"an account already exists for {address}") from exc
        return Account(email=address, display_name=name, role=role)

    def check(self, email: str, password: str) -> tuple[SignInCheck, Account | None]:
        """Whether `password` opens the account `email`, and the account when it does.

        An unknown address costs the same scrypt work as a wrong password, so the answer's
        time does not say which accounts exist; a password over `MAX_PASSWORD_LENGTH` is
        refused before any hashing."""
        if len(password) > MAX_PASSWORD_LENGTH or len(email) > MAX_EMAIL_LENGTH:
            return "too_long", None
        address = email.strip().lower()
        with self.store.reading() as session:
            user = session.scalars(select(User).where(User.email == address)).first()
        if user is None:
            verify_password(password, _DUMMY_HASH)
            return "unknown_account", None
        if not verify_password(password, user.password_hash):
            return "bad_password", None
        if not user.active:
            return "disabled", None
        return "ok", account_of(user)

    def authenticate(self, email: str, password: str) -> Account | None:
        """The account if the e-mail and password match an active account, else None."""
        return self.check(email, password)[1]

    def get(self, email: str) -> Account | None:
        with self.store.reading() as session:
            user = _find(session, email)
            return account_of(user) if user else None

    def exists(self, email: str) -> bool:
        with self.store.reading() as session:
            query = select(func.count()).select_from(User).where(User.email == email.lower())
            return bool(session.scalar(query))

    def count(self) -> int:
        with self.store.reading() as session:
            return int(session.scalar(select(func.count()).select_from(User)) or 0)

    def list(self) -> list[Account]:
        with self.store.reading() as session:
            users = session.scalars(select(User).order_by(User.email)).all()
        return [account_of(u) for u in users]

    # --- changes that end the account's sessions ------------------------------------------
    def disable(self, email: str) -> Account:
        """The account can no longer sign in; its sessions end now."""
        return self._change(email, "disabled", active=False)

    def enable(self, email: str) -> Account:
        """The account may sign in again (its old sessions stay ended)."""
        return self._change(email, None, active=True)

    def set_password(self, email: str, password: str) -> Account:
        """A new password; every session opened with the old one ends."""
        _check_password(password)
        return self._change(email, "password_changed", password_hash=hash_password(password))

    def set_role(self, email: str, role: Role) -> Account:
        """A new role; the account's sessions end (they were opened with the old one)."""
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
        return self._change(email, "role_changed", role=role)

    def remove(self, email: str) -> Account:
        """Delete the account and its sessions (its approvals keep the reviewer's e-mail)."""
        with self.store.transaction() as session:
            user = _find(session, email)
            if user is None:
                raise AccountError(f"no account for {email.strip().lower()}")
            account = account_of(user)
            session.execute(delete(UserSession).where(UserSession.user_id == user.id))
            session.delete(user)
        return account

    def _change(self, email: str, revoke: str | None, **values: object) -> Account:
        with self.store.transaction() as session:
            user = _find(session, email)
            if user is None:
                raise AccountError(f"no account for {email.strip().lower()}")
            for name, value in values.items():
                setattr(user, name, value)
            if revoke is not None:
                revoke_sessions(session, user.id, revoke, self.store.clock())
            return account_of(user)


def revoke_sessions(session: Session, user_id: int, reason: str, now: datetime) -> int:
    """End every live session of one account, inside the caller's transaction."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _find(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email.strip().lower())).first()


def account_of(user: User) -> Account:
    """The account of a `users` row (never its hash)."""
    return Account(
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")


_DUMMY_HASH = hash_password(secrets.token_hex(8))


def seed_demo_accounts(accounts: AccountStore) -> list[Account]:
    """Create the demo accounts that do not exist yet; returns the ones created."""
    created = []
    for email, role, name in DEMO_ACCOUNTS:
        if not accounts.exists(email):
            created.append(accounts.create(email, DEMO_PASSWORD, role, name))
    return created
