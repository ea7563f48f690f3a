"""The database enforces whatever its defaults (SPEC §7): the limit race on servers whose default
isolation is REPEATABLE READ (40 creates at 45 gave 51-57 rows) and SERIALIZABLE (503s);
deadlocks and serialization failures are run again, not shown; a foreign key that a concurrent
removal broke is a domain error, never a 500."""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import sql

from tests.support import PASSWORD, run_together, unique_email
from workhistory import roles
from workhistory.data import accounts, artifacts
from workhistory.data.db import ATTEMPTS, Database, unit_of_work
from workhistory.data.errors import LimitReached, NotFound, Unavailable

THREADS = 40


@pytest.fixture(params=["repeatable read", "serializable"])
def strict_default(request, pg_server, template_db, deploy_roles):
    """A fresh database whose default isolation is stricter than READ COMMITTED; yields
    (superuser URL, a racing Database as the runtime login)."""
    owner, runtime = deploy_roles
    name = f"portfolio_iso_{request.param.split()[0]}_{unique_email()[5:15]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
            sql.Identifier(name), sql.Identifier(template_db), sql.Identifier(owner)))
        conn.execute(sql.SQL("ALTER DATABASE {} SET default_transaction_isolation = {}").format(
            sql.Identifier(name), sql.Literal(request.param)))
    url = roles.url_for(pg_server, dbname=name)
    database = Database(roles.url_for(url, user=runtime), min_size=THREADS, max_size=THREADS,
                        timeout=30)
    database.open()
    database.pool.wait(timeout=30)
    try:
        yield url, database, request.param
    finally:
        database.close()
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


@pytest.mark.slow
def test_the_limit_holds_whatever_the_default_isolation(strict_default):
    url, database, level = strict_default
    with psycopg.connect(url) as conn:
        assert conn.execute("SHOW default_transaction_isolation").fetchone()[0] == level
    user = accounts.create_workspace(database, "Strict", unique_email(), "Iso", PASSWORD)
    with database.transaction(user.actor) as conn:  # what our transactions really run at
        assert conn.execute("SHOW transaction_isolation").fetchone()["transaction_isolation"] \
            == "read committed"
    for i in range(45):
        artifacts.create_artifact(database, user.actor, {"title": f"seed {i}"})
    results = run_together(THREADS, lambda i: artifacts.create_artifact(
        database, user.actor, {"title": f"race {i}"}))
    created = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, LimitReached)]
    assert len(created) == 5 and len(refused) == THREADS - 5, results  # no 503s, no 51-57
    with psycopg.connect(url) as conn:
        n = conn.execute("SELECT count(*) FROM work_artifacts WHERE user_id = %s",
                         (user.user_id,)).fetchone()[0]
    assert n == 50


def _two_rows(db, owner):
    a = artifacts.create_artifact(db, owner.actor, {"title": "A"})[0]
    b = artifacts.create_artifact(db, owner.actor, {"title": "B"})[0]
    return a, b


@pytest.mark.slow
def test_a_deadlock_is_run_again_not_shown(db, owner):
    """Two units lock the same two rows in opposite orders: PostgreSQL kills one with a
    deadlock; `Database.run` runs that unit again and both complete."""
    a, b = _two_rows(db, owner)
    both_hold_one = threading.Barrier(2, timeout=10)
    runs = []

    @unit_of_work
    def touch_both(db, first, second):
        runs.append(first)
        with db.transaction(owner.actor) as conn:
            conn.execute("UPDATE work_artifacts SET title = title WHERE id = %s", (first,))
            if len(runs) <= 2:  # the first attempts meet; a retry goes straight through
                both_hold_one.wait()
            conn.execute("UPDATE work_artifacts SET title = title WHERE id = %s", (second,))
        return "done"

    results = run_together(2, lambda i: touch_both(db, *((a.id, b.id), (b.id, a.id))[i]))
    assert results == ["done", "done"]
    assert len(runs) == 3  # one of the two ran again
    assert artifacts.get_artifact(db, owner.actor, a.id).version == 3


def test_retries_are_bounded(db, owner):
    calls = []

    @unit_of_work
    def always_conflicts(db):
        calls.append(1)
        with db.transaction(owner.actor) as conn:
            conn.execute("SELECT 1")
            raise psycopg.errors.SerializationFailure("simulated")

    with pytest.raises(Unavailable):
        always_conflicts(db)
    assert len(calls) == ATTEMPTS


def test_a_write_for_a_removed_owner_is_not_found_not_a_500(db, admin, make_colleague, owner):
    colleague = make_colleague(owner.tenant_id)
    admin.execute("DELETE FROM users WHERE id = %s", (colleague.user_id,))
    with pytest.raises(NotFound):
        artifacts.create_artifact(db, colleague.actor, {"title": "orphan"})
    with pytest.raises(NotFound):
        accounts.add_user(db, colleague.user_id, unique_email(), "No Workspace", PASSWORD)
