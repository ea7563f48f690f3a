"""A hand-written transaction against psycopg's own, on the portfolio page's read.

Run with `python -m bench.transactions`. The first landing kept its connections in autocommit
mode and sent `BEGIN` together with the context (`set_config` of role, tenant and user) in one
simple-query message, then the statement, then `COMMIT`: three round trips. psycopg's own
transaction (what `workhistory.data.db.Database` uses now) sends `BEGIN` on its own, then the
context, the statement and `COMMIT`: four. The pool's `check=ConnectionPool.check_connection`,
which the app replaces by retrying a dead connection found when entering the context, would add
a ping on every checkout: five.

Each variant runs the same unit of work (enter the context, read one user's 50 artifacts in
page order, commit) on its own pool of one connection to the same server, interleaved in
ROUNDS rounds of CALLS calls so that drift on the machine hits both alike. Reported: the median
and p95 per transaction over all calls, and the ratio of medians within each round (median
over rounds). Results in bench/out/transactions.json.
"""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager

from psycopg import ClientCursor
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from bench import common
from workhistory.data import accounts, artifacts, search
from workhistory.data.db import ENTER_CONTEXT, Database

ROUNDS = 10
CALLS = 300
# The page's statement, exactly as list_artifacts sends it with no search or filter.
LIST = search.statement(search.NO_FILTERS, artifacts.COLUMNS, artifacts.LABELS,
                        purge=artifacts._PURGE)
LIST_PARAMS = search.params(search.NO_FILTERS)
# The first landing's message: simple queries take no bind parameters, so it is bound
# client-side (its only values are two uuid strings).
BEGIN_WITH_CONTEXT = "BEGIN; " + ENTER_CONTEXT


def _seed(url: str):
    db = Database(url, max_size=1)
    try:
        user = accounts.create_workspace(db, "Transactions", "tx@bench.example", "Tx Bench",
                                         common.BENCH_PASSWORD)
        for i in range(artifacts.LIMIT):
            artifacts.create_artifact(db, user.actor, {"title": f"Artifact {i}",
                                                       "description": "x" * 200})
        return user.actor
    finally:
        db.close()


def hand_written(url: str, actor):
    """The first landing's protocol: BEGIN with the context, the statement, COMMIT."""
    pool = ConnectionPool(url, min_size=1, max_size=1, open=True,
                          kwargs={"row_factory": dict_row, "autocommit": True})
    args = (str(actor.tenant_id), str(actor.user_id))
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id, **LIST_PARAMS}

    def unit():
        with pool.connection() as conn:
            ClientCursor(conn).execute(BEGIN_WITH_CONTEXT, args)
            rows = conn.execute(LIST, params).fetchall()
            conn.execute("COMMIT")
        assert len(rows) == artifacts.LIMIT

    return pool, unit


def psycopg_transaction(url: str, actor, check: bool):
    """psycopg's `conn.transaction()`, optionally with the pool checking each checkout."""
    pool = ConnectionPool(url, min_size=1, max_size=1, open=True,
                          check=ConnectionPool.check_connection if check else None,
                          kwargs={"row_factory": dict_row})
    args = (str(actor.tenant_id), str(actor.user_id))
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id, **LIST_PARAMS}

    def unit():
        with pool.connection() as conn, conn.transaction():
            conn.execute(ENTER_CONTEXT, args)
            rows = conn.execute(LIST, params).fetchall()
        assert len(rows) == artifacts.LIMIT

    return pool, unit


@contextmanager
def _pools(url: str, actor):
    made = {
        "hand-written (BEGIN with the context)": hand_written(url, actor),
        "psycopg conn.transaction()": psycopg_transaction(url, actor, check=False),
        "psycopg conn.transaction() + pool check": psycopg_transaction(url, actor, check=True),
    }
    try:
        yield {name: unit for name, (_pool, unit) in made.items()}
    finally:
        for pool, _unit in made.values():
            pool.close()


def main() -> None:
    with common.bench_server() as server, common.scratch_database(server, "tx") as url:
        actor = _seed(url)
        times: dict[str, list[float]] = {}
        ratios: dict[str, list[float]] = {}
        with _pools(url, actor) as units:
            for unit in units.values():
                common.sample(unit, runs=0, warmup=200)
            for _ in range(ROUNDS):
                medians = {}
                for name, unit in units.items():
                    taken = common.sample(unit, runs=CALLS, warmup=5)
                    times.setdefault(name, []).extend(taken)
                    medians[name] = statistics.median(taken)
                base = medians["hand-written (BEGIN with the context)"]
                for name, value in medians.items():
                    ratios.setdefault(name, []).append(value / base)
        result = {
            "server": common.server_version(url),
            "rounds": ROUNDS,
            "calls_per_round": CALLS,
            "variants": {
                name: {**common.summarize(taken),
                       "median_ratio_to_hand_written": round(statistics.median(ratios[name]), 3)}
                for name, taken in times.items()
            },
        }
    path = common.write_result("transactions", result)
    for name, figures in result["variants"].items():
        print(f"{name:45} median {figures['median_ms']:.3f} ms  p95 {figures['p95_ms']:.3f} ms"
              f"  x{figures['median_ratio_to_hand_written']:.3f}")
    print(f"written to {path.relative_to(common.ROOT)}")


if __name__ == "__main__":
    start = time.monotonic()
    main()
    print(f"took {time.monotonic() - start:.0f} s")
