"""Scale: the portfolio query and one update with 1,000 rows, then with 1,000,000 rows.

Method (run with `python -m bench.scale`):
1. Two throw-away databases on one server (see bench/common.py), filled in SQL with
   generate_series as the superuser (who bypasses row-level security), 50 artifacts per user,
   20 users per workspace: 1,000 rows (1 workspace, 20 users) in one, 1,000,000 rows (1,000
   workspaces, 20,000 users) in the other; then `VACUUM ANALYZE`. The measured user is the
   first one, with the same 50 rows in both.
2. Time `artifacts.list_artifacts` and `artifacts.update_artifact` (cycling over the user's 50
   rows) through the app's `Database`: pool checkout, role `portfolio_app`, tenant and user
   context, row-level security, everything a request pays for. ROUNDS rounds of CALLS calls,
   alternating the two sizes round by round so that load from elsewhere on the machine hits
   both alike; medians over all calls, and the median of the per-round ratios.
3. The server's own execution time of the exact statements the data module sent (recorded by
   bench/tracing.py): median of EXPLAIN ANALYZE runs as `portfolio_app` with the context set
   (updates rolled back), and one EXPLAIN (ANALYZE, BUFFERS) of each for the plan.
4. Report the latency ratios 1M / 1k (target: within 1.5x).

The per-user limit trigger stays enabled during the load: every generated row goes through
`work_artifacts_enforce_limit` (advisory lock + count), like any insert. Measured, it is not
what makes the load slow (50,000 rows took 9.9 s with it and 10.2 s without); the GIN skill
index and the skill-id CHECK, both SQL functions called per row, are (see `load`). Each
statement loads LOAD_CHUNK workspaces in its own transaction, so no transaction holds more
advisory locks than the lock table has room for. BENCH_SCALE_WORKSPACES=N loads N workspaces
instead of 1,000 (a quick trial; the published figures use 1,000).
"""

from __future__ import annotations

import itertools
import os
import statistics
import time
from collections.abc import Callable
from uuid import UUID

import psycopg
from psycopg import sql

from bench import common
from bench.tracing import TracedDatabase
from workhistory.data import artifacts
from workhistory.data.db import Actor, Database

USERS_PER_WORKSPACE = 20
PER_USER = 50
SMALL_WORKSPACES = 1  # 1 x 20 x 50 = 1,000 rows
LARGE_WORKSPACES = int(os.environ.get("BENCH_SCALE_WORKSPACES", "1000"))  # x 20 x 50 = 1M rows
LOAD_CHUNK = 50  # workspaces per INSERT statement (1,000 users, 50,000 rows)
ROUNDS, CALLS = 20, 50

# Deterministic ids (md5 of a label) so the benchmark can name its user without a lookup.
TENANTS_SQL = """
INSERT INTO tenants (id, name)
SELECT md5('t' || w)::uuid, 'Bench workspace ' || w FROM generate_series(%(w0)s::int, %(w1)s::int) w
"""
USERS_SQL = """
INSERT INTO users (id, tenant_id, email, display_name, password_hash)
SELECT md5('u' || u)::uuid, md5('t' || ((u - 1) / %(upw)s::int + 1))::uuid,
       'user' || u || '@bench.example', 'Bench user ' || u, %(hash)s
FROM generate_series((%(w0)s::int - 1) * %(upw)s::int + 1, %(w1)s::int * %(upw)s::int) u
"""
ARTIFACTS_SQL = """
INSERT INTO work_artifacts (tenant_id, user_id, title, description, artifact_type,
  artifact_date, source_url, visibility, estimated_hours_saved, suggested_skill_ids,
  created_at, updated_at)
SELECT md5('t' || ((u - 1) / %(upw)s::int + 1))::uuid, md5('u' || u)::uuid,
       'Artifact ' || n || ' of user ' || u,
       repeat('Pre-LLM work: a model, a script, a deck or a process write-up. ', 3),
       (ARRAY['document','code','analysis','presentation','design','process','other'])
         [1 + (u + n) %% 7],
       CASE WHEN n %% 10 = 0 THEN NULL ELSE date '2012-01-01' + (u * 7 + n * 53) %% 4000 END,
       CASE WHEN n %% 3 = 0 THEN 'https://example.com/a/' || u || '/' || n END,
       CASE WHEN n %% 2 = 0 THEN 'team' ELSE 'private' END,
       ((u + n) %% 400) / 4.0,
       ARRAY['skill-' || n %% 30, 'skill-' || (30 + (n + u) %% 30)],
       now() - make_interval(secs => n), now()
FROM generate_series((%(w0)s::int - 1) * %(upw)s::int + 1, %(w1)s::int * %(upw)s::int) u,
     generate_series(1, %(per)s::int) n
"""


def load(url: str, w0: int, w1: int) -> float:
    """Generate workspaces w0..w1 with their users and artifacts; return the seconds taken.

    The GIN indexes (skills, and the search vector of migration 0031) are dropped for the
    load and rebuilt from their own definitions after it: inserting into the skill index row
    by row cost about 100 us per row here (20,000 rows: 6.1 s with it, 4.0 s without), a bulk
    build gives the same index in a fraction of that. The limit trigger, the CHECK
    constraints, the generated search vector and the other indexes stay in place.
    """
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        gin_indexes = conn.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
            " WHERE i.indrelid = 'work_artifacts'::regclass AND a.amname = 'gin'").fetchall()
        for name, _definition in gin_indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        for c0 in range(w0, w1 + 1, LOAD_CHUNK):
            params = {"w0": c0, "w1": min(c0 + LOAD_CHUNK - 1, w1), "upw": USERS_PER_WORKSPACE,
                      "per": PER_USER, "hash": "bench-user-cannot-log-in"}
            with conn.transaction():
                conn.execute(TENANTS_SQL, params)
                conn.execute(USERS_SQL, params)
                conn.execute(ARTIFACTS_SQL, params)
        for _name, definition in gin_indexes:
            conn.execute(definition)
        conn.execute("VACUUM ANALYZE tenants, users, work_artifacts")
    return time.perf_counter() - start


def table_facts(url: str) -> dict:
    with psycopg.connect(url) as conn:
        rows, users, tenants, size = conn.execute(
            "SELECT (SELECT count(*) FROM work_artifacts), (SELECT count(*) FROM users),"
            " (SELECT count(*) FROM tenants),"
            " pg_size_pretty(pg_total_relation_size('work_artifacts'))"
        ).fetchone()
    return {"rows": rows, "users": users, "workspaces": tenants, "table_and_indexes": size}


def target(url: str) -> tuple[Actor, list[UUID]]:
    """The first user (the same 50 rows at every size) and the ids of their artifacts."""
    with psycopg.connect(url) as conn:
        tenant, user = conn.execute("SELECT md5('t1')::uuid, md5('u1')::uuid").fetchone()
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM work_artifacts WHERE tenant_id = %s AND user_id = %s ORDER BY id",
            (tenant, user),
        )]
    return Actor(tenant_id=tenant, user_id=user), ids


def operations(db: Database, actor: Actor, ids: list[UUID]) -> dict[str, Callable[[], None]]:
    """The two measured calls: the page read, and an update cycling over the user's rows."""
    counter = itertools.count()

    def page() -> None:
        portfolio = artifacts.list_artifacts(db, actor)
        assert len(portfolio.entries) == PER_USER

    def update() -> None:
        i = next(counter)
        artifacts.update_artifact(db, actor, ids[i % len(ids)], {"estimated_hours_saved": i % 97})

    return {"page": page, "update": update}


def time_sizes(urls: dict[str, str]) -> dict[str, dict]:
    """Latencies per size, measured in short alternating rounds so that load from elsewhere on
    the machine hits both sizes alike; also the median of the per-round ratios."""
    dbs, ops, samples = {}, {}, {}
    try:
        for size, url in urls.items():
            actor, ids = target(url)
            dbs[size] = Database(url, max_size=1)
            dbs[size].open()
            dbs[size].pool.wait()
            ops[size] = operations(dbs[size], actor, ids)
        for size in urls:
            for fn in ops[size].values():
                common.sample(fn, 0, warmup=50)
        for _ in range(ROUNDS):
            for op in ("page", "update"):
                for size in urls:
                    samples.setdefault((size, op), []).append(
                        common.sample(ops[size][op], CALLS, warmup=2)
                    )
    finally:
        for db in dbs.values():
            db.close()
    out: dict[str, dict] = {size: {} for size in urls}
    for (size, op), rounds in samples.items():
        every = [t for r in rounds for t in r]
        out[size][op] = {**common.summarize(every),
                         "round_medians_ms": [round(statistics.median(r), 4) for r in rounds]}
    small, large = urls
    for op in ("page", "update"):
        pairs = zip(samples[(small, op)], samples[(large, op)], strict=True)
        out[large][op]["median_round_ratio"] = round(
            statistics.median(statistics.median(b) / statistics.median(a) for a, b in pairs), 3
        )
    return out


def server_times(url: str, actor: Actor, calls: dict[str, tuple], runs: int = 50) -> dict:
    """Median server-side execution time (EXPLAIN ANALYZE, planning excluded) of each recorded
    statement, as portfolio_app with the context set; updates are rolled back."""
    prefix = sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ")
    out = {}
    db = Database(url, max_size=1)
    try:
        for name, (query, params) in calls.items():
            statement = prefix + (sql.SQL(query) if isinstance(query, str) else query)
            times = []
            for _ in range(runs):
                try:
                    with db.transaction(actor) as conn:
                        plan = conn.execute(statement, params).fetchone()["QUERY PLAN"]
                        times.append(plan[0]["Execution Time"])
                        raise _Rollback
                except _Rollback:
                    pass
            out[name] = {"runs": runs, "median_ms": round(statistics.median(times), 4)}
    finally:
        db.close()
    return out


def recorded_statements(url: str, actor: Actor, artifact_id: UUID) -> dict[str, tuple]:
    """The exact statement (query, params) the data module sends for the page and an update."""
    traced = TracedDatabase(url)
    try:
        _, page_calls, _ = traced.capture(lambda: artifacts.list_artifacts(traced, actor))
        _, update_calls, _ = traced.capture(
            lambda: artifacts.update_artifact(
                traced, actor, artifact_id, {"estimated_hours_saved": 1.5}
            )
        )
    finally:
        traced.close()
    return {"page": _data_statement(page_calls), "update": _data_statement(update_calls)}


def explain(url: str, actor: Actor, calls: dict[str, tuple]) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each recorded statement, as portfolio_app, rolled back."""
    db = Database(url, max_size=1)
    try:
        return {name: _explain_one(db, actor, *call) for name, call in calls.items()}
    finally:
        db.close()


class _Rollback(Exception):
    pass


def _explain_one(db: Database, actor: Actor, query, params) -> str:
    prefix = sql.SQL("EXPLAIN (ANALYZE, BUFFERS) ")
    statement = prefix + (sql.SQL(query) if isinstance(query, str) else query)
    lines: list[str] = []
    try:
        with db.transaction(actor) as conn:  # the role and context every request runs with
            who = conn.execute("SELECT current_user AS u").fetchone()["u"]
            lines.append(f"-- run as {who}, app.tenant_id = {actor.tenant_id}")
            lines += [r["QUERY PLAN"] for r in conn.execute(statement, params)]
            raise _Rollback  # EXPLAIN ANALYZE of an UPDATE really updates: undo it
    except _Rollback:
        pass
    return "\n".join(lines)


def _data_statement(calls: list) -> tuple[object, object]:
    """The data module's own statement among the recorded calls (not health check, context)."""
    for query, params in calls:
        text = query if isinstance(query, str) else repr(query)
        if query and "set_config" not in text:
            return query, params
    raise RuntimeError("the data module sent no statement")


def run() -> dict:
    with common.bench_server() as server, \
            common.scratch_database(server, "scale_1k") as small, \
            common.scratch_database(server, "scale_1m") as large:
        version = common.server_version(small)
        load_small = load(small, 1, SMALL_WORKSPACES)
        load_large = load(large, 1, LARGE_WORKSPACES)
        print(f"loaded the large database in {load_large:.1f} s", flush=True)
        urls = {"1k": small, "1M": large}
        timings = time_sizes(urls)
        sizes = {}
        for size, url in urls.items():
            actor, ids = target(url)
            calls = recorded_statements(url, actor, ids[0])
            sizes[size] = {**table_facts(url), "timings": timings[size],
                           "server": server_times(url, actor, calls),
                           "explain": explain(url, actor, calls)}
    ratios = {
        op: {
            "client_median": _ratio(sizes, "timings", op),
            "client_median_of_round_ratios": timings["1M"][op]["median_round_ratio"],
            "server_execution": _ratio(sizes, "server", op),
        }
        for op in ("page", "update")
    }
    result = {
        "postgresql": version,
        "load_seconds": {"1k": round(load_small, 2), "1M": round(load_large, 1)},
        "sizes": sizes,
        "ratio_1M_over_1k": ratios,
    }
    common.write_result("scale", result)
    return result


def _ratio(sizes: dict, kind: str, op: str) -> float:
    return round(sizes["1M"][kind][op]["median_ms"] / sizes["1k"][kind][op]["median_ms"], 3)


def main() -> None:
    result = run()
    for size, r in result["sizes"].items():
        print(f"{size}: {r['rows']} rows, {r['table_and_indexes']};"
              f" page median {r['timings']['page']['median_ms']} ms,"
              f" update median {r['timings']['update']['median_ms']} ms;"
              f" server: {r['server']}")
    print("ratio 1M/1k:", result["ratio_1M_over_1k"])
    print(result["sizes"]["1M"]["explain"]["page"])
    print(result["sizes"]["1M"]["explain"]["update"])


if __name__ == "__main__":
    main()
