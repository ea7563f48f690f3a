"""Invites: how a workspace grows. The data module for the `invites` table.

A member creates an invite and gets its token once; only the token's SHA-256 is stored, so a
database leak never yields a usable link. A token is 32 random bytes (256 bits) from
`secrets.token_urlsafe`, valid for `VALID_FOR` and usable exactly once. Members see and revoke
only the invites they created (the `invites_own` policy).

Joining happens before the joiner has a tenant, so the token hash is looked up and claimed
through the two SECURITY DEFINER functions of migration 0005; everything else runs as
`portfolio_app` under row-level security like any other request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from workhistory.data import accounts, tokens
from workhistory.data.artifacts import parse_id
from workhistory.data.db import ENTER_CONTEXT, Actor, Database, unit_of_work
from workhistory.data.errors import NotFound
from workhistory.data.tokens import hash_token

VALID_FOR = timedelta(days=7)
OPEN_MAX = 20  # open invites per user: the trigger of migration 0011


class InviteNotFound(NotFound):
    """The token is unknown, used, revoked or expired: indistinguishable on purpose."""

    message = "This invite link is not valid. It may have been used, revoked or expired."


@dataclass(frozen=True, slots=True)
class Invite:
    """An invite as its creator sees it (never with its token)."""

    id: UUID
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewInvite:
    """A freshly created invite and its token: the only moment the token exists in clear."""

    invite: Invite
    token: str


@dataclass(frozen=True, slots=True)
class OpenInvite:
    """What a token holder may learn before joining: which workspace it joins."""

    tenant_id: UUID
    workspace_name: str


@unit_of_work
def create_invite(db: Database, actor: Actor) -> NewInvite:
    """Create a single-use invite to the actor's workspace, valid for 7 days.

    Returns it with its token; the database keeps only the token's hash, so this is the one
    time the token can be shown. Raises `InviteLimitReached` when the actor already has
    `OPEN_MAX` open invites (counted by the database, so concurrent creates cannot pass it).
    """
    token = tokens.new_token()
    with db.transaction(actor) as conn:
        row = conn.execute(
            "INSERT INTO invites (tenant_id, created_by, token_hash, expires_at)"
            " VALUES (%s, %s, %s, now() + %s) RETURNING id, created_at, expires_at",
            (actor.tenant_id, actor.user_id, hash_token(token), VALID_FOR),
        ).fetchone()
    return NewInvite(Invite(**row), token)


@unit_of_work
def list_open_invites(db: Database, actor: Actor) -> list[Invite]:
    """Return the actor's own unused, unexpired invites, newest first."""
    with db.transaction(actor) as conn:
        rows = conn.execute(
            "SELECT id, created_at, expires_at FROM invites"
            " WHERE tenant_id = %s AND created_by = %s AND used_by IS NULL"
            " AND expires_at > now() ORDER BY created_at DESC",
            (actor.tenant_id, actor.user_id),
        ).fetchall()
    return [Invite(**r) for r in rows]


@unit_of_work
def revoke_invite(db: Database, actor: Actor, invite_id: str | UUID) -> None:
    """Delete one of the actor's unused invites, so its link stops working at once.

    Raises `NotFound` for an id that is unknown, malformed, someone else's or already used
    (a used invite is the record of who joined through it and stays).
    """
    iid = parse_id(invite_id)
    with db.transaction(actor) as conn:
        row = conn.execute(
            "DELETE FROM invites WHERE tenant_id = %s AND id = %s AND created_by = %s"
            " AND used_by IS NULL RETURNING id",
            (actor.tenant_id, iid, actor.user_id),
        ).fetchone()
    if row is None:
        raise NotFound("That invite does not exist or was already used.")


@unit_of_work
def find_open_invite(db: Database, token: str) -> OpenInvite:
    """Return the workspace an open invite joins. Raises `InviteNotFound` for a used,
    revoked, expired or unknown token (and for anything not shaped like a token)."""
    with db.transaction() as conn:
        row = _lookup(conn, token)
    return OpenInvite(row["tenant_id"], row["workspace_name"])


@unit_of_work
def redeem(
    db: Database, token: str, email: str, display_name: str, password: str
) -> accounts.Account:
    """Create a user in the invite's workspace and use up the invite, in one transaction.

    The claim is a single conditional UPDATE, so of any number of concurrent redemptions of
    one token exactly one commits; the others raise `InviteNotFound` and their user rows are
    rolled back with everything else. Raises `InviteNotFound` for a used, revoked, expired or
    unknown token and `DuplicateEmail` when the email has an account (the invite stays open).
    """
    password_hash = accounts.hash_password(password)  # slow: before the transaction
    user_id = uuid.uuid4()
    with db.transaction() as conn:
        tenant_id = _lookup(conn, token)["tenant_id"]
        # Enter the invite's workspace as the new user: from here on the ordinary policies
        # apply, and users_create admits exactly this one new row.
        conn.execute(ENTER_CONTEXT, (str(tenant_id), str(user_id)))
        accounts.insert_user(conn, tenant_id, user_id, email, display_name, password_hash)
        claimed = conn.execute("SELECT invite_claim(%s) AS id", (hash_token(token),))
        if claimed.fetchone()["id"] is None:  # used or revoked since the lookup
            raise InviteNotFound()
    return accounts.Account(user_id, tenant_id, display_name.strip(), email.strip())


def _lookup(conn, token: str) -> dict:
    if not tokens.well_formed(token):
        raise InviteNotFound()
    row = conn.execute(
        "SELECT tenant_id, workspace_name FROM invite_lookup(%s)", (hash_token(token),)
    ).fetchone()
    if row is None:
        raise InviteNotFound()
    return row
