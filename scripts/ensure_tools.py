"""Make sure the system Chromium the browser tests launch is present; print its path.

The browser tests never download a browser: they launch `$CHROMIUM_PATH`, else
/usr/bin/chromium. When neither exists and this runs as root on a machine with apt-get (a fresh
Debian CI box), Debian's `chromium` package is installed non-interactively. Otherwise it exits
non-zero with what to do, before the test suite starts and fails in a less obvious way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

DEFAULT = "/usr/bin/chromium"


def _usable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _apt_install() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        print("ensure_chromium: running", " ".join(args), flush=True)
        subprocess.run(args, check=True, env=env, stdin=subprocess.DEVNULL)  # noqa: S603


def main() -> int:
    explicit = os.environ.get("CHROMIUM_PATH")
    path = explicit or DEFAULT
    if _usable(path):
        print(f"Chromium: {path}")
        return 0
    if explicit:
        print(
            f"ensure_chromium: CHROMIUM_PATH={explicit} is not an executable file."
            " Point it at a Chromium binary, or unset it to use /usr/bin/chromium.",
            file=sys.stderr,
        )
        return 1
    if os.geteuid() == 0 and shutil.which("apt-get"):
        try:
            _apt_install()
        except subprocess.CalledProcessError as exc:
            print(f"ensure_chromium: installing chromium failed: {exc}", file=sys.stderr)
            return 1
        if _usable(DEFAULT):
            print(f"Chromium: {DEFAULT} (installed now)")
            return 0
    print(
        f"ensure_chromium: no Chromium at {DEFAULT} and it cannot be installed from here"
        " (needs root and apt-get). Install it (e.g. `sudo apt-get install chromium`)"
        " or set CHROMIUM_PATH to a Chromium executable.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
