"""Concurrency over HTTP, through the whole app: simultaneous creates never pass the limit,
and simultaneous updates with the same version never lose one another's work."""

from __future__ import annotations

import pytest

from tests.support import VALID, htmx, make_artifact, row_of, run_together, sign_in, snapshot
from workhistory.data import artifacts

pytestmark = pytest.mark.slow


def send_together(clients, send):
    """Call `send(i, client, token)` for every client at the same moment; return responses."""
    return run_together(len(clients), lambda i: send(i, *clients[i]))


def signed_in_clients(app, user, n):
    clients = []
    for _ in range(n):
        client = app.test_client()
        clients.append((client, sign_in(client, user)))
    return clients


def test_forty_simultaneous_creates_at_45_let_exactly_5_through(app, db, admin, owner):
    for i in range(45):
        make_artifact(db, owner, title=f"Existing {i}")
    clients = signed_in_clients(app, owner, 40)

    def create(i, client, token):
        return client.post("/portfolio/artifacts", data={**VALID, "title": f"Racer {i}"},
                           headers=htmx(token))

    statuses = [r.status_code for r in send_together(clients, create)]
    assert sorted(statuses) == [200] * 5 + [409] * 35
    rows = snapshot(admin, owner.user_id)
    assert len(rows) == artifacts.LIMIT
    assert sum(r["title"].startswith("Racer") for r in rows) == 5


def test_four_simultaneous_updates_with_one_version_let_exactly_one_through(app, db, admin,
                                                                            owner):
    entry = make_artifact(db, owner, title="Shared", description="")
    clients = signed_in_clients(app, owner, 4)

    def update(i, client, token):
        data = {"title": f"Writer {i}", "description": f"written by {i}", "version": "1"}
        return client.patch(f"/portfolio/artifacts/{entry.id}", data=data, headers=htmx(token))

    responses = send_together(clients, update)
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [200, 409, 409, 409]
    winner = statuses.index(200)
    stored = row_of(admin, entry.id)
    # No lost update: the stored row is the winner's whole write, at version 2.
    assert (stored["title"], stored["description"], stored["version"]) == (
        f"Writer {winner}", f"written by {winner}", 2)
    for i, response in enumerate(responses):
        if i != winner:
            html = response.get_data(as_text=True)
            assert "artifact-conflict" in html and f'value="Writer {i}"' in html
            assert f"<dd>Writer {winner}</dd>" in html
            assert '<input type="hidden" name="version" value="2">' in html
