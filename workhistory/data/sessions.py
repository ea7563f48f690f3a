"""Server-side sessions (SPEC §7): the data module for the `sessions` table (migration 0010).

A session is started at sign-up, login and invite join and handed to the browser as a token of
256 random bits; only the token's SHA-256 is stored. It ends when the user logs out (at once:
a copied cookie stops working), when they end it from another device or change their password,
when their account is removed (the foreign key cascades), after 7 days without use or 30 days
after it started, whichever comes first; use never extends the 30 days.

Every transaction of a signed-in request checks the session in its first statement (see
`workhistory.data.db`), so there is no separate look-up here: `check` exists only for the rare
request that runs no other transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from workhistory.data import tokens
from workhistory.data.accounts import Account
from workhistory.data.artifacts import parse_id
from workhistory.data.db import Actor, Database, SessionCheck, unit_of_work
from workhistory.data.errors import NotFound

USER_AGENT_MAX = 512
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The session this transaction checked (set by db.ENTER_SESSION).
_CURRENT = "NULLIF(current_setting('app.session_id', true), '')::uuid"
_ALIVE = "last_seen > now() - interval '7 days' AND created_at > now() - interval '30 days'"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One of the user's live sessions as the account page lists it."""

    id: UUID
    user_agent: str
    created_at: datetime
    last_seen: datetime
    current: bool


def actor_for(tenant_id: UUID, user_id: UUID, token: str) -> Actor:
    """The actor of a request that presents `token` for this tenant and user: every
    transaction it opens checks that the session is alive and theirs."""
    return Actor(tenant_id, user_id, SessionCheck(tokens.hash_token(token)))


@unit_of_work
def start(db: Database, account: Account, user_agent: str, *, replacing: str | None = None
          ) -> str:
    """Start a session for `account` and return its token (the only time it exists in
    clear). `replacing`, the token the browser held before, is ended in the same
    transaction: a session is never carried across a login."""
    token = tokens.new_token()
    agent = _UNPRINTABLE.sub("", user_agent)[:USER_AGENT_MAX]
    with db.transaction(account.actor) as conn:
        if replacing:
            conn.execute("SELECT session_end(%s)", (tokens.hash_token(replacing),))
        conn.execute(
            "INSERT INTO sessions (tenant_id, user_id, token_hash, user_agent)"
            " VALUES (%s, %s, %s, %s)",
            (account.tenant_id, account.user_id, tokens.hash_token(token), agent),
        )
    return token


@unit_of_work
def end(db: Database, token: str) -> bool:
    """End the session with this token, whoever's it is (logout); True if it was alive."""
    with db.transaction() as conn:
        row = conn.execute("SELECT session_end(%s) AS ended", (tokens.hash_token(token),))
        return bool(row.fetchone()["ended"])


@unit_of_work
def check(db: Database, actor: Actor) -> None:
    """Check the actor's session (one round trip). Raises `SessionEnded` if it is not alive."""
    with db.transaction(actor):
        pass


@unit_of_work
def list_sessions(db: Database, actor: Actor) -> list[SessionInfo]:
    """Return the actor's live sessions: the current one first, then by last use."""
    with db.transaction(actor) as conn:
        rows = conn.execute(
            f"SELECT id, user_agent, created_at, last_seen, id = {_CURRENT} AS current"
            f" FROM sessions WHERE tenant_id = %s AND user_id = %s AND {_ALIVE}"
            " ORDER BY current DESC, last_seen DESC, id",
            (actor.tenant_id, actor.user_id),
        ).fetchall()
    return [SessionInfo(**r) for r in rows]


@unit_of_work
def end_others(db: Database, actor: Actor) -> int:
    """End every session of the actor's but the current one; return how many ended."""
    with db.transaction(actor) as conn:
        ended = conn.execute(
            f"DELETE FROM sessions WHERE tenant_id = %s AND user_id = %s AND id <> {_CURRENT}",
            (actor.tenant_id, actor.user_id),
        )
    return ended.rowcount


@unit_of_work
def end_other(db: Database, actor: Actor, session_id: str | UUID) -> None:
    """End one of the actor's other sessions. Raises `NotFound` for an id that is unknown,
    malformed, someone else's or the current session (which logout ends)."""
    sid = parse_id(session_id)
    with db.transaction(actor) as conn:
        row = conn.execute(
            "DELETE FROM sessions WHERE tenant_id = %s AND user_id = %s AND id = %s"
            f" AND id <> {_CURRENT} RETURNING id",
            (actor.tenant_id, actor.user_id, sid),
        ).fetchone()
    if row is None:
        raise NotFound("That session does not exist or has already ended.")
