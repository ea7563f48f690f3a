"""A hand-written transaction against psycopg's own, on the portfolio page's read.

Run with `python -m bench.transactions`. The first landing kept its connections in autocommit
mode and sent `BEGIN` together with the context (`set_config` of role, tenant and user) in one
simple-query message, then the statement, then `COMMIT`: three round trips. psycopg's own
transaction (what `workhistory.data.db.Database` uses now) sends `BEGIN` on its own, then the
context, the statement and `COMMIT`: four. The pool's `check=ConnectionPool.check_connection`,
which the app replaces by retrying a dead connection found when entering the context, would add
a ping on every checkout: five. psycopg's pipeline mode sends BEGIN, the context, the statement
and COMMIT together and reads their results after one sync: one.

Each variant runs the same unit of work (enter the context, read one user's 50 artifacts in
page order, commit) on its own pool of one connection to the same server, interleaved in
ROUNDS rounds of CALLS calls so that drift on the machine hits both alike. Reported: the median
and p95 per transaction over all calls, and the ratio of medians within each round (median
over rounds). Then the same variants with CLIENTS processes at once, the way the app's two sync
workers load two cores shared with PostgreSQL: units per second, the clients' own CPU per unit,
and the ratio within each round. Results in bench/out/transactions.json.
"""

from __future__ import annotations

import functools
import multiprocessing
import statistics
import tempfile
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
CLIENTS = 2
CLIENT_SECONDS = 3
CONCURRENT_ROUNDS = 5
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


def _setup(url: str, actor, autocommit: bool, check=None):
    """A variant's pool of one connection, the context's arguments and the page's
    parameters."""
    pool = ConnectionPool(url, min_size=1, max_size=1, open=True, check=check,
                          kwargs={"row_factory": dict_row, "autocommit": autocommit})
    args = (str(actor.tenant_id), str(actor.user_id))
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id, **LIST_PARAMS}
    return pool, args, params


def hand_written(url: str, actor):
    """The first landing's protocol: BEGIN with the context, the statement, COMMIT."""
    pool, args, params = _setup(url, actor, autocommit=True)

    def unit():
        with pool.connection() as conn:
            ClientCursor(conn).execute(BEGIN_WITH_CONTEXT, args)
            rows = conn.execute(LIST, params).fetchall()
            conn.execute("COMMIT")
        assert len(rows) == artifacts.LIMIT

    return pool, unit


def psycopg_transaction(url: str, actor, check: bool):
    """psycopg's `conn.transaction()`, optionally with the pool checking each checkout."""
    pool, args, params = _setup(url, actor, autocommit=False,
                                check=ConnectionPool.check_connection if check else None)

    def unit():
        with pool.connection() as conn, conn.transaction():
            conn.execute(ENTER_CONTEXT, args)
            rows = conn.execute(LIST, params).fetchall()
        assert len(rows) == artifacts.LIMIT

    return pool, unit


def pipelined(url: str, actor):
    """psycopg's pipeline mode: BEGIN, the context, the statement and COMMIT queued, their
    results read after one sync: one round trip. On an autocommit connection with BEGIN and
    COMMIT as statements: `conn.transaction()` inside a pipeline waits for its BEGIN and its
    COMMIT each (four round trips, the libpq trace shows)."""
    pool, args, params = _setup(url, actor, autocommit=True)

    def unit():
        with pool.connection() as conn:
            with conn.pipeline():
                conn.execute("BEGIN")
                conn.execute(ENTER_CONTEXT, args)
                cur = conn.execute(LIST, params)
                conn.execute("COMMIT")
            rows = cur.fetchall()
        assert len(rows) == artifacts.LIMIT

    return pool, unit


BASE = "hand-written (BEGIN with the context)"
VARIANTS = {
    BASE: hand_written,
    "psycopg conn.transaction()": functools.partial(psycopg_transaction, check=False),
    "psycopg conn.transaction() + pool check": functools.partial(psycopg_transaction,
                                                                 check=True),
    "psycopg pipeline mode, one sync": pipelined,
}


@contextmanager
def _pools(url: str, actor):
    made = {name: factory(url, actor) for name, factory in VARIANTS.items()}
    try:
        yield made
    finally:
        for pool, _unit in made.values():
            pool.close()


def _round_trips(pool: ConnectionPool, unit) -> int:
    """The round trips one unit makes, counted, not assumed: the ReadyForQuery messages in a
    libpq trace of the pool's one connection (a checkout ping included)."""
    with pool.connection() as conn:
        pass  # the pool's only connection, idle again: trace it while the unit runs
    with tempfile.TemporaryFile("w+") as trace:
        conn.pgconn.trace(trace.fileno())
        try:
            unit()
        finally:
            conn.pgconn.untrace()  # flushes the trace
        trace.seek(0)
        return sum("\tB\t" in line and "\tReadyForQuery" in line for line in trace)


def _client(factory, url, actor, start, out) -> None:
    """One of CLIENTS processes: its own pool, warmed, then as many units as fit in
    CLIENT_SECONDS from the common start; reports the count and its own CPU seconds."""
    pool, unit = factory(url, actor)
    try:
        common.sample(unit, runs=0, warmup=50)
        start.wait()
        cpu, end, calls = time.process_time(), time.monotonic() + CLIENT_SECONDS, 0
        while time.monotonic() < end:
            unit()
            calls += 1
        out.put((calls, time.process_time() - cpu))
    finally:
        pool.close()


def _concurrent(url: str, actor) -> dict[str, dict[str, float]]:
    """Units per second with CLIENTS processes at once (as many as the app's sync workers),
    each variant in turn, CONCURRENT_ROUNDS interleaved rounds: on two cores shared with the
    server, a round trip saved is also a hand-over of the CPU saved, which one client at a
    time does not show."""
    ctx = multiprocessing.get_context("fork")
    rates: dict[str, list[float]] = {}
    cpu_us: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {}
    for _ in range(CONCURRENT_ROUNDS):
        rate = {}
        for name, factory in VARIANTS.items():
            start, out = ctx.Barrier(CLIENTS), ctx.Queue()
            procs = [ctx.Process(target=_client, args=(factory, url, actor, start, out))
                     for _ in range(CLIENTS)]
            for proc in procs:
                proc.start()
            results = [out.get(timeout=60) for _ in procs]
            for proc in procs:
                proc.join()
            calls = sum(r[0] for r in results)
            rate[name] = calls / CLIENT_SECONDS
            rates.setdefault(name, []).append(rate[name])
            cpu_us.setdefault(name, []).append(sum(r[1] for r in results) / calls * 1e6)
        for name, value in rate.items():
            ratios.setdefault(name, []).append(value / rate[BASE])
    return {name: {"units_per_s": round(statistics.median(rates[name]), 1),
                   "client_cpu_us_per_unit": round(statistics.median(cpu_us[name]), 1),
                   "median_ratio_to_hand_written": round(statistics.median(ratios[name]), 3)}
            for name in VARIANTS}


def main() -> None:
    with common.bench_server() as server, common.scratch_database(server, "tx") as url:
        actor = _seed(url)
        times: dict[str, list[float]] = {}
        ratios: dict[str, list[float]] = {}
        with _pools(url, actor) as made:
            units = {name: unit for name, (_pool, unit) in made.items()}
            for unit in units.values():
                common.sample(unit, runs=0, warmup=200)
            trips = {name: _round_trips(pool, unit) for name, (pool, unit) in made.items()}
            for _ in range(ROUNDS):
                medians = {}
                for name, unit in units.items():
                    taken = common.sample(unit, runs=CALLS, warmup=5)
                    times.setdefault(name, []).extend(taken)
                    medians[name] = statistics.median(taken)
                base = medians[BASE]
                for name, value in medians.items():
                    ratios.setdefault(name, []).append(value / base)
        result = {
            "server": common.server_version(url),
            "rounds": ROUNDS,
            "calls_per_round": CALLS,
            "variants": {
                name: {**common.summarize(taken), "round_trips": trips[name],
                       "median_ratio_to_hand_written": round(statistics.median(ratios[name]), 3)}
                for name, taken in times.items()
            },
            "clients_at_once": CLIENTS,
            "concurrent": _concurrent(url, actor),
        }
    path = common.write_result("transactions", result)
    for name, figures in result["variants"].items():
        print(f"{name:45} {figures['round_trips']} trips  median {figures['median_ms']:.3f} ms"
              f"  p95 {figures['p95_ms']:.3f} ms  x{figures['median_ratio_to_hand_written']:.3f}")
    print(f"{CLIENTS} clients at once:")
    for name, figures in result["concurrent"].items():
        print(f"{name:45} {figures['units_per_s']:.0f}/s  client CPU "
              f"{figures['client_cpu_us_per_unit']:.0f} us  "
              f"x{figures['median_ratio_to_hand_written']:.3f}")
    print(f"written to {path.relative_to(common.ROOT)}")


if __name__ == "__main__":
    start = time.monotonic()
    main()
    print(f"took {time.monotonic() - start:.0f} s")
