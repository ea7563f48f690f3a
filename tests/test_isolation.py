"""Row-level security as the runtime role sees it: raw SQL with no WHERE, two workspaces, a
colleague, and pooled connections reused from one tenant to the next.

Every statement here runs as `portfolio_app` exactly as `db.Database.transaction` enters it, but
without the app's own WHERE clauses, so only the policies stand between tenants.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg.rows import dict_row

from tests.support import PASSWORD, unique_email
from workhistory.data import accounts, artifacts
from workhistory.data.db import Actor, Database

TENANT_TABLES = ("tenants", "users", "invites", "work_artifacts")


@dataclass(frozen=True)
class Member:
    user: accounts.Account
    email: str
    private_id: UUID
    team_id: UUID
    invite_id: UUID

    @property
    def tenant_id(self) -> UUID:
        return self.user.tenant_id

    @property
    def user_id(self) -> UUID:
        return self.user.user_id


def _member(db, database_url, user, email) -> Member:
    ids = []
    for visibility in ("private", "team"):
        entry, _ = artifacts.create_artifact(
            db, user.actor, {"title": f"{visibility} work", "visibility": visibility}
        )
        ids.append(entry.id)
    invite_id = uuid4()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO invites (id, tenant_id, created_by, token_hash, expires_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            (
                invite_id,
                user.tenant_id,
                user.user_id,
                uuid4().hex * 2,
                datetime.now(UTC) + timedelta(days=7),
            ),
        )
    return Member(user, email, ids[0], ids[1], invite_id)


@pytest.fixture(scope="module")
def world(db, database_url):
    """Workspace A with an owner and a colleague, workspace B with its owner; each of them has
    one private and one team artifact and one invite."""
    emails = [unique_email(p) for p in ("a-owner", "a-colleague", "b-owner")]
    a_owner = accounts.create_workspace(db, "Alpha", emails[0], "Ann Alpha", PASSWORD)
    a_colleague = accounts.add_user(db, a_owner.tenant_id, emails[1], "Carl Alpha", PASSWORD)
    b_owner = accounts.create_workspace(db, "Beta", emails[2], "Bea Beta", PASSWORD)
    return SimpleNamespace(
        a=_member(db, database_url, a_owner, emails[0]),
        a2=_member(db, database_url, a_colleague, emails[1]),
        b=_member(db, database_url, b_owner, emails[2]),
    )


@contextmanager
def as_app(url: str, tenant=None, user=None, *, set_context: bool = True) -> Iterator:
    """One transaction as `portfolio_app`, entered the way db.py does it; always rolled back.

    `set_context=False` enters the role only and never touches app.tenant_id / app.user_id."""
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute("BEGIN")
        if set_context:
            conn.execute(
                "SELECT set_config('role', 'portfolio_app', true),"
                " set_config('app.tenant_id', %s, true), set_config('app.user_id', %s, true)",
                (str(tenant or ""), str(user or "")),
            )
        else:
            conn.execute("SELECT set_config('role', 'portfolio_app', true)")
        try:
            yield conn
        finally:
            if not conn.closed:
                conn.execute("ROLLBACK")


def ids(conn, query: str, params=()) -> set:
    return {row["id"] for row in conn.execute(query, params).fetchall()}


# --- reads --------------------------------------------------------------------------------


def test_users_only_of_the_current_workspace(database_url, world):
    with as_app(database_url, world.a.tenant_id, world.a.user_id) as conn:
        rows = conn.execute("SELECT id, tenant_id FROM users").fetchall()
    assert {r["id"] for r in rows} == {world.a.user_id, world.a2.user_id}
    assert {r["tenant_id"] for r in rows} == {world.a.tenant_id}


def test_tenants_only_the_current_one(database_url, world):
    with as_app(database_url, world.b.tenant_id, world.b.user_id) as conn:
        assert ids(conn, "SELECT id FROM tenants") == {world.b.tenant_id}


def test_artifacts_own_and_colleagues_team_only(database_url, world):
    with as_app(database_url, world.a.tenant_id, world.a.user_id) as conn:
        visible = ids(conn, "SELECT id FROM work_artifacts")
    assert visible == {world.a.private_id, world.a.team_id, world.a2.team_id}


def test_other_workspace_sees_none_of_ours(database_url, world):
    with as_app(database_url, world.b.tenant_id, world.b.user_id) as conn:
        visible = ids(conn, "SELECT id FROM work_artifacts")
        users = ids(conn, "SELECT id FROM users")
    assert visible == {world.b.private_id, world.b.team_id}
    assert users == {world.b.user_id}


def test_invites_only_ones_own(database_url, world):
    with as_app(database_url, world.a.tenant_id, world.a.user_id) as conn:
        assert ids(conn, "SELECT id FROM invites") == {world.a.invite_id}


def test_a_forged_user_id_from_another_workspace_sees_nothing(database_url, world):
    """Tenant A with B's user id: the restrictive tenant policy still hides all of B."""
    with as_app(database_url, world.a.tenant_id, world.b.user_id) as conn:
        visible = ids(conn, "SELECT id FROM work_artifacts")
    assert visible == {world.a.team_id, world.a2.team_id}


def test_password_hashes_are_not_readable(database_url, world):
    with (
        as_app(database_url, world.a.tenant_id, world.a.user_id) as conn,
        pytest.raises(pg_errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT password_hash FROM users")


# --- writes -------------------------------------------------------------------------------


def test_update_and_delete_without_where_touch_only_own_rows(database_url, world):
    own = {world.a.private_id, world.a.team_id}
    with as_app(database_url, world.a.tenant_id, world.a.user_id) as conn:
        updated = ids(conn, "UPDATE work_artifacts SET title = title || ' (edited)' RETURNING id")
        deleted = ids(conn, "DELETE FROM work_artifacts RETURNING id")
        users = ids(conn, "UPDATE users SET display_name = 'Renamed' RETURNING id")
        invites = ids(conn, "DELETE FROM invites RETURNING id")
    assert updated == own
    assert deleted == own
    assert users == {world.a.user_id}
    assert invites == {world.a.invite_id}


def test_other_workspace_rows_cannot_be_updated_or_deleted(database_url, world, admin):
    b = world.b
    with as_app(database_url, world.a.tenant_id, world.a.user_id) as conn:
        for artifact_id in (b.private_id, b.team_id):
            cur = conn.execute(
                "UPDATE work_artifacts SET title = 'stolen' WHERE id = %s", (artifact_id,)
            )
            assert cur.rowcount == 0
            cur = conn.execute("DELETE FROM work_artifacts WHERE id = %s", (artifact_id,))
            assert cur.rowcount == 0
        cur = conn.execute("UPDATE users SET display_name = 'x' WHERE id = %s", (b.user_id,))
        assert cur.rowcount == 0
        cur = conn.execute("DELETE FROM invites WHERE id = %s", (b.invite_id,))
        assert cur.rowcount == 0
        conn.execute("COMMIT")  # nothing to commit, but prove it: B's rows are intact
        conn.execute("BEGIN")
    titles = admin.execute(
        "SELECT title FROM work_artifacts WHERE id = ANY(%s)", ([b.private_id, b.team_id],)
    ).fetchall()
    assert sorted(r["title"] for r in titles) == ["private work", "team work"]


ARTIFACT_INSERT = "INSERT INTO work_artifacts (tenant_id, user_id, title) VALUES (%s, %s, 'x')"
INVITE_INSERT = (
    "INSERT INTO invites (tenant_id, created_by, token_hash, expires_at)"
    " VALUES (%s, %s, repeat('a', 64), now() + interval '1 day')"
)


# "as-B" rows name B's user; "as-me" rows name the acting user, so every permissive policy
# is satisfied and only the restrictive tenant policy stands in the way.
@pytest.mark.parametrize(
    ("statement", "params"),
    [
        pytest.param(ARTIFACT_INSERT, lambda w: (w.b.tenant_id, w.b.user_id), id="artifact-as-B"),
        pytest.param(ARTIFACT_INSERT, lambda w: (w.b.tenant_id, w.a.user_id), id="artifact-as-me"),
        pytest.param(
            "INSERT INTO users (id, tenant_id, email, display_name, password_hash)"
            " VALUES (%s, %s, %s, 'Intruder', 'x')",
            lambda w: (w.a.user_id, w.b.tenant_id, unique_email("intruder")),
            id="user-as-me",
        ),
        pytest.param(INVITE_INSERT, lambda w: (w.b.tenant_id, w.b.user_id), id="invite-as-B"),
        pytest.param(INVITE_INSERT, lambda w: (w.b.tenant_id, w.a.user_id), id="invite-as-me"),
        pytest.param(
            "INSERT INTO tenants (id, name) VALUES (%s, 'Other')", lambda w: (uuid4(),), id="tenant"
        ),
    ],
)
def test_inserting_into_another_workspace_fails(database_url, world, statement, params):
    with (
        as_app(database_url, world.a.tenant_id, world.a.user_id) as conn,
        pytest.raises(pg_errors.InsufficientPrivilege, match="row-level security"),
    ):
        conn.execute(statement, params(world))


def test_colleague_private_invisible_team_visible_but_not_writable(database_url, world, admin):
    a2 = world.a2
    with as_app(database_url, world.a.tenant_id, world.a.user_id) as conn:
        assert ids(conn, "SELECT id FROM work_artifacts WHERE id = %s", (a2.private_id,)) == set()
        assert ids(conn, "SELECT id FROM work_artifacts WHERE id = %s", (a2.team_id,)) == {
            a2.team_id
        }
        for artifact_id in (a2.private_id, a2.team_id):
            cur = conn.execute(
                "UPDATE work_artifacts SET title = 'mine now' WHERE id = %s", (artifact_id,)
            )
            assert cur.rowcount == 0
            cur = conn.execute("DELETE FROM work_artifacts WHERE id = %s", (artifact_id,))
            assert cur.rowcount == 0
        # The colleague's own user row is visible but not writable either.
        cur = conn.execute("UPDATE users SET display_name = 'x' WHERE id = %s", (a2.user_id,))
        assert cur.rowcount == 0
        conn.execute("COMMIT")
        conn.execute("BEGIN")
    row = admin.execute(
        "SELECT title, version FROM work_artifacts WHERE id = %s", (a2.team_id,)
    ).fetchone()
    assert row == {"title": "team work", "version": 1}


def test_cannot_insert_an_artifact_for_a_colleague(database_url, world):
    with (
        as_app(database_url, world.a.tenant_id, world.a.user_id) as conn,
        pytest.raises(pg_errors.InsufficientPrivilege, match="row-level security"),
    ):
        conn.execute(
            "INSERT INTO work_artifacts (tenant_id, user_id, title) VALUES (%s, %s, 'x')",
            (world.a.tenant_id, world.a2.user_id),
        )


def test_cannot_move_own_artifact_to_a_colleague(database_url, world):
    """Ownership columns are not updatable at all: no grant, whatever the policy says."""
    with (
        as_app(database_url, world.a.tenant_id, world.a.user_id) as conn,
        pytest.raises(pg_errors.InsufficientPrivilege),
    ):
        conn.execute(
            "UPDATE work_artifacts SET user_id = %s WHERE id = %s",
            (world.a2.user_id, world.a.private_id),
        )


# --- no context ---------------------------------------------------------------------------


@pytest.mark.parametrize("set_context", [True, False], ids=["empty-settings", "never-set"])
def test_without_context_nothing_is_visible(database_url, world, admin, set_context):
    for table in TENANT_TABLES:  # the rows exist
        assert admin.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"] > 0  # noqa: S608
    with as_app(database_url, set_context=set_context) as conn:
        for table in TENANT_TABLES:
            n = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"]  # noqa: S608
            assert n == 0, table


@pytest.mark.parametrize("set_context", [True, False], ids=["empty-settings", "never-set"])
def test_without_context_inserts_fail(database_url, world, set_context):
    with (
        as_app(database_url, set_context=set_context) as conn,
        pytest.raises(pg_errors.InsufficientPrivilege, match="row-level security"),
    ):
        conn.execute(
            "INSERT INTO work_artifacts (tenant_id, user_id, title) VALUES (%s, %s, 'x')",
            (world.a.tenant_id, world.a.user_id),
        )


def test_context_of_an_ended_transaction_does_not_linger(database_url, world):
    """Same session: after a transaction that set tenant A ends, the next one sees nothing."""
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute("BEGIN")
        conn.execute(
            "SELECT set_config('role', 'portfolio_app', true),"
            " set_config('app.tenant_id', %s, true), set_config('app.user_id', %s, true)",
            (str(world.a.tenant_id), str(world.a.user_id)),
        )
        assert conn.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"] > 0
        conn.execute("COMMIT")
        conn.execute("BEGIN")
        conn.execute("SELECT set_config('role', 'portfolio_app', true)")
        assert conn.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"] == 0
        conn.execute("ROLLBACK")


# --- login --------------------------------------------------------------------------------


def test_login_lookup_works_without_context_and_returns_four_columns(database_url, world):
    with as_app(database_url) as conn:
        cur = conn.execute("SELECT * FROM login_lookup(%s)", (world.b.email.upper(),))
        rows = cur.fetchall()
        names = [c.name for c in cur.description]
        unknown = conn.execute("SELECT * FROM login_lookup(%s)", (unique_email(),)).fetchall()
    assert names == ["user_id", "tenant_id", "display_name", "password_hash"]
    assert len(rows) == 1
    assert rows[0]["user_id"] == world.b.user_id
    assert rows[0]["tenant_id"] == world.b.tenant_id
    assert rows[0]["password_hash"].startswith("$argon2id$")
    assert unknown == []


# --- pooled connections -------------------------------------------------------------------


@pytest.fixture
def single_connection_db(database_url):
    """A pool of exactly one connection, so every transaction reuses the same session."""
    database = Database(database_url, min_size=1, max_size=1, timeout=5)
    database.open()
    yield database
    database.close()


def _actor(member: Member) -> Actor:
    return Actor(tenant_id=member.tenant_id, user_id=member.user_id)


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_pooled_connection_carries_nothing_to_the_next_tenant(
    single_connection_db, world, admin, outcome
):
    db = single_connection_db
    login_role = admin.execute("SELECT current_user AS u").fetchone()["u"]

    class Abort(Exception):
        pass

    try:
        with db.transaction(_actor(world.a)) as conn:
            pid = conn.execute("SELECT pg_backend_pid() AS p").fetchone()["p"]
            seen_by_a = ids(conn, "SELECT id FROM work_artifacts")
            if outcome == "rollback":
                raise Abort
    except Abort:
        pass
    assert seen_by_a == {world.a.private_id, world.a.team_id, world.a2.team_id}

    # Between transactions the session is back to the login role with no tenant set.
    with db.pool.connection() as conn:
        row = conn.execute(
            "SELECT pg_backend_pid() AS p, current_user AS u,"
            " current_setting('app.tenant_id', true) AS t,"
            " current_setting('app.user_id', true) AS uid"
        ).fetchone()
        conn.rollback()
    assert row["p"] == pid
    assert row["u"] == login_role
    assert row["t"] in ("", None)
    assert row["uid"] in ("", None)

    with db.transaction(_actor(world.b)) as conn:
        assert conn.execute("SELECT pg_backend_pid() AS p").fetchone()["p"] == pid
        seen_by_b = ids(conn, "SELECT id FROM work_artifacts")
        b_tenants = {r["tenant_id"] for r in conn.execute("SELECT tenant_id FROM users")}
    assert seen_by_b == {world.b.private_id, world.b.team_id}
    assert b_tenants == {world.b.tenant_id}

    with db.transaction(None) as conn:
        assert conn.execute("SELECT pg_backend_pid() AS p").fetchone()["p"] == pid
        assert conn.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"] == 0
