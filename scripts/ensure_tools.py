"""Make sure the programs the test suite starts are on this machine; print where they are.

`make test` runs this first. The suite needs three programs it cannot pip-install:
Chromium (the browser tests launch the system Chromium, never a downloaded one), PgBouncer
(tests/test_pgbouncer.py runs the data layer through it) and Redis (the rate-limit storage
test starts a private redis-server). Each is found on PATH, in /usr/sbin or at its Debian path
(Chromium: `$CHROMIUM_PATH`, else /usr/bin/chromium). When some are missing and this runs as
root on a machine with apt-get (a fresh Debian box), Debian's packages are installed
non-interactively, all in one `apt-get install`. Otherwise it exits non-zero naming what is
missing and how to get it, before the suite starts and fails in a less obvious way.

`make bench` runs it with `--bench`: the benchmarks also need wrk (the HTTP load) and Node.js
with npm (they build and start the Next.js peer).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# program -> Debian package that provides it
PACKAGES = {"chromium": "chromium", "pgbouncer": "pgbouncer", "redis-server": "redis-server"}
BENCH_PACKAGES = {"wrk": "wrk", "node": "nodejs", "npm": "npm"}
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/sbin"])


def find(program: str) -> str | None:
    """The executable for `program`, or None. Chromium honours $CHROMIUM_PATH."""
    if program == "chromium" and os.environ.get("CHROMIUM_PATH"):
        path = os.environ["CHROMIUM_PATH"]
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    return shutil.which(program, path=SEARCH_PATH)


def _apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update"], ["apt-get", "install", "-y", *packages]):
        print("ensure_tools: running", " ".join(args), flush=True)
        subprocess.run(args, check=True, env=env, stdin=subprocess.DEVNULL)  # noqa: S603


def main() -> int:
    wanted = {**PACKAGES, **BENCH_PACKAGES} if "--bench" in sys.argv[1:] else PACKAGES
    missing = [program for program in wanted if find(program) is None]
    if missing and os.environ.get("CHROMIUM_PATH") and "chromium" in missing:
        print(f"ensure_tools: CHROMIUM_PATH={os.environ['CHROMIUM_PATH']} is not an executable"
              " file. Point it at a Chromium binary, or unset it.", file=sys.stderr)
        return 1
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        try:
            _apt_install(sorted({wanted[program] for program in missing}))
        except subprocess.CalledProcessError as exc:
            print(f"ensure_tools: installing {', '.join(missing)} failed: {exc}",
                  file=sys.stderr)
            return 1
        missing = [program for program in missing if find(program) is None]
    if missing:
        packages = " ".join(sorted({wanted[program] for program in missing}))
        print(
            f"ensure_tools: this needs {', '.join(missing)}, which this machine lacks"
            " and which can only be installed from here as root with apt-get. Install them"
            f" (Debian: `sudo apt-get install {packages}`) and run make again.",
            file=sys.stderr,
        )
        return 1
    for program in wanted:
        print(f"{program}: {find(program)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
