"""Connections and transactions: the only way the app reaches PostgreSQL.

Every unit of work is one transaction on one pooled connection, and the first statement of that
transaction enters the runtime role `portfolio_app` and sets `app.tenant_id` and `app.user_id`.
All three settings are transaction-local (`set_config(..., true)`), so they vanish at COMMIT or
ROLLBACK and a pooled connection never carries one tenant's context into the next request.
Row-level security reads those settings; with none set, no row is visible or writable.

For a signed-in browser the same first statement also checks its server-side session
(`session_resume()`, migration 0010) and sets the context from the database's answer: a session
that ended, expired or whose user was removed sets nothing and raises `SessionEnded`, so such a
request reads and writes nothing, at no extra round trip.

Transactions are psycopg's own: connections are not in autocommit mode, psycopg sends `BEGIN`
before the first statement, and the pool commits when the block ends normally and rolls back
when it raises (`bench/transactions.py` measured this against a hand-written `BEGIN` sent
together with the context: no faster, see docs/PERFORMANCE.md). Every transaction runs at
READ COMMITTED whatever the server's default (`BEGIN ISOLATION LEVEL READ COMMITTED`), which
the limit triggers rely on. A serialization failure or a deadlock rolls the transaction back and
`run()` (every public data function, through `@unit_of_work`) runs the whole unit again, a few
times, before giving up with `Unavailable`.

Database failures surface as the domain errors of `workhistory.data.errors`, never as driver
exceptions. While the server is known to be down, transactions fail at once with `Unavailable`
instead of each waiting for the pool's timeout (so a sync worker is free to answer /healthz),
and one caller every half second probes whether it is back.
"""

from __future__ import annotations

import functools
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

import psycopg
from psycopg import IsolationLevel
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from workhistory.data.errors import (
    DuplicateEmail,
    InvalidData,
    InviteLimitReached,
    LimitReached,
    NotFound,
    SessionEnded,
    ShareNotFound,
    TransientConflict,
    Unavailable,
)

T = TypeVar("T")
# A unit of work that met a serialization failure or a deadlock is run again up to this many
# times in all (each retry after a short random pause, so the two sides do not collide again).
ATTEMPTS = 4
# While the server is known to be down, at most one probe per this many seconds.
PROBE_EVERY = 0.5
ENTER_CONTEXT = (
    "SELECT set_config('role', 'portfolio_app', true),"
    " set_config('app.tenant_id', %s, true),"
    " set_config('app.user_id', %s, true)"
)
# The same for a browser's session: the context comes from session_resume()'s answer, which
# must also be the tenant and user the cookie named; no live session, no context (all empty).
ENTER_SESSION = (
    "SELECT set_config('role', 'portfolio_app', true),"
    " set_config('app.tenant_id', coalesce(s.tenant_id::text, ''), true),"
    " set_config('app.user_id', coalesce(s.user_id::text, ''), true),"
    " set_config('app.session_id', coalesce(s.session_id::text, ''), true),"
    " s.session_id, s.display_name"
    " FROM (SELECT 1) AS one LEFT JOIN session_resume(%s) AS s"
    " ON s.tenant_id = %s::uuid AND s.user_id = %s::uuid"
)
# A share viewer (SPEC §12, migration 0040): the workspace comes from share_open()'s answer,
# the user stays empty (no owner or write policy can match) and app.share_id names the share,
# which the share_viewer policies narrow every read to. No live share, no context at all.
ENTER_SHARE = (
    "SELECT set_config('role', 'portfolio_app', true),"
    " set_config('app.tenant_id', coalesce(s.tenant_id::text, ''), true),"
    " set_config('app.user_id', '', true),"
    " set_config('app.share_id', coalesce(s.share_id::text, ''), true),"
    " s.share_id, s.tenant_id, s.user_id, s.owner_name, s.workspace_name"
    " FROM (SELECT 1) AS one LEFT JOIN share_open(%s) AS s ON true"
)


class SessionCheck:
    """A browser's server-side session as its cookie names it: the token's SHA-256, and what
    the database answered the last time a transaction checked it (`session_id` and
    `display_name`, None until then). Compared by identity: one per request."""

    __slots__ = ("token_hash", "session_id", "display_name")

    def __init__(self, token_hash: str):
        self.token_hash = token_hash
        self.session_id: UUID | None = None
        self.display_name: str | None = None

    @property
    def checked(self) -> bool:
        return self.session_id is not None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a transaction runs for: the workspace (tenant) and the user inside it, and for a
    signed-in browser the session that must still be alive (checked by every transaction)."""

    tenant_id: UUID
    user_id: UUID
    session: SessionCheck | None = None


class ShareViewer:
    """Whoever holds a share link: the token's SHA-256, and what the database answered when a
    transaction opened it (the share, its workspace, its owner and their names; None until
    then). Compared by identity: one per request."""

    __slots__ = ("token_hash", "share_id", "tenant_id", "owner_id", "owner_name",
                 "workspace_name")

    def __init__(self, token_hash: str):
        self.token_hash = token_hash
        self.share_id = self.tenant_id = self.owner_id = None
        self.owner_name = self.workspace_name = None


class _Reconnect(Exception):
    """A pooled connection was found dead before anything ran on it."""


class Database:
    """A connection pool plus the per-transaction context that row-level security relies on."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 3.0,
        prepare: bool = True,
    ):
        self.url = url
        self._sizes = (min_size, max_size, timeout)
        # prepare=False: no server-side prepared statements, for PgBouncer in transaction
        # pooling mode (before 1.21), where the next transaction may run on another server
        # connection, or another client's statement of the same name may already exist.
        self._connect_kwargs = {"row_factory": dict_row, "connect_timeout": 3}
        if not prepare:
            self._connect_kwargs["prepare_threshold"] = None
        self._lock = threading.Lock()
        self._local = threading.local()  # the transaction open on this thread, if any
        self._pid: int | None = None
        # Fail fast while the server is down (see _fail_fast): when that was noticed, and
        # when a caller last probed.
        self._down_since: float | None = None
        self._last_probe = 0.0
        self.pool = self._make_pool()

    def _make_pool(self) -> ConnectionPool:
        min_size, max_size, timeout = self._sizes
        # open=False: the pool opens in the process that uses it (after gunicorn forks), never
        # sharing sockets across forks. No check= ping on checkout (a round trip per request):
        # `_begin` detects a connection that died in the pool and starts again on a good one.
        return ConnectionPool(
            self.url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            kwargs=self._connect_kwargs,
            configure=_configure,
            name="portfolio",
            # The pool retries a lost connection with exponential backoff (1, 2, 4, 8, 16 s...),
            # so after a long outage it could sleep through a recovered server for half a
            # minute. Giving up after 2 s hands reconnecting to the next request instead,
            # which connects at once: the first transaction after a restart succeeds.
            reconnect_timeout=2.0,
        )

    def open(self) -> None:
        """Open the pool without waiting for connections (the database may still be down).

        Safe to call repeatedly; after a fork (gunicorn with --preload) the child opens a pool
        of its own instead of reusing the parent's sockets.
        """
        with self._lock:
            if self._pid == os.getpid():
                return
            if self._pid is not None:  # inherited from a parent process: start afresh
                self.pool = self._make_pool()
            self.pool.open(wait=False)
            self._pid = os.getpid()

    def close(self) -> None:
        with self._lock:
            self.pool.close()
            self._pid = None

    def run(self, work: Callable[[], T]) -> T:
        """Run `work()` (a unit of work that opens its transactions itself) and return its
        result; run it again when the database rolled it back for a serialization failure or
        a deadlock (`TransientConflict`), up to `ATTEMPTS` times in all, then raise
        `Unavailable`. Inside an open transaction it just calls `work()`: only the outermost
        unit can be re-run, so the conflict travels up to it."""
        if getattr(self._local, "current", None) is not None:
            return work()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return work()
            except TransientConflict:
                if attempt == ATTEMPTS:
                    raise Unavailable() from None
                time.sleep(random.uniform(0.005, 0.02) * attempt)  # noqa: S311 - jitter
        raise AssertionError("unreachable")

    @contextmanager
    def transaction(self, actor: Actor | ShareViewer | None = None
                    ) -> Iterator[psycopg.Connection]:
        """Yield a connection inside one transaction running as `portfolio_app` for `actor`.

        With `actor=None` the tenant and user settings are empty, so row-level security shows
        nothing: only SECURITY DEFINER functions (the login lookup) can find rows then. With
        an actor that carries a session, the session is checked in the same first statement;
        when it is no longer alive, `SessionEnded` is raised before the block runs. With a
        `ShareViewer` the share is opened in the first statement and the transaction sees
        only what that share shows; a revoked, expired or unknown one raises `ShareNotFound`
        before the block runs.
        Commits when the block ends normally, rolls back on any exception. Database errors
        leave as domain errors: `LimitReached`, `InvalidData`, `DuplicateEmail`, `NotFound`
        (a row-level security refusal, or a row a foreign key needs that is gone),
        `TransientConflict` (serialization failure, deadlock: run the unit again) and
        `Unavailable` (no connection, server gone).

        Nested inside another `transaction()` for the same actor on the same thread, it joins
        that transaction (same connection, committed or rolled back with it): a view can run
        several data functions as one unit of work, one connection and one transaction per
        request. A different actor always gets a transaction of its own.
        """
        outer = getattr(self._local, "current", None)
        if outer is not None and outer[0] == actor:
            with _domain_errors():
                yield outer[1]
            return
        if self._pid != os.getpid():
            self.open()
        self._fail_fast()
        with _domain_errors(self), self._begin(actor) as conn:
            self._local.current = (actor, conn)
            try:
                yield conn
            finally:
                self._local.current = outer

    @contextmanager
    def _begin(self, actor: Actor | ShareViewer | None) -> Iterator[psycopg.Connection]:
        """One transaction on a pooled connection: the context, then the caller's block; the
        pool commits it, or rolls it back when the block raises.

        A connection can die while idle in the pool (a PostgreSQL restart). Nothing has run on
        it when entering the context fails, so the pool's other idle connections are checked
        (the dead ones dropped) and the transaction starts again once, on a good connection:
        a restart stays invisible to callers without a health-check round trip on every
        checkout.
        """
        for attempt in (1, 2):
            try:
                with self.pool.connection() as conn:
                    try:
                        _enter(conn, actor)
                    except psycopg.OperationalError:
                        if attempt == 2 or not conn.closed:
                            raise
                        raise _Reconnect() from None
                    yield conn
                    return
            except _Reconnect:
                if not self._probe():
                    raise Unavailable() from None
                self.pool.check()

    def _fail_fast(self) -> None:
        """Raise `Unavailable` at once while the server is known to be down, except for one
        caller every `PROBE_EVERY` seconds, whose probe (a fresh connection, not the pool's
        wait) decides."""
        if self._down_since is None:
            return
        now = time.monotonic()
        with self._lock:
            due = now - self._last_probe >= PROBE_EVERY
            if due:
                self._last_probe = now
        if not due or not self._probe():
            raise Unavailable()

    def _probe(self) -> bool:
        """Connect once, outside the pool, with a short timeout: is the server there? Marks
        the server down or up accordingly."""
        try:
            psycopg.connect(self.url, connect_timeout=1, autocommit=True).close()
        except psycopg.Error:
            self.mark_down()
            return False
        self._down_since = None
        return True

    def mark_down(self) -> None:
        """Note that the server did not answer: fail fast until a probe finds it again."""
        with self._lock:
            if self._down_since is None:
                self._down_since = self._last_probe = time.monotonic()

    @property
    def known_down(self) -> bool:
        return self._down_since is not None

    def ping(self) -> bool:
        """Return True when the database answers a trivial query (for /readyz); False at
        once while it is known to be down and no probe is due."""
        if self._pid != os.getpid():
            self.open()
        try:
            self._fail_fast()
            with self.pool.connection(timeout=1) as conn:
                conn.execute("SELECT 1")
            return True
        except (PoolTimeout, psycopg.Error):
            self.mark_down()
            return False
        except Unavailable:
            return False


def _enter(conn: psycopg.Connection, actor: Actor | ShareViewer | None) -> None:
    """The transaction's first statement: role and context, and the session check (or the
    share's opening)."""
    if isinstance(actor, ShareViewer):
        _open_share(conn, actor)
        return
    if actor is None or actor.session is None:
        tenant = str(actor.tenant_id) if actor else ""
        user = str(actor.user_id) if actor else ""
        conn.execute(ENTER_CONTEXT, (tenant, user))
        return
    check = actor.session
    row = conn.execute(
        ENTER_SESSION, (check.token_hash, str(actor.tenant_id), str(actor.user_id))
    ).fetchone()
    if row["session_id"] is None:
        check.session_id, check.display_name = None, None
        raise SessionEnded()
    check.session_id, check.display_name = row["session_id"], row["display_name"]


def _open_share(conn: psycopg.Connection, viewer: ShareViewer) -> None:
    row = conn.execute(ENTER_SHARE, (viewer.token_hash,)).fetchone()
    if row["share_id"] is None:
        raise ShareNotFound()
    viewer.share_id, viewer.tenant_id, viewer.owner_id = (
        row["share_id"], row["tenant_id"], row["user_id"])
    viewer.owner_name, viewer.workspace_name = row["owner_name"], row["workspace_name"]


def one_row(conn: psycopg.Connection, query: str, params, missing: NotFound) -> dict:
    """The row `query` returns, or raise `missing`: for a statement whose WHERE names the
    owner, so that an id that is not the caller's is simply absent."""
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise missing
    return row


def unit_of_work(fn: Callable[..., T]) -> Callable[..., T]:
    """Make a data function `fn(db, ...)` re-runnable as a whole through `db.run`: the
    decorator every public data function that opens a transaction wears."""

    @functools.wraps(fn)
    def wrapper(db: Database, *args, **kwargs) -> T:
        return db.run(lambda: fn(db, *args, **kwargs))

    return wrapper


def _configure(conn: psycopg.Connection) -> None:
    # Explicit, so the per-user limit (an advisory lock, then a count) holds on a server whose
    # default is REPEATABLE READ or SERIALIZABLE too.
    conn.isolation_level = IsolationLevel.READ_COMMITTED


@contextmanager
def _domain_errors(db: Database | None = None) -> Iterator[None]:
    """Turn the database's refusals into domain errors (and note an outage on `db`)."""
    try:
        yield
    except PoolTimeout as exc:
        if db is not None:
            db.mark_down()
        raise Unavailable("no database connection available") from exc
    except pg_errors.CheckViolation as exc:
        name = exc.diag.constraint_name
        limit = _LIMITS.get(name)
        if limit is not None:
            raise limit() from exc
        if name in _FIELD_RULES:
            field, message = _FIELD_RULES[name]
            detail = (exc.diag.message_detail or "")[:80]
            raise InvalidData(message.format(detail=detail), constraint=name, field=field) \
                from exc
        raise InvalidData(constraint=name) from exc
    except pg_errors.UniqueViolation as exc:
        if exc.diag.constraint_name == "users_email_lower_key":
            raise DuplicateEmail() from exc
        raise
    except pg_errors.ForeignKeyViolation as exc:
        # The row a write refers to is gone (a user removed meanwhile): for the writer it
        # does not exist, like any row that is not theirs.
        raise NotFound() from exc
    except pg_errors.InsufficientPrivilege as exc:
        # A row-level security WITH CHECK refusal: writing outside your own rows.
        raise NotFound() from exc
    except (pg_errors.DataError, pg_errors.NotNullViolation) as exc:
        raise InvalidData() from exc
    except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected) as exc:
        raise TransientConflict() from exc
    except psycopg.OperationalError as exc:
        if db is not None and (exc.sqlstate is None or exc.sqlstate[:2] in ("08", "57")):
            db.mark_down()  # the connection or the server, not a statement, failed
        raise Unavailable() from exc


_LIMITS = {
    "work_artifacts_per_user_limit": LimitReached,
    "invites_open_per_user_limit": InviteLimitReached,
}
# Refusals about one column that only the database can judge (migration 0020 resolves skills
# against the catalog before the CHECKs run): (field, message; {detail} is the refused value).
_FIELD_RULES = {
    "work_artifacts_date_from_1950": ("artifact_date", "Use a date from 1950 on."),
    "work_artifacts_skill_ids_known": (
        "suggested_skill_ids", "“{detail}” is not a skill in the catalog. Remove it, or choose"
        " a skill from the list."),
    "work_artifacts_skill_ids_valid": (
        "suggested_skill_ids", "List at most 20 skills, each once; a skill of your own (not"
        " in the catalog) has at most 64 characters."),
}
