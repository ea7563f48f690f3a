"""What every benchmark shares: a throw-away database, timing, results and the machine.

A benchmark never touches the development database under `instance/`. It runs on a fresh
database that it creates and drops: on the server at `BENCH_DATABASE_URL` (a superuser libpq
URL, for example the system PostgreSQL) or, when that is unset, on an embedded PostgreSQL started
in a temporary directory and stopped afterwards. Results go to `bench/out/<name>.json` (ignored
by git); `python -m bench.run_all` turns them into the results section of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from workhistory import embedded_pg, migrate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
# The password of users the benchmarks create in their throw-away databases.
BENCH_PASSWORD = "bench-password-123"  # noqa: S105


def with_dbname(url: str, dbname: str) -> str:
    """Return `url` pointing at database `dbname` on the same server."""
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)


@contextmanager
def bench_server() -> Iterator[str]:
    """Yield a superuser URL of a server to benchmark on (see the module docstring)."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        yield url
        return
    tmp = Path(tempfile.mkdtemp(prefix="portfolio-bench-"))
    data_dir = tmp / "data"
    try:
        yield embedded_pg.start(data_dir)
    finally:
        try:
            embedded_pg.stop(data_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def scratch_database(server_url: str, prefix: str = "bench") -> Iterator[str]:
    """Create a migrated database on `server_url`, yield its URL, drop it afterwards."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_dbname(server_url, name)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT version()").fetchone()[0]


def sample(fn: Callable[[], object], runs: int, warmup: int = 20) -> list[float]:
    """Call `fn` `warmup` times unmeasured, then `runs` times; return each duration in ms."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def percentile(values: list[float], pct: float) -> float:
    """The `pct`-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(times_ms: list[float]) -> dict[str, float]:
    return {
        "runs": len(times_ms),
        "median_ms": round(statistics.median(times_ms), 4),
        "p95_ms": round(percentile(times_ms, 95), 4),
        "min_ms": round(min(times_ms), 4),
    }


def machine() -> dict[str, str | int]:
    """nproc, CPU model, RAM and Python: the machine every figure was measured on."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count() or 0,
        "cpu": model,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def write_result(name: str, data: dict) -> Path:
    """Store one benchmark's results (with the time and machine) as bench/out/<name>.json."""
    OUT.mkdir(parents=True, exist_ok=True)
    data = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": machine(),
            # Other work on the machine shows here: every figure is only as quiet as this.
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()], **data}
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def read_result(name: str) -> dict | None:
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None
