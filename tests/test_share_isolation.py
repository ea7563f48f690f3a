"""A share viewer as an attacker sees it: raw SQL as the runtime login, in the context a share
page runs in (entered with the app's own first statement, `db.ENTER_SHARE`), with NO WHERE
clause. Only the policies stand between the viewer and the rest of the database: it must see
exactly the shared artifacts of the share's owner — not a private artifact of the owner, not a
colleague's team artifact, nothing of another workspace, no user row and so no email — and it
must not be able to write anything."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg.rows import dict_row

from tests.support import make_artifact
from workhistory.data import shares
from workhistory.data.db import ENTER_SHARE


@pytest.fixture(scope="module")
def world(db, database_url):
    """Workspace A: an owner (two team artifacts, one private), a colleague (a team
    artifact, a share of their own); workspace B: a stranger (a team artifact, a share).
    The owner has an all-team share and a chosen share of one artifact."""
    from tests.conftest import PASSWORD, unique_email
    from workhistory.data import accounts

    owner = accounts.create_workspace(db, "Alpha", unique_email("o"), "Olive", PASSWORD)
    colleague = accounts.add_user(db, owner.tenant_id, unique_email("c"), "Cole", PASSWORD)
    stranger = accounts.create_workspace(db, "Beta", unique_email("s"), "Stan", PASSWORD)
    w = {
        "team1": make_artifact(db, owner, title="Team one", visibility="team",
                               artifact_date=date(2021, 1, 1)),
        "team2": make_artifact(db, owner, title="Team two", visibility="team"),
        "private": make_artifact(db, owner, title="Private", visibility="private"),
        "theirs": make_artifact(db, colleague, title="Colleague's", visibility="team"),
        "beta": make_artifact(db, stranger, title="Beta's", visibility="team"),
    }
    w["all"] = shares.create_share(db, owner.actor, "all", "team", None, [])
    w["chosen"] = shares.create_share(db, owner.actor, "one", "chosen", 30, [w["team1"].id])
    w["colleague_share"] = shares.create_share(db, colleague.actor, "c", "team", None, [])
    w["beta_share"] = shares.create_share(db, stranger.actor, "b", "team", None, [])
    # What a bug elsewhere might leave in the join table: a private artifact of the owner,
    # a colleague's artifact and another workspace's artifact listed in the chosen share.
    with psycopg.connect(database_url, autocommit=True) as conn:
        for key in ("private", "theirs"):
            conn.execute("INSERT INTO share_artifacts VALUES (%s, %s, %s)",
                         (owner.tenant_id, w["chosen"].share.id, w[key].id))
    w.update(owner=owner, colleague=colleague, stranger=stranger)
    return w


@contextmanager
def as_viewer(runtime_url: str, token: str) -> Iterator[psycopg.Connection]:
    """One transaction as the runtime login in the share viewer context of `token`, entered
    exactly as db.py enters it; always rolled back."""
    with psycopg.connect(runtime_url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute("BEGIN")
        row = conn.execute(ENTER_SHARE, (hashlib.sha256(token.encode()).hexdigest(),)
                           ).fetchone()
        assert row["share_id"] is not None
        try:
            yield conn
        finally:
            if not conn.closed:
                conn.execute("ROLLBACK")


def _ids(conn, query: str) -> set:
    return {r["id"] for r in conn.execute(query).fetchall()}


def test_the_all_team_share_sees_exactly_the_owners_team_artifacts(runtime_url, world):
    with as_viewer(runtime_url, world["all"].token) as conn:
        seen = _ids(conn, "SELECT id FROM work_artifacts")
    assert seen == {world["team1"].id, world["team2"].id}


def test_the_chosen_share_sees_exactly_its_chosen_team_artifact(runtime_url, world):
    # The join table also lists a private artifact and a colleague's: neither shows.
    with as_viewer(runtime_url, world["chosen"].token) as conn:
        assert _ids(conn, "SELECT id FROM work_artifacts") == {world["team1"].id}
        assert {r["artifact_id"] for r in conn.execute(
            "SELECT artifact_id FROM share_artifacts").fetchall()} == {
            world["team1"].id, world["private"].id, world["theirs"].id}


@pytest.mark.parametrize("share", ["all", "chosen"])
def test_no_user_row_no_email_no_other_share(runtime_url, world, share):
    with as_viewer(runtime_url, world[share].token) as conn:
        assert conn.execute("SELECT id, tenant_id, display_name, created_at FROM users"
                            ).fetchall() == []
        assert conn.execute("SELECT email FROM users").fetchall() == []
        assert conn.execute("SELECT count(*) AS n FROM users WHERE email LIKE '%%@%%'"
                            ).fetchone()["n"] == 0
        assert _ids(conn, "SELECT id FROM shares") == {world[share].share.id}
        assert conn.execute("SELECT * FROM invites").fetchall() == []
        assert conn.execute("SELECT id FROM sessions").fetchall() == []
        assert conn.execute("SELECT * FROM pending_imports").fetchall() == []
        assert _ids(conn, "SELECT id FROM tenants") == {world["owner"].tenant_id}


def test_every_tenant_table_shows_only_what_the_share_needs(runtime_url, admin, world):
    """Any table with a tenant column, including ones added later: a share viewer sees no
    row of it beyond its own workspace, and of its workspace only the share's rows."""
    tables = [r["relname"] for r in admin.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS (SELECT 1 FROM"
        " pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id')"
        " AND has_any_column_privilege('portfolio_app', c.oid, 'SELECT')").fetchall()]
    expected = {"work_artifacts": 2, "shares": 1, "share_artifacts": 0}
    assert set(expected) <= set(tables)
    with as_viewer(runtime_url, world["all"].token) as conn:
        for table in tables:
            rows = conn.execute(f"SELECT tenant_id FROM {table}").fetchall()  # noqa: S608
            assert len(rows) == expected.get(table, 0), table
            assert {r["tenant_id"] for r in rows} <= {world["owner"].tenant_id}, table


WRITES = [
    ("INSERT INTO work_artifacts (tenant_id, user_id, title, visibility)"
     " VALUES (%(tenant)s, %(owner)s, 'planted', 'team')", "raises"),
    ("UPDATE work_artifacts SET title = 'defaced'", 0),
    ("DELETE FROM work_artifacts", 0),
    ("INSERT INTO tenants (name) VALUES ('Planted')", "raises"),
    ("INSERT INTO users (id, tenant_id, email, display_name, password_hash)"
     " VALUES (gen_random_uuid(), %(tenant)s, 'x@example.com', 'X', 'x')", "raises"),
    ("UPDATE users SET display_name = 'defaced'", 0),
    ("INSERT INTO shares (tenant_id, user_id, label, scope, token_hash)"
     " VALUES (%(tenant)s, %(owner)s, 'planted', 'team', repeat('a', 64))", "raises"),
    ("UPDATE shares SET revoked_at = now()", 0),
    ("INSERT INTO share_artifacts VALUES (%(tenant)s, %(share)s, %(private)s)", "raises"),
    ("DELETE FROM share_artifacts", "raises"),
    ("INSERT INTO invites (tenant_id, created_by, token_hash, expires_at)"
     " VALUES (%(tenant)s, %(owner)s, repeat('b', 64), now() + interval '1 day')", "raises"),
    ("INSERT INTO pending_imports (tenant_id, user_id, filename, rows)"
     " VALUES (%(tenant)s, %(owner)s, 'x', '[]')", "raises"),
    ("DELETE FROM sessions", 0),
]


@pytest.mark.parametrize(("statement", "outcome"), WRITES)
def test_a_share_viewer_cannot_write(runtime_url, admin, world, statement, outcome):
    before = admin.execute("SELECT count(*) AS n, max(title) AS t FROM work_artifacts"
                           ).fetchone()
    params = {"tenant": world["owner"].tenant_id, "owner": world["owner"].user_id,
              "share": world["all"].share.id, "private": world["private"].id}
    with as_viewer(runtime_url, world["all"].token) as conn:
        if outcome == "raises":
            with pytest.raises((pg_errors.InsufficientPrivilege, pg_errors.CheckViolation)):
                conn.execute(statement, params)
        else:
            assert conn.execute(statement, params).rowcount == outcome
    after = admin.execute("SELECT count(*) AS n, max(title) AS t FROM work_artifacts"
                          ).fetchone()
    assert after == before


def test_the_viewer_context_of_another_workspace_sees_only_its_own(runtime_url, world):
    with as_viewer(runtime_url, world["beta_share"].token) as conn:
        assert _ids(conn, "SELECT id FROM work_artifacts") == {world["beta"].id}
        assert _ids(conn, "SELECT id FROM tenants") == {world["stranger"].tenant_id}


def test_a_colleagues_share_never_shows_the_owners_work(runtime_url, world):
    with as_viewer(runtime_url, world["colleague_share"].token) as conn:
        assert _ids(conn, "SELECT id FROM work_artifacts") == {world["theirs"].id}


def test_a_revoked_share_enters_no_context(runtime_url, db, world):
    new = shares.create_share(db, world["owner"].actor, "short-lived", "team", None, [])
    shares.revoke_share(db, world["owner"].actor, new.share.id)
    with psycopg.connect(runtime_url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute("BEGIN")
        row = conn.execute(ENTER_SHARE, (hashlib.sha256(new.token.encode()).hexdigest(),)
                           ).fetchone()
        assert row["share_id"] is None
        assert conn.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"] == 0
        conn.execute("ROLLBACK")


def test_the_owner_still_sees_everything_of_their_own(runtime_url, world):
    """The restrictive share policies pass at once outside a share viewer context."""
    owner = world["owner"]
    with psycopg.connect(runtime_url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute("BEGIN")
        conn.execute("SELECT set_config('role', 'portfolio_app', true),"
                     " set_config('app.tenant_id', %s, true), set_config('app.user_id', %s,"
                     " true)", (str(owner.tenant_id), str(owner.user_id)))
        seen = _ids(conn, "SELECT id FROM work_artifacts")
        users = conn.execute("SELECT count(*) AS n FROM users").fetchone()["n"]
        conn.execute("ROLLBACK")
    assert seen == {world["team1"].id, world["team2"].id, world["private"].id,
                    world["theirs"].id}
    assert users == 2


def test_share_open_is_narrow(admin):
    fn = admin.execute(
        "SELECT p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner) AS owner,"
        " pg_get_function_result(p.oid) AS result,"
        " has_function_privilege('portfolio_app', p.oid, 'EXECUTE') AS app_can,"
        " EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0) AS public_can"
        " FROM pg_proc p WHERE p.oid = 'public.share_open(text)'::regprocedure").fetchone()
    assert fn["prosecdef"] and fn["proconfig"] == ["search_path=pg_catalog, pg_temp"]
    assert fn["owner"] == "portfolio_auth" and fn["app_can"] and not fn["public_can"]
    assert fn["result"] == ("TABLE(share_id uuid, tenant_id uuid, user_id uuid,"
                            " owner_name text, workspace_name text)")
    assert admin.execute("SELECT has_column_privilege('portfolio_app', 'public.shares',"
                         " 'token_hash', 'SELECT') AS can").fetchone()["can"] is False
