"""Connections and transactions: the only way the app reaches PostgreSQL.

Every unit of work is one transaction on one pooled connection, and the first statement of that
transaction enters the runtime role `portfolio_app` and sets `app.tenant_id` and `app.user_id`.
All three settings are transaction-local (`set_config(..., true)`), so they vanish at COMMIT or
ROLLBACK and a pooled connection never carries one tenant's context into the next request.
Row-level security reads those settings; with none set, no row is visible or writable.

Transactions are psycopg's own: connections are not in autocommit mode, psycopg sends `BEGIN`
before the first statement, and the pool commits when the block ends normally and rolls back
when it raises (`bench/transactions.py` measured this against a hand-written `BEGIN` sent
together with the context: no faster, see docs/PERFORMANCE.md). Every transaction runs at
READ COMMITTED whatever the server's default, which the limit trigger relies on.

Database failures surface as the domain errors of `workhistory.data.errors`, never as driver
exceptions.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

import psycopg
from psycopg import IsolationLevel
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from workhistory.data.errors import (
    DuplicateEmail,
    InvalidData,
    LimitReached,
    NotFound,
    Unavailable,
)

ENTER_CONTEXT = (
    "SELECT set_config('role', 'portfolio_app', true),"
    " set_config('app.tenant_id', %s, true),"
    " set_config('app.user_id', %s, true)"
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a transaction runs for: the workspace (tenant) and the user inside it."""

    tenant_id: UUID
    user_id: UUID


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

    @contextmanager
    def transaction(self, actor: Actor | None = None) -> Iterator[psycopg.Connection]:
        """Yield a connection inside one transaction running as `portfolio_app` for `actor`.

        With `actor=None` the tenant and user settings are empty, so row-level security shows
        nothing: only SECURITY DEFINER functions (the login lookup) can find rows then.
        Commits when the block ends normally, rolls back on any exception. Database errors
        leave as domain errors: `LimitReached`, `InvalidData`, `DuplicateEmail`, `NotFound`
        (a row-level security refusal) and `Unavailable` (no connection, server gone).

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
        tenant = str(actor.tenant_id) if actor else ""
        user = str(actor.user_id) if actor else ""
        with _domain_errors(), self._begin(tenant, user) as conn:
            self._local.current = (actor, conn)
            try:
                yield conn
            finally:
                self._local.current = outer

    @contextmanager
    def _begin(self, tenant: str, user: str) -> Iterator[psycopg.Connection]:
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
                        conn.execute(ENTER_CONTEXT, (tenant, user))
                    except psycopg.OperationalError:
                        if attempt == 2 or not conn.closed:
                            raise
                        raise _Reconnect() from None
                    yield conn
                    return
            except _Reconnect:
                self.pool.check()

    def ping(self) -> bool:
        """Return True when the database answers a trivial query (for /readyz)."""
        if self._pid != os.getpid():
            self.open()
        try:
            with self.pool.connection(timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except (PoolTimeout, psycopg.Error):
            return False


def _configure(conn: psycopg.Connection) -> None:
    # Explicit, so the per-user limit (an advisory lock, then a count) holds on a server whose
    # default is REPEATABLE READ or SERIALIZABLE too.
    conn.isolation_level = IsolationLevel.READ_COMMITTED


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Turn the database's refusals into domain errors."""
    try:
        yield
    except PoolTimeout as exc:
        raise Unavailable("no database connection available") from exc
    except pg_errors.CheckViolation as exc:
        if exc.diag.constraint_name == "work_artifacts_per_user_limit":
            raise LimitReached() from exc
        raise InvalidData(constraint=exc.diag.constraint_name) from exc
    except pg_errors.UniqueViolation as exc:
        if exc.diag.constraint_name == "users_email_lower_key":
            raise DuplicateEmail() from exc
        raise
    except pg_errors.InsufficientPrivilege as exc:
        # A row-level security WITH CHECK refusal: writing outside your own rows.
        raise NotFound() from exc
    except (pg_errors.DataError, pg_errors.NotNullViolation) as exc:
        raise InvalidData() from exc
    except psycopg.OperationalError as exc:
        raise Unavailable() from exc
