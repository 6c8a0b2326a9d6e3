"""Who may sign in, and what each role sees.

Accounts live in the store's `users` table; passwords are kept as salted scrypt hashes
(`hashlib.scrypt`, standard library) and compared in constant time. The tab a role may open
is decided here, not in the UI, so every UI callback can ask the same question.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Literal, get_args

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tools.crm.models import User
from tools.crm.store import CRMStore

Role = Literal["agent", "marketer", "tester", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
Tab = Literal["inbox", "handoffs", "dashboard", "studio", "evaluations"]

TABS_BY_ROLE: dict[Role, tuple[Tab, ...]] = {
    "agent": ("inbox", "handoffs"),
    "marketer": ("studio",),
    "tester": ("evaluations",),
    "admin": ("inbox", "handoffs", "dashboard", "studio", "evaluations"),
}
"""The supervisor's dashboard is the admin's; an admin sees every tab."""

MIN_PASSWORD_LENGTH = 8

DEMO_PASSWORD = "ressenti-demo"
"""The documented password of the demo accounts (`make run` creates them; never in production)."""
DEMO_ACCOUNTS: tuple[tuple[str, Role, str], ...] = (
    ("agent@demo", "agent", "Alex Agent"),
    ("marketer@demo", "marketer", "Maud Marketing"),
    ("tester@demo", "tester", "Théo Test"),
    ("admin@demo", "admin", "Ada Admin"),
)

# scrypt cost: 16 MiB of memory and ~50 ms per hash on one core.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class AccountError(ValueError):
    """An account could not be created as asked (the message says why)."""


class Account(BaseModel):
    """A signed-in person, as the UI knows them (never the hash)."""

    email: str
    display_name: str
    role: Role

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
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
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

    def authenticate(self, email: str, password: str) -> Account | None:
        """The account if the e-mail and password match an active account, else None."""
        address = email.strip().lower()
        with self.store.reading() as session:
            user = session.scalars(select(User).where(User.email == address)).first()
        if user is None:
            # Same work as a real check, so a wrong address is not faster than a wrong password.
            verify_password(password, _DUMMY_HASH)
            return None
        if not user.active or not verify_password(password, user.password_hash):
            return None
        return Account(email=user.email, display_name=user.display_name, role=user.role)

    def exists(self, email: str) -> bool:
        with self.store.reading() as session:
            query = select(func.count()).select_from(User).where(User.email == email.lower())
            return bool(session.scalar(query))

    def list(self) -> list[Account]:
        with self.store.reading() as session:
            users = session.scalars(select(User).order_by(User.email)).all()
        return [Account(email=u.email, display_name=u.display_name, role=u.role) for u in users]


_DUMMY_HASH = hash_password(secrets.token_hex(8))


def seed_demo_accounts(accounts: AccountStore) -> list[Account]:
    """Create the demo accounts that do not exist yet; returns the ones created."""
    created = []
    for email, role, name in DEMO_ACCOUNTS:
        if not accounts.exists(email):
            created.append(accounts.create(email, DEMO_PASSWORD, role, name))
    return created
