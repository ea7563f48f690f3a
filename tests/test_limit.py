"""At most 50 artifacts per user, enforced by the database whoever inserts and however many
requests race for the last slots."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as pg_errors

from tests.support import run_together
from workhistory.data import artifacts
from workhistory.data.db import Database
from workhistory.data.errors import LimitReached

THREADS = 40


def _fill(admin, user, n: int) -> None:
    """Give `user` n artifacts directly (the trigger counts these like any other)."""
    admin.execute(
        "INSERT INTO work_artifacts (tenant_id, user_id, title)"
        " SELECT %s, %s, 'seeded ' || i FROM generate_series(1, %s) i",
        (user.tenant_id, user.user_id, n),
    )


def _count(admin, user) -> int:
    return admin.execute(
        "SELECT count(*) AS n FROM work_artifacts WHERE tenant_id = %s AND user_id = %s",
        (user.tenant_id, user.user_id),
    ).fetchone()["n"]


@pytest.fixture
def racing_db(database_url):
    """A pool already holding one connection per thread, so all of them start at once."""
    database = Database(database_url, min_size=THREADS, max_size=THREADS, timeout=30)
    database.open()
    database.pool.wait(timeout=30)
    yield database
    database.close()


@pytest.mark.slow
def test_concurrent_creates_never_pass_fifty(racing_db, admin, owner):
    _fill(admin, owner, 45)
    results = run_together(
        THREADS, lambda i: artifacts.create_artifact(racing_db, owner.actor, {"title": f"race {i}"})
    )
    created = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, LimitReached)]
    assert _count(admin, owner) == 50
    assert len(created) == 5
    assert len(refused) == THREADS - 5, results


def test_create_at_the_limit_raises_limit_reached(db, admin, owner):
    _fill(admin, owner, 49)
    entry, summary = artifacts.create_artifact(db, owner.actor, {"title": "the fiftieth"})
    assert summary.count == 50
    with pytest.raises(LimitReached):
        artifacts.create_artifact(db, owner.actor, {"title": "one too many"})
    assert _count(admin, owner) == 50


def test_the_limit_is_per_user(db, admin, owner, make_colleague):
    _fill(admin, owner, 50)
    colleague = make_colleague(owner.tenant_id)
    _, summary = artifacts.create_artifact(db, colleague.actor, {"title": "still room for me"})
    assert summary.count == 1


def test_direct_insert_as_runtime_role_past_fifty_fails(database_url, admin, owner):
    _fill(admin, owner, 50)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "SELECT set_config('role', 'portfolio_app', true),"
            " set_config('app.tenant_id', %s, true), set_config('app.user_id', %s, true)",
            (str(owner.tenant_id), str(owner.user_id)),
        )
        assert conn.execute("SELECT current_user").fetchone()[0] == "portfolio_app"
        with pytest.raises(pg_errors.CheckViolation) as caught:
            conn.execute(
                "INSERT INTO work_artifacts (tenant_id, user_id, title) VALUES (%s, %s, 'x')",
                (owner.tenant_id, owner.user_id),
            )
    assert caught.value.diag.constraint_name == "work_artifacts_per_user_limit"
    assert _count(admin, owner) == 50


def test_superuser_insert_past_fifty_fails(admin, owner):
    _fill(admin, owner, 50)
    with pytest.raises(pg_errors.CheckViolation) as caught:
        admin.execute(
            "INSERT INTO work_artifacts (tenant_id, user_id, title) VALUES (%s, %s, 'x')",
            (owner.tenant_id, owner.user_id),
        )
    assert caught.value.diag.constraint_name == "work_artifacts_per_user_limit"
    assert _count(admin, owner) == 50


def test_one_statement_crossing_fifty_is_refused_whole(admin, owner):
    _fill(admin, owner, 48)
    with pytest.raises(pg_errors.CheckViolation):
        _fill(admin, owner, 3)
    assert _count(admin, owner) == 48
