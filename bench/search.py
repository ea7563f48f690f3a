"""Search: the portfolio search request at 1,000 and at 1,000,000 rows, and its plan.

Run with `python -m bench.search` (BENCH_SCALE_WORKSPACES=N for a quick trial with N*1,000
rows instead of 1,000,000). Method:
1. Two throw-away databases on one server, filled like bench/scale.py (generate_series, 50
   artifacts per user, 20 users per workspace: 1,000 rows in one, 1,000,000 in the other),
   plus the benchmark user of bench/server.py with 50 realistic artifacts in each; then
   `VACUUM ANALYZE` of every table.
2. gunicorn serves `app:create_app()` on each (one sync worker: one client), signed in
   through the real login form. One client on one keep-alive connection sends the search
   requests htmx sends (GET /portfolio?q=... with HX-Request, and the Accept-Encoding
   Chromium sends): SEARCHES, a word, the word being typed (a prefix), a phrase, an
   exclusion, filters with a sort, a skill, and one matching nothing. ROUNDS rounds, each
   every search REPEAT times per size, the sizes alternating so that load from elsewhere on
   the machine hits both alike. Latency is from sending the request to the last byte of the
   (compressed) answer.
3. The exact statement the data module sends for three searches (recorded by
   bench/tracing.py, which also counts the statements of one search), run with EXPLAIN
   (ANALYZE, BUFFERS) as `portfolio_app` with the tenant and user set, as every request is:
   row-level security included. The plan's shape (node types, tables and indexes, no costs)
   at 1k and at 1M rows must be the same; the server's execution time is the median of
   EXPLAIN ANALYZE runs.
Target (SPEC §8): p95 of the search request within 15 ms at 1,000,000 rows, at one client.
"""

from __future__ import annotations

import http.client
import os
import statistics
import time
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from bench import common, scale, server
from bench.tracing import TracedDatabase
from workhistory.data import artifacts, search
from workhistory.data.db import Actor, Database

TARGET_P95_MS = 15.0
ROUNDS, REPEAT, WARMUP = 20, 5, 40
# What people search for, against bench/server.py's artifacts ("Quarterly analysis {i}: churn
# drivers in the SMB segment", "Cohort analysis and a short write-up of what drove churn...").
SEARCHES = {
    "word": "q=churn",
    "prefix (typing)": "q=chur",
    "phrase": "q=%22churn+drivers%22",
    "two words, one exclusion": "q=quarterly+17+-memo",
    "filters and a sort": "type=analysis&year=2021&sort=hours",
    "skill and a word": "skill=skill-3&q=analysis",
    "no match": "q=unicorns",
}
# The statements whose plans are compared, as the data module builds them.
PLANNED = {
    "search": search.Filters(q="chur"),
    "search, filters, sort": search.Filters(q="churn -memo", artifact_type="analysis",
                                            year=2021, sort="hours"),
    "skill": search.Filters(skill="skill-3", sort="title"),
}
HEADERS = {"HX-Request": "true", "Accept-Encoding": "gzip, deflate, br, zstd"}


class Client:
    """One browser tab: one keep-alive connection to the app, signed in."""

    def __init__(self, served: server.Served):
        parts = urlsplit(served.base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        self.headers = {**HEADERS, "Cookie": served.cookie}

    def get(self, path: str) -> float:
        """GET `path`; return the milliseconds until the whole answer has arrived."""
        start = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - start) * 1000.0
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status}")
        return elapsed

    def close(self) -> None:
        self.conn.close()


def bench_user(url: str) -> Actor:
    with psycopg.connect(url) as conn:
        tenant, user = conn.execute("SELECT tenant_id, id FROM users WHERE email = %s",
                                    (server.EMAIL,)).fetchone()
    return Actor(tenant_id=tenant, user_id=user)


def time_searches(clients: dict[str, Client]) -> dict[str, dict]:
    samples: dict[tuple[str, str], list[float]] = {}
    for client in clients.values():
        for i in range(WARMUP):
            client.get("/portfolio?" + list(SEARCHES.values())[i % len(SEARCHES)])
    for _ in range(ROUNDS):
        for size, client in clients.items():
            for name, query in SEARCHES.items():
                for _ in range(REPEAT):
                    samples.setdefault((size, name), []).append(client.get("/portfolio?" + query))
    out: dict[str, dict] = {}
    for size in clients:
        every = [t for (s, _n), ts in samples.items() if s == size for t in ts]
        out[size] = {
            "all": {**common.summarize(every), "max_ms": round(max(every), 3)},
            "per_search": {name: common.summarize(samples[(size, name)]) for name in SEARCHES},
        }
    return out


def recorded(url: str, actor: Actor) -> tuple[dict[str, tuple], dict[str, int]]:
    """The statement (query, params) the data module sends for each of PLANNED, and what one
    search costs: its statements besides the context one, and its round trips (the context
    travels with BEGIN; COMMIT is one more)."""
    traced = TracedDatabase(url)
    try:
        calls_by_name, cost = {}, {"statements": 0, "round_trips": 0}
        for name, filters in PLANNED.items():
            _, calls, trips = traced.capture(
                lambda f=filters: artifacts.list_artifacts(traced, actor, f))
            data = [c for c in calls if "set_config" not in str(c[0])]
            calls_by_name[name] = data[0]
            cost = {"statements": max(cost["statements"], len(data)),
                    "round_trips": max(cost["round_trips"], len(trips))}
        return calls_by_name, cost
    finally:
        traced.close()


class _Rollback(Exception):
    pass


def explain(url: str, actor: Actor, statements: dict[str, tuple], runs: int = 30) -> dict:
    """Per statement: the EXPLAIN (ANALYZE, BUFFERS) text, the plan's shape and the median
    execution time, as portfolio_app with the context set (rolled back: the statement also
    purges expired deletions)."""
    db = Database(url, max_size=1)
    out = {}
    try:
        for name, (query, params) in statements.items():
            text_stmt = sql.SQL("EXPLAIN (ANALYZE, BUFFERS) ") + query
            json_stmt = sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + query
            times, shape, lines = [], None, []
            for i in range(runs):
                try:
                    with db.transaction(actor) as conn:
                        if i == 0:
                            who = conn.execute("SELECT current_user AS u").fetchone()["u"]
                            lines = [f"-- run as {who}, app.tenant_id = {actor.tenant_id}"]
                            lines += [r["QUERY PLAN"] for r in conn.execute(text_stmt, params)]
                        plan = conn.execute(json_stmt, params).fetchone()["QUERY PLAN"][0]
                        times.append(plan["Execution Time"])
                        shape = _shape(plan["Plan"])
                        raise _Rollback
                except _Rollback:
                    pass
            out[name] = {"explain": "\n".join(lines), "shape": shape,
                         "server_median_ms": round(statistics.median(times), 4)}
    finally:
        db.close()
    return out


def _shape(node: dict) -> list:
    """A plan without its numbers: each node's type, table, index and CTE, recursively."""
    label = " ".join(str(node[k]) for k in ("Node Type", "Relation Name", "Index Name",
                                            "CTE Name", "Join Type") if k in node)
    return [label, [_shape(child) for child in node.get("Plans", [])]]


def run() -> dict:
    workspaces = scale.LARGE_WORKSPACES
    with common.bench_server() as srv, \
            common.scratch_database(srv, "search_1k") as small, \
            common.scratch_database(srv, "search_1m") as large:
        version = common.server_version(small)
        urls = {"1k": small, "1M": large}
        loads = {"1k": scale.load(small, 1, scale.SMALL_WORKSPACES)}
        loads["1M"] = scale.load(large, 1, workspaces)
        print(f"loaded {workspaces * scale.USERS_PER_WORKSPACE * scale.PER_USER:,} rows"
              f" in {loads['1M']:.1f} s", flush=True)
        ids = {size: server.seed(url) for size, url in urls.items()}
        for url in urls.values():
            # Every table, as autovacuum would have on a live database: the share tables'
            # policies (migration 0040) are part of every artifact read, and an empty table
            # never analyzed looks like ten pages of rows to the planner.
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
        sizes = {size: scale.table_facts(url) for size, url in urls.items()}
        with server.gunicorn(small, ids["1k"], workers=1) as s_small, \
                server.gunicorn(large, ids["1M"], workers=1) as s_large:
            clients = {"1k": Client(s_small), "1M": Client(s_large)}
            try:
                timings = time_searches(clients)
            finally:
                for client in clients.values():
                    client.close()
        cost = {}
        for size, url in urls.items():
            actor = bench_user(url)
            statements, cost = recorded(url, actor)
            sizes[size].update(http=timings[size], plans=explain(url, actor, statements))
    same_plan = {name: sizes["1k"]["plans"][name]["shape"] == sizes["1M"]["plans"][name]["shape"]
                 for name in PLANNED}
    p95 = sizes["1M"]["http"]["all"]["p95_ms"]
    result = {
        "postgresql": version,
        "load_seconds": {size: round(t, 1) for size, t in loads.items()},
        "searches": SEARCHES,
        "rounds": ROUNDS, "repeat": REPEAT,
        "per_search": cost,
        "sizes": sizes,
        "same_plan": same_plan,
        "target_p95_ms": TARGET_P95_MS,
        "met": p95 <= TARGET_P95_MS and all(same_plan.values()),
    }
    common.write_result("search", result)
    return result


def main() -> None:
    result = run()
    for size, s in result["sizes"].items():
        a = s["http"]["all"]
        print(f"{size}: {s['rows']:,} rows; search request median {a['median_ms']} ms,"
              f" p95 {a['p95_ms']} ms, max {a['max_ms']} ms;"
              f" server {[p['server_median_ms'] for p in s['plans'].values()]} ms")
    print("same plan at 1k and 1M:", result["same_plan"])
    print(result["sizes"]["1M"]["plans"]["search"]["explain"])
    print("target met:", result["met"], f"(cpus {os.cpu_count()})")


if __name__ == "__main__":
    main()
