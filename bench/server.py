"""The app under gunicorn for the HTTP, memory, profile and browser benchmarks.

`served_app()` prepares a throw-away database (bench/common.py) with one user holding 50
realistic artifacts, starts `gunicorn 'app:create_app()'` on a free 127.0.0.1 port with sync
workers, one per core (the production command from SPEC §2), signs in through the real login
form (CSRF included) and yields what a load generator needs: the base URL, the session cookie,
the CSRF token, an artifact id and the gunicorn master's pid. Everything stops afterwards.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from bench import common
from workhistory.data import accounts, artifacts
from workhistory.data.db import Database

EMAIL = "bench@bench.example"
TYPES = artifacts.TYPES


@dataclass(frozen=True)
class Served:
    base: str
    cookie: str
    csrf: str
    artifact_id: str
    master_pid: int
    workers: int
    database_url: str
    log: Path


def seed(url: str, count: int = 50) -> str:
    """Create the benchmark user with `count` artifacts; return one artifact id."""
    db = Database(url, max_size=1)
    try:
        user = accounts.create_workspace(db, "Bench workspace", EMAIL, "Bench User",
                                         common.BENCH_PASSWORD)
        first = None
        for i in range(count):
            entry, _ = artifacts.create_artifact(db, user.actor, {
                "title": f"Quarterly analysis {i}: churn drivers in the SMB segment",
                "description": "Cohort analysis and a short write-up of what drove churn in the"
                               " first 90 days, with the SQL kept for reuse. " * 2,
                "artifact_type": TYPES[i % len(TYPES)],
                "artifact_date": None if i % 10 == 9 else date(2021, 1, 1) + timedelta(days=i),
                "source_url": f"https://wiki.example.com/analyses/{i}" if i % 2 else None,
                "visibility": "team" if i % 3 else "private",
                "estimated_hours_saved": 2.5 * (i % 17),
                "suggested_skill_ids": ["sql", "cohort-analysis", f"skill-{i % 7}"],
            })
            first = first or entry
        return str(first.id)
    finally:
        db.close()


def fetch(url: str, *, data: bytes | None = None, method: str | None = None,
          headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, str]:
    """One HTTP request to the benchmarked app on loopback; return (status, body)."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http://127.0.0.1 only)
        return resp.status, resp.read().decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready")


def sign_in(base: str) -> tuple[str, str]:
    """Log in through the real form; return (Cookie header value, CSRF token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(base + "/login").read().decode()
    token = _csrf(login_page)
    form = urlencode({"email": EMAIL, "password": common.BENCH_PASSWORD, "csrf_token": token,
                      "next": "/portfolio"}).encode()
    page = opener.open(base + "/login", form).read().decode()  # follows the 303 to /portfolio
    if 'id="artifacts"' not in page:
        raise RuntimeError("login did not reach the portfolio page")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, _csrf(page)


def _csrf(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    if not match:
        raise RuntimeError("no csrf-token meta tag")
    return match.group(1)


def warm(base: str, cookie: str, csrf: str, workers: int) -> None:
    """Return once every worker has its skill engine: the app builds it in the background
    from a worker's first request on (workhistory.skills), which would otherwise land in the
    first seconds of whatever is measured. Suggestion requests, two per worker and all at
    once, so each worker gets one (a busy sync worker accepts nothing) and waits for its
    build."""
    body = urlencode({"title": "Warm-up: SQL reporting"}).encode()
    headers = {"Cookie": cookie, "X-CSRFToken": csrf,
               "Content-Type": "application/x-www-form-urlencoded"}
    with ThreadPoolExecutor(2 * workers) as pool:
        for status, _ in pool.map(lambda _: fetch(base + "/skills/suggest.json", data=body,
                                                  headers=headers, timeout=120),
                                  range(2 * workers)):
            if status != 200:
                raise RuntimeError(f"warm-up suggestion answered {status}")


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return sorted(int(pid) for pid in children)


@contextmanager
def seeded_database() -> Iterator[tuple[str, str]]:
    """A throw-away database with the benchmark user; yields (url, one artifact id)."""
    with common.bench_server() as server, common.scratch_database(server, "http") as url:
        yield url, seed(url)


@contextmanager
def gunicorn(url: str, artifact_id: str, *, workers: int | None = None,
             app_spec: str = "app:create_app()",
             options: tuple[str, ...] = ("--worker-class", "sync"),
             granian: bool = False, env: dict[str, str] | None = None) -> Iterator[Served]:
    """Serve `app_spec` on `url` with gunicorn (default: sync workers, one per core), signed
    in, each worker's skill engine built (see `warm`). `options` replace the worker class
    (bench/http.py's experiments pass gthread); `granian` serves it with granian's WSGI
    interface instead, `options` then being granian's. `env` adds to the app's environment
    (bench/skills.py passes SKILLS_WARM=0 to measure the engine's build itself)."""
    workers = workers or os.cpu_count() or 1
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="portfolio-gunicorn-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
               "RATELIMIT_STORAGE_URI": "memory://", **(env or {})}
        env.pop("SESSION_COOKIE_SECURE", None)
        with log.open("w") as log_file:
            if granian:
                argv = [str(common.ROOT / ".venv" / "bin" / "granian"), "--interface", "wsgi",
                        "--factory", "--workers", str(workers), *options, "--host",
                        "127.0.0.1", "--port", str(port), app_spec.removesuffix("()")]
            else:
                argv = [str(common.ROOT / ".venv" / "bin" / "gunicorn"),
                        "--workers", str(workers), *options,
                        "--bind", f"127.0.0.1:{port}", app_spec]
            proc = subprocess.Popen(argv,
                cwd=common.ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            )
            try:
                wait_ready(base, proc)
                cookie, csrf = sign_in(base)
                if env.get("SKILLS_WARM") != "0":
                    warm(base, cookie, csrf, workers)
                yield Served(base, cookie, csrf, artifact_id, proc.pid, workers, url, log)
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@contextmanager
def served_app(workers: int | None = None) -> Iterator[Served]:
    """The app as production runs it, on a seeded throw-away database."""
    with seeded_database() as (url, artifact_id), gunicorn(url, artifact_id,
                                                            workers=workers) as served:
        yield served
