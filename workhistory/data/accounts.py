"""Workspaces, users and authentication (SPEC §7).

Passwords are hashed with Argon2id (argon2-cffi's defaults, re-hashed on login when those
defaults get stronger). Login looks the email up through `login_lookup()`, the one SECURITY
DEFINER path that works before a tenant is known, and takes the same time whether or not the
email exists. Everything else runs as `portfolio_app` inside the new or current workspace.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from workhistory.data.db import Actor, Database

PASSWORD_MIN, PASSWORD_MAX = 8, 128
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both answers cost one Argon2 verification.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + uuid.uuid4().hex)


def use_cheap_hashing_for_tests() -> None:
    """Switch to Argon2's cheapest parameters. For test suites only, which create hundreds of
    users: the production cost (about 0.25 s a hash here) would dominate their run time."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    _DUMMY_HASH = _hasher.hash("not-a-real-password-" + uuid.uuid4().hex)


@dataclass(frozen=True)
class Account:
    """A user and the workspace they belong to."""

    user_id: UUID
    tenant_id: UUID
    display_name: str
    email: str = ""

    @property
    def actor(self) -> Actor:
        return Actor(tenant_id=self.tenant_id, user_id=self.user_id)


def hash_password(password: str) -> str:
    """Return an Argon2id hash. Raises `ValueError` outside 8-128 characters."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValueError(f"password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters")
    return _hasher.hash(password)


def create_workspace(
    db: Database, workspace: str, email: str, display_name: str, password: str
) -> Account:
    """Create a workspace and its first user in one transaction; return that user.
    Raises `DuplicateEmail` when the email already has an account (in any workspace)."""
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    password_hash = hash_password(password)
    with db.transaction(Actor(tenant_id, user_id)) as conn:
        conn.execute("INSERT INTO tenants (id, name) VALUES (%s, %s)", (tenant_id, workspace))
        insert_user(conn, tenant_id, user_id, email, display_name, password_hash)
    return Account(user_id, tenant_id, display_name.strip(), email.strip())


def add_user(
    db: Database, tenant_id: UUID, email: str, display_name: str, password: str
) -> Account:
    """Create a user inside an existing workspace; return it. Raises `DuplicateEmail`."""
    user_id = uuid.uuid4()
    password_hash = hash_password(password)
    with db.transaction(Actor(tenant_id, user_id)) as conn:
        insert_user(conn, tenant_id, user_id, email, display_name, password_hash)
    return Account(user_id, tenant_id, display_name.strip(), email.strip())


def insert_user(conn, tenant_id, user_id, email, display_name, password_hash) -> None:
    """Insert a user row on `conn`, inside a transaction whose context is that new user
    (`users_create` lets a row be created only by its own sign-up or invite join)."""
    conn.execute(
        "INSERT INTO users (id, tenant_id, email, display_name, password_hash)"
        " VALUES (%s, %s, %s, %s, %s)",
        (user_id, tenant_id, email.strip(), display_name.strip(), password_hash),
    )


def find_workspace(db: Database, name: str) -> UUID | None:
    """Return the id of the oldest workspace called exactly `name`, or None (operator CLI)."""
    with db.transaction() as conn:
        row = conn.execute("SELECT workspace_lookup(%s) AS id", (name,)).fetchone()
    return row["id"]


def authenticate(db: Database, email: str, password: str) -> Account | None:
    """Return the user whose email and password match, else None.

    The same single Argon2 verification runs whether or not the email exists, so timing does
    not tell which emails have accounts. A hash made with weaker parameters is upgraded.
    """
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT user_id, tenant_id, display_name, password_hash FROM login_lookup(%s)",
            (email.strip(),),
        ).fetchone()
    stored = row["password_hash"] if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    user = Account(row["user_id"], row["tenant_id"], row["display_name"], email.strip())
    if _hasher.check_needs_rehash(stored):
        with db.transaction(user.actor) as conn:
            conn.execute(
                "UPDATE users SET password_hash = %s WHERE tenant_id = %s AND id = %s",
                (_hasher.hash(password), user.tenant_id, user.user_id),
            )
    return user
