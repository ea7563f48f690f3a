"""The data layer behind PgBouncer in transaction pooling mode (Debian's `pgbouncer`).

Transaction pooling hands a server connection to a client for one transaction only, so the
next client's transaction can run on the same PostgreSQL session. The app relies on nothing
that outlives a transaction: the role and the tenant and user settings are transaction-local
(`set_config(..., true)`), the limit's advisory lock is `pg_advisory_xact_lock`, and with
`prepare=False` (DATABASE_PREPARE=0) psycopg prepares no server-side statements, which would
otherwise collide or vanish between clients. These tests prove each point on a real PgBouncer
(started here, on a free loopback port) in front of the test PostgreSQL. PgBouncer missing is a
failure, not a skip: `make test` installs it (scripts/ensure_tools.py).
"""

from __future__ import annotations

import os
import pwd
import subprocess
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.support import PASSWORD, actor_of, find_tool, free_port, run_together, unique_email
from workhistory.data import accounts, artifacts
from workhistory.data.db import Database
from workhistory.data.errors import Conflict, LimitReached

THREADS = 20
NARROW, WIDE = "portfolio_narrow", "portfolio_wide"  # pool of 1, pool of 8 server connections


def _run_as(server: dict) -> list[str]:
    """PgBouncer refuses to run as root: as root, drop to the user that can reach the server
    (the owner of the embedded server's socket directory) or to nobody for a TCP server."""
    if os.geteuid() != 0:
        return []
    host = server.get("host", "")
    if host.startswith("/"):
        owner = pwd.getpwuid(Path(host).stat().st_uid).pw_name
        if owner != "root":
            return ["-u", owner]
    return ["-u", "nobody"]


@pytest.fixture(scope="module")
def bouncer(database_url, tmp_path_factory) -> dict[str, str]:
    """A running PgBouncer (transaction pooling) in front of this module's database.

    Returns libpq URLs: `narrow` shares ONE server connection among all its clients, `wide`
    has eight. Both log in to PostgreSQL as the test server's (superuser) login; the app enters
    `portfolio_app` per transaction as always.
    """
    binary = find_tool("pgbouncer")
    server = conninfo_to_dict(database_url)
    target = " ".join(
        f"{key}={server[key]}" for key in ("host", "port", "dbname", "user", "password")
        if server.get(key)
    )
    port = free_port()
    workdir = tmp_path_factory.mktemp("pgbouncer")
    workdir.chmod(0o755)  # readable by the unprivileged user PgBouncer drops to
    ini = workdir / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"{NARROW} = {target} pool_size=1\n"
        f"{WIDE} = {target} pool_size=8\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = any\n"
        "pool_mode = transaction\n"
        "max_client_conn = 200\n"
        "server_reset_query =\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    ini.chmod(0o644)
    proc = subprocess.Popen(
        [binary, *_run_as(server), str(ini)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    urls = {name: make_conninfo(host="127.0.0.1", port=port, dbname=db, user="portfolio",
                                connect_timeout=3)
            for name, db in (("narrow", NARROW), ("wide", WIDE))}
    try:
        _wait_until_accepting(proc, urls["narrow"])
        yield urls
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_accepting(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"pgbouncer exited with {proc.returncode}:\n{proc.stdout.read()}")
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            time.sleep(0.1)
    proc.terminate()
    pytest.fail(f"pgbouncer did not accept connections:\n{proc.communicate(timeout=5)[0]}")


@pytest.fixture
def via_bouncer(bouncer):
    """Open app `Database`s on a PgBouncer pool: `via_bouncer("narrow", max_size=1)`."""
    opened: list[Database] = []

    def make(pool: str, max_size: int = 1) -> Database:
        database = Database(bouncer[pool], max_size=max_size, timeout=30, prepare=False)
        database.open()
        opened.append(database)
        return database

    yield make
    for database in opened:
        database.close()


def _artifact(title: str, **more) -> dict:
    return {"title": title, "artifact_type": "code", "artifact_date": date(2019, 5, 1),
            "estimated_hours_saved": 3.0, **more}


def _backend_pid(conn) -> int:
    return conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]


def test_context_never_leaks_between_clients_on_one_server_connection(
    via_bouncer, bouncer, make_workspace, admin
):
    alice, bob = make_workspace("Alpha"), make_workspace("Beta")
    client_a, client_b = via_bouncer("narrow"), via_bouncer("narrow")
    for i in range(3):
        artifacts.create_artifact(client_a, actor_of(alice), _artifact(f"Alpha {i}"))
    artifacts.create_artifact(client_b, actor_of(bob), _artifact("Beta 0", visibility="team"))

    pids = set()
    with psycopg.connect(bouncer["narrow"], autocommit=True, prepare_threshold=None) as bare:
        for _ in range(25):  # alternate clients: each one's transaction follows the other's
            with client_a.transaction(actor_of(alice)) as conn:
                pids.add(_backend_pid(conn))
                seen = conn.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"]
                assert seen == 3
            # The next client on the same server connection, outside any app transaction:
            # no role, no tenant, no user carried over.
            role, tenant, user, pid = bare.execute(
                "SELECT current_user, current_setting('app.tenant_id', true),"
                " current_setting('app.user_id', true), pg_backend_pid()"
            ).fetchone()
            pids.add(pid)
            assert role != "portfolio_app"
            assert (tenant or "") == "" and (user or "") == ""
            with client_b.transaction() as conn:  # no actor: row-level security shows nothing
                pids.add(_backend_pid(conn))
                assert conn.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"] == 0
            titles = [e.title for e in artifacts.list_artifacts(client_b, actor_of(bob)).entries]
            assert titles == ["Beta 0"]
    assert len(pids) == 1, "the clients did not share one server connection"
    assert admin.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"] == 4


def test_a_session_level_setting_would_leak_so_the_check_above_can_fail(bouncer):
    """Control: in transaction pooling a session-level SET reaches the next client. The app
    never uses one; this shows the test above would see a leak if it did."""
    with psycopg.connect(bouncer["narrow"], autocommit=True, prepare_threshold=None) as first, \
            psycopg.connect(bouncer["narrow"], autocommit=True, prepare_threshold=None) as second:
        first.execute("SELECT set_config('app.tenant_id', 'leaked', false)")
        try:
            leaked = second.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0]
        finally:
            second.execute("RESET app.tenant_id")
        assert leaked == "leaked"


def test_limit_holds_under_concurrent_creates(via_bouncer, make_workspace, admin):
    owner = make_workspace("Crowded")
    actor = actor_of(owner)
    database = via_bouncer("wide", max_size=THREADS)
    for i in range(40):
        artifacts.create_artifact(database, actor, _artifact(f"Existing {i}"))
    results = run_together(
        THREADS, lambda n: artifacts.create_artifact(database, actor, _artifact(f"Racer {n}"))
    )
    assert sum(isinstance(r, tuple) for r in results) == 10, results
    assert sum(isinstance(r, LimitReached) for r in results) == 10, results
    stored = admin.execute(
        "SELECT count(*) AS n FROM work_artifacts WHERE user_id = %s", (owner.user_id,)
    ).fetchone()["n"]
    assert stored == 50


def test_updates_and_conflicts_work_through_the_bouncer(via_bouncer, make_workspace, admin):
    owner = make_workspace("Editors")
    actor = actor_of(owner)
    database = via_bouncer("narrow")
    entry, _ = artifacts.create_artifact(database, actor, _artifact("Draft", description="keep"))
    for i in range(12):  # past psycopg's prepare threshold (5), had preparing been on
        entry, summary = artifacts.update_artifact(
            database, actor, entry.id, {"title": f"Draft {i}"}, entry.version
        )
    assert (entry.title, entry.version, entry.description) == ("Draft 11", 13, "keep")
    assert summary.count == 1

    with pytest.raises(Conflict) as caught:
        artifacts.update_artifact(database, actor, entry.id, {"title": "Stale"}, 1)
    assert caught.value.current.title == "Draft 11"
    row = admin.execute(
        "SELECT title, version FROM work_artifacts WHERE id = %s", (entry.id,)
    ).fetchone()
    assert (row["title"], row["version"]) == ("Draft 11", 13)


def test_no_server_side_prepared_statements_are_left_for_other_clients(via_bouncer, bouncer):
    user = accounts.create_workspace(
        via_bouncer("narrow"), "Prepared", unique_email(), "Pre Pared", PASSWORD
    )
    first, second = via_bouncer("narrow"), via_bouncer("narrow")
    artifacts.create_artifact(first, user.actor, _artifact("One"))
    for _ in range(10):  # both clients repeat the same statements on one server connection
        assert len(artifacts.list_artifacts(first, user.actor).entries) == 1
        assert len(artifacts.list_artifacts(second, user.actor).entries) == 1
    with psycopg.connect(bouncer["narrow"], autocommit=True, prepare_threshold=None) as bare:
        prepared = bare.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
    assert prepared == 0
