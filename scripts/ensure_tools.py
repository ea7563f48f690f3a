"""Make sure the programs the test suite starts are on this machine; print where they are.

`make test` runs this first. The suite needs three programs it cannot pip-install:
Chromium (the browser tests launch the system Chromium, never a downloaded one), PgBouncer
(tests/test_pgbouncer.py runs the data layer through it) and Redis (the rate-limit storage
test starts a private redis-server). Each is found on PATH, in /usr/sbin or at its Debian path
(Chromium: `$CHROMIUM_PATH`, else /usr/bin/chromium). When some are missing and this runs as
root on a machine with apt-get (a fresh Debian box), Debian's packages are installed
non-interactively, all in one `apt-get install`. Otherwise it exits non-zero naming what is
missing and how to get it, before the suite starts and fails in a less obvious way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# program -> Debian package that provides it
PACKAGES = {"chromium": "chromium", "pgbouncer": "pgbouncer", "redis-server": "redis-server"}
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
    missing = [program for program in PACKAGES if find(program) is None]
    if missing and os.environ.get("CHROMIUM_PATH") and "chromium" in missing:
        print(f"ensure_tools: CHROMIUM_PATH={os.environ['CHROMIUM_PATH']} is not an executable"
              " file. Point it at a Chromium binary, or unset it.", file=sys.stderr)
        return 1
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        try:
            _apt_install([PACKAGES[program] for program in missing])
        except subprocess.CalledProcessError as exc:
            print(f"ensure_tools: installing {', '.join(missing)} failed: {exc}",
                  file=sys.stderr)
            return 1
        missing = [program for program in missing if find(program) is None]
    if missing:
        packages = " ".join(PACKAGES[program] for program in missing)
        print(
            f"ensure_tools: the test suite needs {', '.join(missing)}, which this machine lacks"
            " and which can only be installed from here as root with apt-get. Install them"
            f" (Debian: `sudo apt-get install {packages}`) and run `make test` again.",
            file=sys.stderr,
        )
        return 1
    for program in PACKAGES:
        print(f"{program}: {find(program)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
