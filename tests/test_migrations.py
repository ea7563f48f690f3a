"""The migration runner: idempotent, safe from two processes at once, and unwilling to run
when a landed file was edited."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid

import psycopg
import pytest

from tests.support import ROOT, with_dbname
from workhistory import migrate
from workhistory.data import catalog

NAMES = sorted(p.name for p in migrate.MIGRATIONS_DIR.glob("*.sql"))
# After the SQL files, a first upgrade loads the skills catalog (and reports it).
APPLIED = [*NAMES, f"data: {catalog.CATALOG.name}"]

# A runner in its own process: imports first, then waits for "go" so both start together.
RUNNER = """
import sys
from workhistory import migrate
sys.stdin.readline()
print(",".join(migrate.upgrade(sys.argv[1])))
"""


@pytest.fixture
def empty_database(pg_server):
    """A libpq URL of a brand-new, unmigrated database, dropped afterwards."""
    name = f"portfolio_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield with_dbname(pg_server, name)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _recorded(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT name, checksum FROM schema_migrations ORDER BY name").fetchall()


def _table_exists(url: str, name: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]


def test_upgrade_twice_is_a_no_op(empty_database):
    assert migrate.upgrade(empty_database) == APPLIED
    first = _recorded(empty_database)
    assert migrate.upgrade(empty_database) == []
    assert _recorded(empty_database) == first
    assert [name for name, _ in first] == NAMES


def test_migrated_test_database_has_nothing_pending(database_url):
    assert migrate.upgrade(database_url) == []


def test_two_processes_at_once_both_succeed(empty_database):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RUNNER, empty_database],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:  # both are imported and waiting: release them together
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results.append(out.strip())
    # One applied everything, the other waited for the lock and found nothing to do.
    assert sorted(results) == ["", ",".join(APPLIED)]
    assert [name for name, _ in _recorded(empty_database)] == NAMES


@pytest.fixture
def own_migrations(tmp_path):
    """A copy of the real migrations that a test may edit."""
    directory = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, directory)
    return directory


def test_edited_landed_migration_is_refused(empty_database, own_migrations):
    assert migrate.upgrade(empty_database, own_migrations) == APPLIED
    before = _recorded(empty_database)

    landed = own_migrations / NAMES[1]
    landed.write_text(landed.read_text() + "\n-- a harmless-looking edit\n")
    (own_migrations / "9998_new.sql").write_text("CREATE TABLE should_not_exist (id int);\n")

    with pytest.raises(migrate.MigrationError, match=NAMES[1]):
        migrate.upgrade(empty_database, own_migrations)
    # Nothing applied: not the new file, and the record of the edited one is unchanged.
    assert _recorded(empty_database) == before
    assert not _table_exists(empty_database, "should_not_exist")


def test_failing_migration_is_rolled_back_and_not_recorded(empty_database, own_migrations):
    (own_migrations / "9998_good.sql").write_text("CREATE TABLE good_one (id int);\n")
    (own_migrations / "9999_bad.sql").write_text(
        "CREATE TABLE half_done (id int);\nSELECT 1 / 0;\n"
    )
    with pytest.raises(migrate.MigrationError, match="9999_bad.sql"):
        migrate.upgrade(empty_database, own_migrations)
    recorded = [name for name, _ in _recorded(empty_database)]
    assert recorded == [*NAMES, "9998_good.sql"]
    assert _table_exists(empty_database, "good_one")
    assert not _table_exists(empty_database, "half_done")

    # Fixed, it applies on the next run.
    (own_migrations / "9999_bad.sql").write_text("CREATE TABLE half_done (id int);\n")
    assert migrate.upgrade(empty_database, own_migrations) == ["9999_bad.sql", APPLIED[-1]]
