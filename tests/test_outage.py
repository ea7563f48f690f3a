"""PostgreSQL goes down mid-run and comes back: requests answer 503 quickly instead of hanging,
the probes tell the truth, and the same app (no restart) recovers with every row intact.

Runs on a server of its own (stopping the session's shared server would break other tests).
"""

from __future__ import annotations

import time

import pytest

from app import create_app
from tests.support import CSRF_META, HTMX, PASSWORD, actor_of, sign_in, unique_email
from workhistory import embedded_pg
from workhistory.data import accounts, artifacts

pytestmark = pytest.mark.slow

# Generous bounds that only a hang can break: the pool waits 3 s for a connection.
ANSWER_WITHIN = 15.0
RECOVER_WITHIN = 90.0


@pytest.fixture
def outage_app(own_server):
    _data_dir, url = own_server
    application = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "k" * 32})
    yield application
    application.extensions["db"].close()


def timed(call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def test_outage_answers_503_quickly_and_recovers_without_restart(own_server, outage_app):
    data_dir, _url = own_server
    db = outage_app.extensions["db"]
    user = accounts.create_workspace(db, "Outage Inc", unique_email(), "Olive", PASSWORD)
    kept, _ = artifacts.create_artifact(db, actor_of(user), {"title": "Survives the outage"})
    client = outage_app.test_client()
    token = sign_in(client, user)
    assert client.get("/portfolio").status_code == 200
    assert client.get("/readyz").status_code == 200

    embedded_pg.stop(data_dir)
    try:
        for method, path, kwargs in [
            ("GET", "/portfolio", {}),
            ("GET", "/portfolio", {"headers": HTMX}),
            ("GET", f"/portfolio/artifacts/{kept.id}/edit", {"headers": HTMX}),
            ("POST", "/portfolio/artifacts", {"data": {"csrf_token": token, "title": "Lost"}}),
            ("DELETE", f"/portfolio/artifacts/{kept.id}",
             {"headers": {**HTMX, "X-CSRFToken": token}}),
            ("GET", "/portfolio/artifacts.json", {}),
        ]:
            response, seconds = timed(client.open, path, method=method, **kwargs)
            assert response.status_code == 503, (method, path, response.status_code)
            assert seconds < ANSWER_WITHIN, (method, path, seconds)
            assert "Traceback" not in response.get_data(as_text=True)
        response, seconds = timed(client.get, "/readyz")
        assert response.status_code == 503 and seconds < ANSWER_WITHIN
        response, seconds = timed(client.get, "/healthz")
        assert response.status_code == 200 and seconds < 1.0
        # A login needs the database too: 503, not "wrong password", and not a lockout.
        login_page = outage_app.test_client()
        login_token = CSRF_META.search(login_page.get("/login").get_data(as_text=True)).group(1)
        response = login_page.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": login_token},
        )
        assert response.status_code == 503
    finally:
        embedded_pg.restart(data_dir)

    # The same app object, never restarted, answers again once the pool reconnects.
    deadline = time.monotonic() + RECOVER_WITHIN
    while True:
        status = client.get("/portfolio").status_code
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 200, "no recovery after PostgreSQL came back"
    assert client.get("/readyz").status_code == 200

    # Nothing written during the outage, nothing lost from before it.
    listed = artifacts.list_artifacts(db, actor_of(user)).entries
    assert [(e.id, e.title, e.version) for e in listed] == [(kept.id, kept.title, 1)]
    response = client.post("/portfolio/artifacts", data={"csrf_token": token, "title": "After"})
    assert response.status_code == 303
    assert artifacts.list_artifacts(db, actor_of(user)).summary.count == 2


@pytest.mark.slow
def test_healthz_answers_during_an_outage_behind_database_requests(own_server, tmp_path):
    """Under gunicorn's sync worker a request waits for the ones before it. During an outage,
    /healthz waited 14.7 s behind database requests that each waited for the pool; now
    requests fail at once while the server is known to be down, so it answers promptly."""
    import socket
    import subprocess
    import sys
    import threading

    from tests.support import ROOT, free_port, wait_for_port
    from workhistory import roles

    data_dir, url = own_server
    runtime, owner = roles.set_up(url, database="postgres_outage")
    from workhistory import migrate

    migrate.upgrade(owner)
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": runtime, "SECRET_KEY": "k" * 32,
           "HOME": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "app:create_app()", "--workers", "1",
         "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server, timeout=60)
        embedded_pg.stop(data_dir)

        def get(path: str) -> tuple[int, float]:
            started = time.monotonic()
            with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
                sock.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
                status = int(sock.recv(64).split()[1])
            return status, time.monotonic() - started

        answers: dict[int, tuple[int, float]] = {}
        queued = [threading.Thread(target=lambda i=i: answers.__setitem__(i, get("/readyz")))
                  for i in range(8)]
        for thread in queued:  # eight database requests ahead of the probe
            thread.start()
        time.sleep(0.2)
        status, seconds = get("/healthz")
        for thread in queued:
            thread.join(timeout=120)
        assert status == 200
        assert seconds < ANSWER_WITHIN / 3, seconds  # generous; it was 14.7 s
        assert sorted(s for s, _ in answers.values()) == [503] * 8
    finally:
        server.terminate()
        server.wait(timeout=30)
        embedded_pg.restart(data_dir)
