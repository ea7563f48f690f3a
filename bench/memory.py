"""Resident memory of each gunicorn worker.

`snapshot(master_pid)` reads /proc: RSS (VmRSS) of the master and each worker, and each
worker's PSS (proportional set size, from smaps_rollup: shared pages divided among the processes
sharing them, so the PSS figures add up to real memory use). bench/http.py takes it right after
its load runs. Run alone (`python -m bench.memory`) it serves the app, sends WARM_SECONDS of
wrk load to /portfolio and to /healthz, and takes the same snapshot.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench import common
from bench.server import served_app, worker_pids

WARM_SECONDS = 5


def _kib(pid: int, field: str, source: str) -> int:
    for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/{source}")


def snapshot(master_pid: int) -> dict:
    workers = worker_pids(master_pid)
    return {
        "master_rss_mib": round(_kib(master_pid, "VmRSS", "status") / 1024, 1),
        "workers_rss_mib": [round(_kib(p, "VmRSS", "status") / 1024, 1) for p in workers],
        "workers_pss_mib": [round(_kib(p, "Pss", "smaps_rollup") / 1024, 1) for p in workers],
    }


def run() -> dict:
    from bench.http import wrk_binary

    with served_app() as served:
        for path, headers in (("/portfolio", ["-H", f"Cookie: {served.cookie}"]),
                              ("/healthz", [])):
            subprocess.run([wrk_binary(), "-t2", "-c32", f"-d{WARM_SECONDS}s", *headers,
                            served.base + path], capture_output=True, check=True, timeout=60)
        result = {"after": f"{WARM_SECONDS}s of wrk on /portfolio and /healthz",
                  "workers": served.workers, **snapshot(served.master_pid)}
    common.write_result("memory", result)
    return result


def main() -> None:
    print(run())


if __name__ == "__main__":
    main()
