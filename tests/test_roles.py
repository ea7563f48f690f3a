"""Deployment roles (SPEC §7, docs/DEPLOY.md): the runtime login cannot leave row-level security
(`RESET ROLE` or `set_config('role', ...)` gave back the owner or every password hash when the
login was a member of both roles and owned the tables), and migrations run as an owner that is
not a superuser, on PostgreSQL 15+ where `public` is not writable by everyone."""

from __future__ import annotations

import re
import uuid

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg import sql

from tests.support import PASSWORD, ROOT, unique_email
from workhistory import migrate, roles
from workhistory.data import accounts, artifacts

NAMES = sorted(p.name for p in migrate.MIGRATIONS_DIR.glob("*.sql"))


@pytest.fixture
def victim(db):
    user = accounts.create_workspace(db, "Victim", unique_email(), "Vic", PASSWORD)
    artifacts.create_artifact(db, user.actor, {"title": "Private plan"})
    return user


def _runtime(runtime_url, tenant="", user=""):
    conn = psycopg.connect(runtime_url)
    conn.execute("SELECT set_config('role', 'portfolio_app', true),"
                 " set_config('app.tenant_id', %s, true), set_config('app.user_id', %s, true)",
                 (tenant, user))
    return conn


def test_the_runtime_login_is_a_member_of_portfolio_app_only(admin, deploy_roles):
    _owner, runtime = deploy_roles
    row = admin.execute(
        "SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,"
        " ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid"
        "       WHERE m.member = r.oid) AS member_of"
        " FROM pg_roles r WHERE r.rolname = %s", (runtime,)).fetchone()
    assert row == {"rolsuper": False, "rolbypassrls": False, "rolcreaterole": False,
                   "rolcreatedb": False, "member_of": ["portfolio_app"]}


@pytest.mark.parametrize(("catalog", "owner_column"), [
    ("pg_class", "relowner"), ("pg_proc", "proowner"), ("pg_namespace", "nspowner"),
    ("pg_type", "typowner"), ("pg_database", "datdba"),
])
def test_the_runtime_login_owns_nothing(admin, deploy_roles, catalog, owner_column):
    owned = admin.execute(
        f"SELECT count(*) AS n FROM {catalog} WHERE {owner_column} = %s::regrole",  # noqa: S608
        (deploy_roles[1],)).fetchone()
    assert owned["n"] == 0


def test_reset_role_gains_nothing(runtime_url, victim):
    with _runtime(runtime_url) as conn:
        conn.execute("RESET ROLE")
        assert conn.execute("SELECT current_user").fetchone()[0] != "portfolio_app"
        # No tenant: row-level security still applies to the login (its policies are
        # portfolio_app's, inherited), so nothing is visible ...
        for table in ("work_artifacts", "users", "tenants", "invites", "sessions"):
            count = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
            assert count == 0, table
        # ... and the login is not the owner: it cannot switch row-level security off.
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE work_artifacts NO FORCE ROW LEVEL SECURITY")
    with _runtime(runtime_url) as conn:
        conn.execute("RESET ROLE")
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute("SELECT password_hash FROM users")
    with _runtime(runtime_url) as conn:
        conn.execute("SET LOCAL row_security = off")
        with pytest.raises(pg_errors.InsufficientPrivilege):  # would bypass: refused
            conn.execute("SELECT count(*) FROM work_artifacts")


@pytest.mark.parametrize("target", ["portfolio_auth", "owner", "postgres"])
def test_no_other_role_can_be_entered(runtime_url, deploy_roles, target):
    role = {"owner": deploy_roles[0]}.get(target, target)
    for local in ("true", "false"):
        statement = f"SELECT set_config('role', %s, {local})"
        with _runtime(runtime_url) as conn, pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute(statement, (role,))
    with _runtime(runtime_url) as conn, pytest.raises(pg_errors.InsufficientPrivilege):
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))


def test_the_app_serves_as_the_runtime_login(app, deploy_roles):
    with app.extensions["db"].transaction() as conn:
        row = conn.execute("SELECT session_user AS login, current_user AS role").fetchone()
    assert row == {"login": deploy_roles[1], "role": "portfolio_app"}


# --- migrations as a non-superuser owner, from an empty database -----------------------------


@pytest.fixture
def fresh_split(pg_server):
    """Roles and an empty database made with the SQL of docs/DEPLOY.md, word for word apart
    from the names (unique: roles are cluster-wide) and the passwords (trust auth here)."""
    suffix = uuid.uuid4().hex[:8]
    owner, runtime, database = f"po_{suffix}", f"pw_{suffix}", f"pd_{suffix}"
    cluster, in_database = deploy_sql()
    cluster = (cluster.replace("portfolio_owner", owner).replace("portfolio_web", runtime)
               .replace("DATABASE portfolio ", f"DATABASE {database} "))
    cluster = re.sub(r" PASSWORD '[^']*'", "", cluster)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for statement in split(cluster):
            conn.execute(statement)
    url = roles.url_for(pg_server, dbname=database)
    yield url, owner, runtime, in_database
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(database)))
    roles.drop_roles(pg_server, runtime, owner)


def deploy_sql() -> tuple[str, str]:
    """The two SQL blocks of docs/DEPLOY.md's role set-up."""
    text = (ROOT / "docs" / "DEPLOY.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", text, re.S)
    cluster = next(b for b in blocks if "CREATE ROLE portfolio_web" in b)
    in_database = next(b for b in blocks if b.startswith("-- connected to the new database"))
    return cluster.strip(), in_database.split("\n", 1)[1].strip()


def split(script: str) -> list[str]:
    """Statements of a script whose DO blocks are the only ones holding semicolons."""
    parts, buffer = [], ""
    for chunk in re.split(r"(;\n)", script + "\n"):
        buffer += chunk
        if chunk == ";\n" and buffer.count("$$") % 2 == 0:
            parts.append(buffer.strip())
            buffer = ""
    return [p for p in parts if p.strip(" ;\n")] + ([buffer.strip()] if buffer.strip() else [])


def test_deploy_md_gives_the_sql_the_code_runs():
    cluster, in_database = deploy_sql()
    assert (cluster, in_database) == tuple(s.strip() for s in roles.setup_sql())


def test_migrations_apply_as_a_non_superuser_owner(fresh_split):
    url, owner, runtime, in_database = fresh_split
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(in_database)
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s",
                            (owner,)).fetchone()[0] is False
    assert migrate.upgrade(roles.url_for(url, user=owner)) == NAMES
    with psycopg.connect(url) as conn:
        owners = {r[0] for r in conn.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")}
    assert owners == {owner}
    # The runtime login serves: sign-up, login, a session, under row-level security.
    from workhistory.data import sessions
    from workhistory.data.db import Database

    database = Database(roles.url_for(url, user=runtime))
    database.open()
    try:
        user = accounts.create_workspace(database, "Deployed", unique_email(), "Dee", PASSWORD)
        assert accounts.authenticate(database, user.email, PASSWORD) is not None
        token = sessions.start(database, user, "test")
        sessions.check(database, sessions.actor_for(user.tenant_id, user.user_id, token))
    finally:
        database.close()


def test_without_the_schema_grant_postgresql_15_refuses_migration_0004(fresh_split):
    """The finding: `ALTER FUNCTION ... OWNER TO portfolio_auth` needs CREATE on `public`,
    which PostgreSQL 15+ no longer gives everyone; the set-up's grant is what makes it work."""
    url, owner, _runtime, _in_database = fresh_split
    with psycopg.connect(url) as conn:
        public_create = conn.execute(
            "SELECT has_schema_privilege('public', 'public', 'CREATE')").fetchone()[0]
        version = conn.info.server_version
    if public_create or version < 150000:
        pytest.fail("this server lets everyone create in public: not PostgreSQL 15+ defaults")
    with pytest.raises(migrate.MigrationError, match="0004_row_level_security.sql"):
        migrate.upgrade(roles.url_for(url, user=owner))
