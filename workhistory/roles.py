"""The deployment's PostgreSQL roles (SPEC §7, docs/DEPLOY.md): who migrates and who serves.

- `portfolio_app`, `portfolio_auth`: NOLOGIN roles of the schema (migration 0001). Every request
  runs as `portfolio_app`; `portfolio_auth` only owns the narrow SECURITY DEFINER functions.
- the **owner** (`portfolio_owner`): a LOGIN that is not a superuser, owns the database and
  every object the migrations create, and runs `db upgrade` (`MIGRATION_DATABASE_URL`).
- the **runtime login** (`portfolio_web`): what app servers connect as (`DATABASE_URL`). A
  member of `portfolio_app` only and owner of nothing, so no statement in a request can leave
  row-level security: `RESET ROLE` lands on a role with portfolio_app's rights and no more,
  and `set_config('role', ...)` to the owner or to `portfolio_auth` is refused.

`setup_sql()` is the exact SQL docs/DEPLOY.md shows (a test keeps the two the same); the
embedded server (`make run`) and the test suite run it through `set_up()`, so they use the same
split as a deployment.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

OWNER, RUNTIME, DATABASE = "portfolio_owner", "portfolio_web", "portfolio"

# Run by an administrator (a superuser, or a managed service's admin with CREATEROLE and
# CREATEDB). {owner}, {runtime} and {database} are identifiers; {owner_password} and
# {runtime_password} become `PASSWORD '...'` clauses, or nothing under trust authentication.
CLUSTER_SQL = """\
-- The schema's two NOLOGIN roles (migration 0001 creates them too, when it may).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'portfolio_app') THEN
    CREATE ROLE portfolio_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'portfolio_auth') THEN
    CREATE ROLE portfolio_auth NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
END $$;
-- Migrations: not a superuser. ADMIN OPTION lets migration 0001 confirm the memberships.
CREATE ROLE {owner} LOGIN{owner_password} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
GRANT portfolio_app, portfolio_auth TO {owner} WITH ADMIN OPTION;
-- App servers: a member of portfolio_app only; owns nothing.
CREATE ROLE {runtime} LOGIN{runtime_password} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE
  INHERIT;
GRANT portfolio_app TO {runtime};
CREATE DATABASE {database} OWNER {owner};"""

# Then, connected to the new database: migrations 0004 and 0005 hand the login functions to
# portfolio_auth, which PostgreSQL 15+ allows only when that role may create in the schema.
DATABASE_SQL = "GRANT CREATE ON SCHEMA public TO portfolio_auth;"


def setup_sql(owner: str = OWNER, runtime: str = RUNTIME, database: str = DATABASE, *,
              passwords: bool = True) -> tuple[str, str]:
    """The two SQL scripts (cluster, then inside `database`) with these names filled in;
    `passwords` adds the `PASSWORD` placeholders a deployment replaces."""
    def password(name: str) -> str:
        return f" PASSWORD '{name}-password-from-your-secret-store'" if passwords else ""

    cluster = CLUSTER_SQL.format(owner=owner, runtime=runtime, database=database,
                                 owner_password=password(owner),
                                 runtime_password=password(runtime))
    return cluster, DATABASE_SQL


def url_for(base_url: str, *, user: str | None = None, dbname: str | None = None) -> str:
    """`base_url` with another user and/or database (same host, port and options)."""
    params = conninfo_to_dict(base_url)
    if user:
        params["user"] = user
        params.pop("password", None)
    if dbname:
        params["dbname"] = dbname
    return make_conninfo(**params)


def create_roles(admin_url: str, owner: str, runtime: str) -> None:
    """Create the NOLOGIN roles when missing and the owner and runtime logins (trust
    authentication: no passwords), as `setup_sql` says. Fails if the logins exist."""
    cluster, _ = setup_sql(owner, runtime, "unused", passwords=False)
    statements = cluster.split(";\nCREATE DATABASE")[0]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(statements)


def create_database(admin_url: str, owner: str, database: str) -> None:
    """Create `database` owned by `owner` and grant what the migrations need inside it."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(database), sql.Identifier(owner)))
    with psycopg.connect(url_for(admin_url, dbname=database), autocommit=True) as conn:
        conn.execute(DATABASE_SQL)


def drop_roles(admin_url: str, *names: str) -> None:
    """Drop login roles made by `create_roles` (their databases must be dropped first)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def set_up(admin_url: str, owner: str = OWNER, runtime: str = RUNTIME,
           database: str = DATABASE) -> tuple[str, str]:
    """Make sure the split exists on the server at `admin_url` (a superuser URL: the embedded
    server); return (runtime URL, owner URL) of `database`. Idempotent."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        have_roles = conn.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname IN (%s, %s)", (owner, runtime)
        ).fetchone()[0]
        have_db = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
    if have_roles < 2:
        create_roles(admin_url, owner, runtime)
    if not have_db:
        create_database(admin_url, owner, database)
    return (url_for(admin_url, user=runtime, dbname=database),
            url_for(admin_url, user=owner, dbname=database))
