"""Nested transactions for the same actor join the outer one: one connection and one
transaction per request, committed or rolled back as a whole."""

from __future__ import annotations

import pytest

from tests.support import sign_in
from workhistory.data import artifacts


def _txid(conn) -> tuple[int, int]:
    row = conn.execute("SELECT pg_backend_pid() AS pid, txid_current() AS tx").fetchone()
    return row["pid"], row["tx"]


def test_nested_transaction_for_the_same_actor_joins_the_outer_one(db, owner):
    with db.transaction(owner.actor) as outer, db.transaction(owner.actor) as inner:
        assert inner is outer
        assert _txid(inner) == _txid(outer)


def test_nested_transaction_for_another_actor_is_separate(db, owner, make_workspace):
    stranger = make_workspace(name="Elsewhere")
    with db.transaction(owner.actor) as outer, db.transaction(stranger.actor) as other:
        assert other is not outer
        assert _txid(other)[0] != _txid(outer)[0]


def test_a_failure_rolls_back_the_whole_unit(db, admin, owner):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.transaction(owner.actor):
        artifacts.create_artifact(db, owner.actor, {"title": "Never committed"})
        raise Boom
    count = admin.execute(
        "SELECT count(*) AS n FROM work_artifacts WHERE title = 'Never committed'"
    ).fetchone()
    assert count["n"] == 0


def test_domain_errors_inside_a_unit_are_mapped(db, owner):
    from workhistory.data.errors import InvalidData

    with pytest.raises(InvalidData), db.transaction(owner.actor):
        artifacts.create_artifact(db, owner.actor, {"title": "x", "estimated_hours_saved": -1.0})


@pytest.mark.parametrize("method, path", [("get", "/people"), ("post", "/invites")])
def test_people_requests_use_one_transaction(app, owner, monkeypatch, method, path):
    database = app.extensions["db"]
    begun = []
    real_begin = database._begin

    def counting_begin(*args):
        begun.append(args)
        return real_begin(*args)

    client = app.test_client()
    token = sign_in(client, owner)
    monkeypatch.setattr(database, "_begin", counting_begin)
    response = getattr(client, method)(path, headers={"X-CSRFToken": token})
    assert response.status_code in (200, 201)
    assert len(begun) == 1
