"""`make run` as a newcomer meets it (SPEC §2): `/` redirects, the demo login names the real
port, and stopping the server stops the embedded PostgreSQL it started, not one it found."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support import ROOT, free_port, sign_in, wait_for_port
from workhistory import embedded_pg

pytestmark = pytest.mark.slow


def test_root_redirects_to_login_or_portfolio(client, owner):
    response = client.get("/")
    assert (response.status_code, response.headers["Location"]) == (303, "/login")
    sign_in(client, owner)
    response = client.get("/")
    assert (response.status_code, response.headers["Location"]) == (303, "/portfolio")


@pytest.fixture
def instance():
    # Outside pytest's base temporary folder: see conftest.embedded_server.
    path = Path(tempfile.mkdtemp(prefix="portfolio-devserver-"))
    yield path
    if embedded_pg.is_running(path / "pgdata"):
        embedded_pg.stop(path / "pgdata")
    shutil.rmtree(path, ignore_errors=True)


def _serve(instance: Path, port: int) -> tuple[subprocess.Popen, list[str]]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["INSTANCE_PATH"] = str(instance)
    proc = subprocess.Popen(
        [sys.executable, "-m", "workhistory.devserver", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            pytest.fail("the dev server exited:\n" + "".join(lines))
        lines.append(line)
        if line.startswith("Demo login:"):
            wait_for_port(port, proc)  # the line comes just before the server binds
            return proc, lines
    proc.kill()
    pytest.fail("no demo login line:\n" + "".join(lines))


def _get_status(url: str) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        return opener.open(url, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)  # what Ctrl+C sends
    out, _ = proc.communicate(timeout=60)
    return out


def test_run_serves_on_the_port_and_stops_the_postgres_it_started(instance):
    port = free_port()
    proc, lines = _serve(instance, port)
    try:
        assert lines[-1].strip().endswith(f"http://127.0.0.1:{port}/login")
        assert embedded_pg.is_running(instance / "pgdata")
        assert _get_status(f"http://127.0.0.1:{port}/") == 303
        assert _get_status(f"http://127.0.0.1:{port}/login") == 200
    finally:
        out = _stop(proc)
    assert proc.returncode == 0, out
    assert not embedded_pg.is_running(instance / "pgdata"), out


def test_a_postgres_that_was_already_running_is_left_running(instance):
    embedded_pg.start(instance / "pgdata")
    proc, _lines = _serve(instance, free_port())
    _stop(proc)
    assert embedded_pg.is_running(instance / "pgdata")
