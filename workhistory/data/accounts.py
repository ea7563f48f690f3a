"""Workspaces, users and authentication (SPEC §7).

Passwords are hashed with Argon2id (argon2-cffi's defaults, re-hashed on login when those
defaults get stronger). At most `hashing_slots` hashes or verifications run at once in a
process (each takes 64 MiB; 40 at once took a process past 2 GiB), the rest wait their turn.
Login looks the email up through `login_lookup()`, the one SECURITY DEFINER path that works
before a tenant is known, and takes the same time whether or not the email exists; the same
round trip answers the email as PostgreSQL compares it (`lower()` under the database's
collation), which is what the per-email rate limit keys on. Everything else runs as
`portfolio_app` inside the new or current workspace.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from uuid import UUID

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from workhistory.data.db import Actor, Database, unit_of_work
from workhistory.data.errors import NotFound

PASSWORD_MIN, PASSWORD_MAX = 8, 128
HASHING_SLOTS = 4  # concurrent Argon2 computations per process, by default
_hasher = PasswordHasher()
_slots = threading.BoundedSemaphore(HASHING_SLOTS)
# Verified against when the email is unknown, so both answers cost one Argon2 verification.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + uuid.uuid4().hex)


def limit_concurrent_hashing(slots: int) -> None:
    """Let at most `slots` Argon2 computations run at once in this process (at start-up)."""
    global _slots
    _slots = threading.BoundedSemaphore(max(1, slots))


def _hash(password: str) -> str:
    with _slots:
        return _hasher.hash(password)


def _verify(stored: str, password: str) -> bool:
    with _slots:
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


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
    return _hash(password)


@unit_of_work
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


@unit_of_work
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


@dataclass(frozen=True)
class Profile:
    """The signed-in user's own details, for the account page."""

    display_name: str
    email: str
    workspace_name: str


@unit_of_work
def profile(db: Database, actor: Actor) -> Profile:
    """Return the actor's name, email and workspace name."""
    with db.transaction(actor) as conn:
        row = conn.execute(
            "SELECT u.display_name, u.email, t.name AS workspace_name"
            " FROM users u JOIN tenants t ON t.id = u.tenant_id"
            " WHERE u.tenant_id = %s AND u.id = %s",
            (actor.tenant_id, actor.user_id),
        ).fetchone()
    if row is None:
        raise NotFound("That account does not exist.")
    return Profile(**row)


@unit_of_work
def workspaces_named(db: Database, name: str) -> list[UUID]:
    """Return the ids of every workspace called exactly `name` (trimmed), oldest first
    (operator CLI: anyone can register any name, so a name never identifies a workspace)."""
    with db.transaction() as conn:
        rows = conn.execute("SELECT id FROM workspace_ids(%s) AS id", (name,)).fetchall()
    return [r["id"] for r in rows]


@unit_of_work
def workspace_exists(db: Database, tenant_id: UUID) -> bool:
    """Whether a workspace with this id exists (operator CLI)."""
    with db.transaction(Actor(tenant_id, uuid.uuid4())) as conn:
        row = conn.execute("SELECT 1 FROM tenants WHERE id = %s", (tenant_id,)).fetchone()
    return row is not None


@dataclass(frozen=True)
class LoginCandidate:
    """What a login attempt found before any password is checked: the email as the database
    compares it (`email_key`, for the per-email rate limit) and the account, if any."""

    email: str
    email_key: str
    _row: dict | None


@unit_of_work
def find_login(db: Database, email: str) -> LoginCandidate:
    """Look up a login's email in one round trip: its comparison key and the account (or
    none). No password is checked yet: the caller counts the attempt first."""
    email = email.strip()
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT lower(%s) AS email_key, l.user_id, l.tenant_id, l.display_name,"
            " l.password_hash FROM (SELECT 1) AS one LEFT JOIN login_lookup(%s) AS l ON true",
            (email, email),
        ).fetchone()
    found = row if row["user_id"] is not None else None
    return LoginCandidate(email, row["email_key"], found)


def check_password(db: Database, candidate: LoginCandidate, password: str) -> Account | None:
    """Return the candidate's account if `password` is its password, else None.

    The same single Argon2 verification runs whether or not the email exists, so timing does
    not tell which emails have accounts. A hash made with weaker parameters is upgraded.
    """
    row = candidate._row
    stored = row["password_hash"] if row else _DUMMY_HASH
    if not _verify(stored, password) or row is None:
        return None
    user = Account(row["user_id"], row["tenant_id"], row["display_name"], candidate.email)
    if _hasher.check_needs_rehash(stored):
        _set_password_hash(db, user.actor, _hash(password))
    return user


def authenticate(db: Database, email: str, password: str) -> Account | None:
    """Return the user whose email and password match, else None (`find_login`, then
    `check_password`, with no rate limit between them: for code that has its own)."""
    return check_password(db, find_login(db, email), password)


@unit_of_work
def _set_password_hash(db: Database, actor: Actor, password_hash: str) -> None:
    with db.transaction(actor) as conn:
        conn.execute(
            "UPDATE users SET password_hash = %s WHERE tenant_id = %s AND id = %s",
            (password_hash, actor.tenant_id, actor.user_id),
        )


@unit_of_work
def _own_password_hash(db: Database, actor: Actor) -> str | None:
    with db.transaction(actor) as conn:
        row = conn.execute(
            "SELECT l.password_hash FROM users u, login_lookup(u.email) l"
            " WHERE u.tenant_id = %s AND u.id = %s AND l.user_id = u.id",
            (actor.tenant_id, actor.user_id),
        ).fetchone()
    return row["password_hash"] if row else None


def verify_own_password(db: Database, actor: Actor, password: str) -> bool:
    """Whether `password` is the actor's current password (one Argon2 verification)."""
    stored = _own_password_hash(db, actor)
    return _verify(stored or _DUMMY_HASH, password) and stored is not None


@unit_of_work
def change_password(db: Database, actor: Actor, new_password: str) -> int:
    """Set the actor's password and end every other session of theirs, in one transaction;
    return how many sessions ended. The caller has checked the current password
    (`verify_own_password`). The actor's own session (the one this transaction checked)
    stays. Raises `ValueError` outside 8-128 characters."""
    password_hash = hash_password(new_password)  # slow: before the transaction
    with db.transaction(actor) as conn:
        conn.execute(
            "UPDATE users SET password_hash = %s WHERE tenant_id = %s AND id = %s",
            (password_hash, actor.tenant_id, actor.user_id),
        )
        ended = conn.execute(
            "DELETE FROM sessions WHERE tenant_id = %s AND user_id = %s"
            " AND id IS DISTINCT FROM NULLIF(current_setting('app.session_id', true), '')::uuid",
            (actor.tenant_id, actor.user_id),
        )
    return ended.rowcount
