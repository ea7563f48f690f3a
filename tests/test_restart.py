"""PostgreSQL going away and coming back under an open pool: callers get `Unavailable` quickly
while it is down, and the next transaction after the restart succeeds with the data intact."""

from __future__ import annotations

import time

import pytest

from tests.support import PASSWORD, unique_email
from workhistory import embedded_pg
from workhistory.data import accounts, artifacts
from workhistory.data import db as db_module
from workhistory.data.db import Database
from workhistory.data.errors import Unavailable

OUTAGE = 20.0  # seconds


@pytest.mark.slow
def test_pool_survives_a_server_restart(own_server):
    data_dir, url = own_server
    database = Database(url, min_size=2, max_size=4, timeout=3)
    database.open()
    try:
        user = accounts.create_workspace(
            database, "Restart", unique_email(), "Rita Restart", PASSWORD
        )
        entry, _ = artifacts.create_artifact(database, user.actor, {"title": "survives"})

        embedded_pg.stop(data_dir)
        # Stay down long enough for the pool's reconnect backoff (attempts about 1, 3, 7, 15
        # and 31 s after the loss) to be sleeping when the server returns: a pool left to its
        # own retries would then answer the next caller only some 10 s later.
        down_since = time.monotonic()
        attempts = 0
        while time.monotonic() - down_since < OUTAGE:
            started = time.monotonic()
            with pytest.raises(Unavailable):
                artifacts.list_artifacts(database, user.actor)
            assert time.monotonic() - started < 8, "Unavailable must come within seconds"
            attempts += 1
        assert attempts >= 3

        assert embedded_pg.restart(data_dir) == url
        time.sleep(db_module.PROBE_EVERY)  # fails fast until the next probe finds it back
        portfolio = artifacts.list_artifacts(database, user.actor)
        assert [e.id for e in portfolio.entries] == [entry.id]
        assert portfolio.entries[0].title == "survives"
        assert accounts.authenticate(database, user.email, PASSWORD) is not None
    finally:
        database.close()
