"""Where a gunicorn worker spends its time under load: py-spy on the real server.

Run with `python -m bench.profile [portfolio|patch]` (py-spy must be in .venv:
`.venv/bin/pip install py-spy`; it is a profiler, not a dependency of the app). It serves the
app like bench/http.py, puts wrk load on one endpoint, and samples every gunicorn worker with
`py-spy record --subprocesses` for SECONDS. Output: bench/out/profile-<endpoint>.txt (collapsed
stacks, for flame graph tools) and the share of samples spent in (inclusive) and directly in
(self) each function, in bench/out/profile-<endpoint>.json.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import common
from bench.http import patch_script, wrk_binary
from bench.server import served_app

SECONDS = 15
RATE = 250  # samples per second per process
# Functions whose inclusive share the report shows: the view, its data call, the template
# work and the per-request plumbing around them.
FOCUS = (
    "page", "update", "list_artifacts", "update_artifact", "Database.transaction",
    "ConnectionPool._check_connection", "Connection.wait", "ArtifactForm.validate",
    "render_template", "escape", "Markup.__new__", "generate_csrf", "day_filter",
    "hours_filter", "UUID.__str__", "SecureCookieSessionInterface.open_session",
    "SecureCookieSessionInterface.save_session", "_log", "Flask.process_response",
    "SyncWorker.handle_request", "close_graceful", "write",
)


def py_spy() -> str:
    binary = common.ROOT / ".venv" / "bin" / "py-spy"
    if not binary.exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    return str(binary)


def summarize(collapsed: str, top: int = 30) -> dict:
    """Inclusive and self sample shares per function from py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    by_name: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue  # a frame label that ran over a line break in py-spy's output
        n = int(count)
        frames = [_short(f) for f in stack.split(";")]
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        for name in {f.split(" (")[0] for f in frames}:
            by_name[name] += n
        self_time[frames[-1]] += n
    busy = max(total, 1)  # py-spy leaves out idle samples unless given --idle
    return {
        "samples": total,
        "focus_inclusive_pct_of_busy": {name: round(100 * by_name[name] / busy, 1)
                                        for name in FOCUS if by_name[name]},
        "inclusive_pct_of_busy": {f: round(100 * n / busy, 1)
                                  for f, n in inclusive.most_common(top)
                                  if not f.startswith("process ")},
        "self_pct_of_busy": {f: round(100 * n / busy, 1) for f, n in self_time.most_common(top)},
    }


def _short(frame: str) -> str:
    # "render (jinja2/environment.py:1295)" from "render (/long/path/jinja2/environment.py:1295)"
    return re.sub(r"\(([^()]*/)?((?:site-packages/)?)([^/()]+/)?([^/()]+)\)",
                  lambda m: f"({(m.group(3) or '')}{m.group(4)})", frame)


def run(endpoint: str = "portfolio") -> dict:
    with served_app() as served, tempfile.TemporaryDirectory(prefix="portfolio-prof-") as tmp:
        if endpoint == "patch":
            script = patch_script(served, Path(tmp))
            target = ["-s", str(script), f"{served.base}/portfolio/artifacts/{served.artifact_id}"]
        elif endpoint == "healthz":
            target = [served.base + "/healthz"]
        else:
            target = ["-H", f"Cookie: {served.cookie}", served.base + "/portfolio"]
        load = subprocess.Popen(
            [wrk_binary(), "-t2", "-c32", f"-d{SECONDS + 4}s", *target],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        out = Path(tmp) / "stacks.txt"
        try:
            subprocess.run(
                [py_spy(), "record", "--pid", str(served.master_pid), "--subprocesses",
                 "--duration", str(SECONDS), "--rate", str(RATE), "--format", "raw",
                 "--output", str(out), "--nonblocking"],
                check=True, capture_output=True, timeout=SECONDS + 60,
            )
        finally:
            load.wait(timeout=SECONDS + 30)
        collapsed = out.read_text()
    common.OUT.mkdir(parents=True, exist_ok=True)
    (common.OUT / f"profile-{endpoint}.txt").write_text(collapsed)
    result = {"endpoint": endpoint, "seconds": SECONDS, "rate_hz": RATE, **summarize(collapsed)}
    common.write_result(f"profile-{endpoint}", result)
    return result


def main() -> None:
    endpoint = sys.argv[1] if len(sys.argv) > 1 else "portfolio"
    result = run(endpoint)
    print(f"{endpoint}: {result['samples']} busy samples")
    print("inclusive % of busy samples:")
    for frame, pct in result["focus_inclusive_pct_of_busy"].items():
        print(f"  {pct:5.1f}  {frame}")
    print("self % of busy samples:")
    for frame, pct in list(result["self_pct_of_busy"].items())[:15]:
        print(f"  {pct:5.1f}  {frame}")


if __name__ == "__main__":
    main()
