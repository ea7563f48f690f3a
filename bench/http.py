"""HTTP throughput and latency under gunicorn, with Debian's wrk, on loopback.

Run with `python -m bench.http`. gunicorn serves `app:create_app()` with sync workers, one per
core (bench/server.py), on a throw-away database holding one user with 50 artifacts. Each run
measures, back to back on the same server:
- GET /healthz: no database, no session: the framework's ceiling on this machine;
- GET /portfolio: the signed-in page with 50 artifacts (session cookie from a real login);
- PATCH /portfolio/artifacts/{id} as htmx sends it (HX-Request, X-CSRFToken, a form body with
  one field and no version, so every request is a successful partial update), round-robin over
  the user's 50 artifacts.
wrk -t2 -c32 -d10s --latency per endpoint; RUNS runs; requests/s and p50/p99 are the medians
over runs, and each endpoint's throughput ratio to /healthz is taken within each run and then
the median. Any non-2xx answer makes the benchmark fail: only successful requests are counted.
wrk shares the machine's cores with gunicorn and PostgreSQL; all three are on loopback. One
more short run per endpoint with as many connections as workers gives latency without queueing.
After the runs, the resident size of each gunicorn worker is read (bench/memory.py).

`python -m bench.http --servers` is the experiment behind the choice of server: the same three
endpoints on every configuration in SERVERS (worker class and count, granian), all serving the
same database at once and measured in turn, round after round, so a slow moment of the machine
falls on all of them. Each configuration's ratios are to its own /healthz in the same round.
Granian is measured when it is in .venv (`make bench` installs it; not an app dependency).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

from bench import common, memory
from bench.server import Served, fetch, gunicorn, seeded_database

RUNS = 5
EXPERIMENT_RUNS, EXPERIMENT_SECONDS = 3, 8
THREADS, CONNECTIONS, SECONDS = 2, 32, 10
# label -> keyword arguments of bench.server.gunicorn; the first is what bench/http.py and the
# deployment (docs/DEPLOY.md) run.
SERVERS = {
    "gunicorn sync, 2 workers": {},
    "gunicorn sync, 3 workers": {"workers": 3},
    "gunicorn sync, 4 workers": {"workers": 4},
    "gunicorn gthread, 2 workers x 4 threads": {
        "options": ("--worker-class", "gthread", "--threads", "4")},
    "granian WSGI, 2 workers": {"granian": True, "options": ("--blocking-threads", "1")},
}
ENDPOINTS = ("healthz", "portfolio", "patch")

PATCH_LUA = """
wrk.method = "PATCH"
wrk.body = "estimated_hours_saved=12.5"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["HX-Request"] = "true"
wrk.headers["X-CSRFToken"] = "{csrf}"
wrk.headers["Cookie"] = "{cookie}"
local ids = {{{ids}}}
local n = 0
-- Round-robin over the user's 50 artifacts, as a person editing their portfolio would:
-- always the same row would serialise every update on that row's lock.
request = function()
  n = n + 1
  return wrk.format(nil, "/portfolio/artifacts/" .. ids[n % #ids + 1])
end
"""


def patch_script(served: Served, directory: Path) -> Path:
    with psycopg.connect(served.database_url) as conn:
        ids = [str(r[0]) for r in conn.execute("SELECT id FROM work_artifacts ORDER BY id")]
    script = directory / "patch.lua"
    script.write_text(PATCH_LUA.format(csrf=served.csrf, cookie=served.cookie,
                                       ids=", ".join(f'"{i}"' for i in ids)))
    return script


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    return found


def check_patch(served: Served) -> None:
    """One PATCH by hand first: it must succeed, or the load test would measure errors."""
    status, body = fetch(
        f"{served.base}/portfolio/artifacts/{served.artifact_id}",
        data=b"estimated_hours_saved=12.5", method="PATCH",
        headers={"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true",
                 "X-CSRFToken": served.csrf, "Cookie": served.cookie},
    )
    if status != 200 or f'id="artifact-{served.artifact_id}"' not in body:
        raise RuntimeError(f"PATCH answered {status} without the row")


def run_wrk(served: Served, endpoint: str, script_dir: Path, connections: int = CONNECTIONS,
            seconds: int = SECONDS) -> dict:
    threads = min(THREADS, connections)
    cmd = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "--timeout", "5s"]
    if endpoint == "healthz":
        url = served.base + "/healthz"
    elif endpoint == "portfolio":
        url = served.base + "/portfolio"
        cmd += ["-H", f"Cookie: {served.cookie}"]
    else:
        url = f"{served.base}/portfolio/artifacts/{served.artifact_id}"
        cmd += ["-s", str(patch_script(served, script_dir))]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True,
                         timeout=SECONDS + 30).stdout
    return parse_wrk(out, endpoint)


def parse_wrk(out: str, endpoint: str) -> dict:
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        raise RuntimeError(f"{endpoint}: wrk saw errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    latency = {}
    for pct in ("50", "99"):
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        latency[pct] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return {"rps": rps, "requests": requests, "p50_ms": latency["50"], "p99_ms": latency["99"]}


def page_bytes(served: Served) -> int:
    return len(fetch(served.base + "/portfolio", headers={"Cookie": served.cookie})[1].encode())


def measure(served: Served) -> dict:
    check_patch(served)
    runs = []
    with tempfile.TemporaryDirectory(prefix="portfolio-wrk-") as tmp:
        for _ in range(RUNS):
            run = {endpoint: run_wrk(served, endpoint, Path(tmp)) for endpoint in ENDPOINTS}
            for endpoint in ENDPOINTS:
                run[endpoint]["ratio_to_healthz"] = round(
                    run[endpoint]["rps"] / run["healthz"]["rps"], 3)
            runs.append(run)
            print("run:", {e: (round(r["rps"]), r["p50_ms"], r["p99_ms"]) for e, r in run.items()},
                  flush=True)
        # Latency without queueing: as many connections as workers, so a request waits for
        # nobody. At 32 connections latency is mostly queueing (32 / throughput).
        unqueued = {endpoint: run_wrk(served, endpoint, Path(tmp), served.workers, 5)
                    for endpoint in ENDPOINTS}
    medians = {
        endpoint: {
            key: round(statistics.median(run[endpoint][key] for run in runs), 3)
            for key in ("rps", "p50_ms", "p99_ms", "ratio_to_healthz")
        }
        for endpoint in ENDPOINTS
    }
    return {"runs": runs, "median": medians, "at_worker_count_connections": unqueued}


def run() -> dict:
    with seeded_database() as (url, artifact_id), gunicorn(url, artifact_id) as served:
        result = {
            "postgresql": common.server_version(url),
            "gunicorn_workers": served.workers,
            "wrk": f"-t{THREADS} -c{CONNECTIONS} -d{SECONDS}s --latency, {RUNS} runs",
            "portfolio_page_bytes": page_bytes(served),
            **measure(served),
            "memory": memory.snapshot(served.master_pid),
        }
    common.write_result("http", result)
    return result


def servers() -> dict:
    """SERVERS side by side on one database: medians over EXPERIMENT_RUNS rounds."""
    configs = {label: kwargs for label, kwargs in SERVERS.items()
               if not kwargs.get("granian") or (common.ROOT / ".venv/bin/granian").exists()}
    rounds: list[dict] = []
    with seeded_database() as (url, artifact_id), contextlib.ExitStack() as stack, \
            tempfile.TemporaryDirectory(prefix="portfolio-wrk-") as tmp:
        served = {label: stack.enter_context(gunicorn(url, artifact_id, **kwargs))
                  for label, kwargs in configs.items()}
        for one in served.values():
            check_patch(one)
        for _ in range(EXPERIMENT_RUNS):
            this_round = {}
            for label, one in served.items():
                run = {e: run_wrk(one, e, Path(tmp), seconds=EXPERIMENT_SECONDS)
                       for e in ENDPOINTS}
                for e in ENDPOINTS:
                    run[e]["ratio_to_healthz"] = round(run[e]["rps"] / run["healthz"]["rps"], 3)
                this_round[label] = run
                print(label, {e: (round(r["rps"]), r["p99_ms"]) for e, r in run.items()},
                      flush=True)
            rounds.append(this_round)
    medians = {
        label: {e: {key: round(statistics.median(r[label][e][key] for r in rounds), 3)
                    for key in ("rps", "p50_ms", "p99_ms", "ratio_to_healthz")}
                for e in ENDPOINTS}
        for label in configs
    }
    result = {"wrk": f"-t{THREADS} -c{CONNECTIONS} -d{EXPERIMENT_SECONDS}s,"
                     f" {EXPERIMENT_RUNS} rounds", "skipped": sorted(set(SERVERS) - set(configs)),
              "median": medians, "rounds": rounds}
    common.write_result("http-servers", result)
    return result


def main() -> None:
    if "--servers" in sys.argv[1:]:
        for label, m in servers()["median"].items():
            print(f"{label:42s}", "  ".join(
                f"{e} {v['rps']:7.1f} ({v['ratio_to_healthz']:.3f}) p99 {v['p99_ms']:.0f}"
                for e, v in m.items()))
        return
    result = run()
    print(f"{result['gunicorn_workers']} sync workers; wrk {result['wrk']}")
    for endpoint, m in result["median"].items():
        print(f"{endpoint:10s} {m['rps']:8.1f} req/s  p50 {m['p50_ms']:6.2f} ms"
              f"  p99 {m['p99_ms']:6.2f} ms  ratio {m['ratio_to_healthz']:.3f}")
    print("worker RSS (MiB):", result["memory"]["workers_rss_mib"])


if __name__ == "__main__":
    main()
