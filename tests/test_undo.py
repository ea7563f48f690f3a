"""Undo (SPEC §11): a delete can be undone for 30 seconds, giving back the same id, values,
version and times; a deleted artifact no longer counts toward the limit and a restore at 50
answers 409; after the window it is purged; nobody sees or restores another's deletions; and
without JavaScript, Delete goes through a confirmation page and Undo is a form."""

from __future__ import annotations

import re
from datetime import date

import psycopg
import pytest

from tests.support import (
    HTMX,
    htmx,
    main_and_oob,
    make_artifact,
    row_of,
    run_together,
    sign_in,
    snapshot,
)
from workhistory.data import artifacts, shares
from workhistory.data.db import Database
from workhistory.data.errors import LimitReached, NotFound, ShareNotFound

ARTIFACTS = "/portfolio/artifacts"


def trash(admin, user=None) -> list[dict]:
    sql = "SELECT * FROM deleted_artifacts"
    params: tuple = ()
    if user is not None:
        sql += " WHERE user_id = %s"
        params = (user.user_id,)
    return admin.execute(sql + " ORDER BY id", params).fetchall()


def age(admin, artifact_id, seconds: float) -> None:
    """Make a deletion `seconds` old, as if that much time had passed since."""
    admin.execute("UPDATE deleted_artifacts SET deleted_at = now() - make_interval(secs => %s)"
                  " WHERE id = %s", (seconds, artifact_id))


def fill(admin, user, n: int) -> None:
    admin.execute("INSERT INTO work_artifacts (tenant_id, user_id, title)"
                  " SELECT %s, %s, 'filler ' || i FROM generate_series(1, %s) i",
                  (user.tenant_id, user.user_id, n))


@pytest.fixture
def full(db, owner):
    """An artifact with every value set, edited twice (version 3)."""
    entry = make_artifact(db, owner, title="Churn model", description="Two\nlines",
                          artifact_type="analysis", artifact_date=date(2019, 3, 1),
                          artifact_date_precision="month", source_url="https://example.com/c",
                          visibility="team", estimated_hours_saved=12.5,
                          suggested_skill_ids=["sql", "statistics"])
    artifacts.update_artifact(db, owner.actor, entry.id, {"title": "Churn model v2"})
    entry, _ = artifacts.update_artifact(db, owner.actor, entry.id, {"description": "Three"})
    return entry


def test_the_undo_window_is_thirty_seconds_in_the_code_and_the_database(admin):
    window = admin.execute("SELECT extract(epoch FROM artifact_undo_window()) AS s").fetchone()
    assert window["s"] == artifacts.UNDO_SECONDS == 30


def test_restore_gives_back_the_same_id_values_version_and_times(db, admin, owner, full):
    before = row_of(admin, full.id)
    title, summary = artifacts.delete_artifact(db, owner.actor, full.id)
    assert (title, summary.count, summary.hours_saved) == ("Churn model v2", 0, 0)
    assert row_of(admin, full.id) is None
    [kept] = trash(admin, owner)
    assert kept["id"] == full.id and kept["version"] == 3
    assert artifacts.list_artifacts(db, owner.actor).summary.count == 0

    restored, summary = artifacts.restore_artifact(db, owner.actor, full.id)
    assert restored == full  # every field, the version and both times included
    assert (summary.count, summary.hours_saved) == (1, 12.5)
    assert row_of(admin, full.id) == before  # the search vector too
    assert trash(admin, owner) == []
    # The version history goes on from where it was.
    updated, _ = artifacts.update_artifact(db, owner.actor, full.id, {"title": "v4"}, 3)
    assert updated.version == 4


def test_a_restore_is_undone_once(db, owner, full):
    artifacts.delete_artifact(db, owner.actor, full.id)
    artifacts.restore_artifact(db, owner.actor, full.id)
    with pytest.raises(NotFound, match="can no longer be restored"):
        artifacts.restore_artifact(db, owner.actor, full.id)
    with pytest.raises(NotFound):
        artifacts.restore_artifact(db, owner.actor, "not-a-uuid")


def test_after_the_window_it_is_gone_for_good_and_purged(db, admin, owner, full):
    other = make_artifact(db, owner, title="Other")
    artifacts.delete_artifact(db, owner.actor, full.id)
    age(admin, full.id, 29)
    assert len(trash(admin, owner)) == 1  # still in its window
    artifacts.list_artifacts(db, owner.actor)
    assert len(trash(admin, owner)) == 1
    age(admin, full.id, 31)
    with pytest.raises(NotFound, match="undo lasts 30 seconds"):
        artifacts.restore_artifact(db, owner.actor, full.id)
    assert len(trash(admin, owner)) == 1  # refused, and not yet purged...
    artifacts.list_artifacts(db, owner.actor)  # ...until the owner's next list
    assert trash(admin, owner) == []
    # The next delete purges too.
    artifacts.delete_artifact(db, owner.actor, other.id)
    age(admin, other.id, 31)
    third = make_artifact(db, owner, title="Third")
    artifacts.delete_artifact(db, owner.actor, third.id)
    assert [r["id"] for r in trash(admin, owner)] == [third.id]


def test_a_purge_touches_only_the_owners_deletions(db, admin, owner, full, make_colleague):
    colleague = make_colleague(owner.tenant_id)
    theirs = make_artifact(db, colleague, title="Theirs")
    artifacts.delete_artifact(db, colleague.actor, theirs.id)
    artifacts.delete_artifact(db, owner.actor, full.id)
    age(admin, theirs.id, 60)
    age(admin, full.id, 60)
    artifacts.list_artifacts(db, owner.actor)
    assert trash(admin, owner) == []
    assert [r["id"] for r in trash(admin, colleague)] == [theirs.id]  # theirs to purge


def test_a_deleted_artifact_does_not_count_and_restoring_at_fifty_is_refused(
    db, admin, owner, full, client
):
    artifacts.delete_artifact(db, owner.actor, full.id)
    fill(admin, owner, 50)  # the deleted one left room: the 50th fits
    with pytest.raises(LimitReached) as caught:
        artifacts.restore_artifact(db, owner.actor, full.id)
    assert caught.value.public_message == artifacts.RESTORE_LIMIT
    assert len(trash(admin, owner)) == 1  # still restorable once there is room
    token = sign_in(client, owner)
    for headers in (htmx(token), {"X-CSRFToken": token}):
        response = client.post(f"{ARTIFACTS}/{full.id}/restore", headers=headers)
        assert response.status_code == 409
        assert "50 artifacts, the limit" in response.get_data(as_text=True)
    response = client.post(f"{ARTIFACTS}/{full.id}/restore", headers=htmx(token))
    assert response.headers["HX-Reswap"] == "none"
    _main, oob = main_and_oob(response.get_data(as_text=True))
    assert oob["artifacts-count"][1] == "50 of 50"
    admin.execute("DELETE FROM work_artifacts WHERE user_id = %s AND title = 'filler 1'",
                  (owner.user_id,))
    restored, summary = artifacts.restore_artifact(db, owner.actor, full.id)
    assert restored.id == full.id and summary.count == 50


@pytest.fixture
def racing_db(database_url):
    database = Database(database_url, min_size=20, max_size=20, timeout=30)
    database.open()
    database.pool.wait(timeout=30)
    yield database
    database.close()


@pytest.mark.slow
def test_restores_racing_creates_never_pass_fifty(racing_db, db, admin, owner):
    deleted = []
    for i in range(5):
        entry = make_artifact(db, owner, title=f"deleted {i}")
        artifacts.delete_artifact(db, owner.actor, entry.id)
        deleted.append(entry.id)
    fill(admin, owner, 47)  # 3 slots left; 5 restores and 15 creates race for them

    def go(i: int):
        if i < 5:
            return artifacts.restore_artifact(racing_db, owner.actor, deleted[i])
        return artifacts.create_artifact(racing_db, owner.actor, {"title": f"race {i}"})

    results = run_together(20, go)
    succeeded = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, LimitReached)]
    assert len(succeeded) == 3 and len(refused) == 17, results
    count = admin.execute("SELECT count(*) AS n FROM work_artifacts WHERE user_id = %s",
                          (owner.user_id,)).fetchone()["n"]
    assert count == 50


def test_an_undo_puts_the_artifact_back_on_the_share_links_that_listed_it(db, owner, full):
    other = make_artifact(db, owner, title="Also shared", visibility="team")
    chosen = shares.create_share(db, owner.actor, "Chosen", "chosen", None, [full.id, other.id])
    whole = shares.create_share(db, owner.actor, "All team work", "team", None, [])
    gone = shares.create_share(db, owner.actor, "Revoked later", "chosen", None, [full.id])

    def shown(link) -> set:
        return {e.id for e in shares.open_share(db, link.token).entries}

    assert shown(chosen) == shown(whole) == {full.id, other.id}
    artifacts.delete_artifact(db, owner.actor, full.id)
    # Deleting removes it from every link at once (SPEC §12)...
    assert shown(chosen) == shown(whole) == {other.id}
    shares.revoke_share(db, owner.actor, gone.share.id)
    artifacts.restore_artifact(db, owner.actor, full.id)
    # ...and the undo puts it back where it was (a revoked link shows nothing either way).
    assert shown(chosen) == shown(whole) == {full.id, other.id}
    with pytest.raises(ShareNotFound):
        shares.open_share(db, gone.token)


# --- Row-level security on deleted rows -------------------------------------------------------
def test_a_colleague_never_sees_deleted_rows_and_nobody_restores_anothers(
    db, admin, owner, full, make_colleague, make_workspace
):
    artifacts.delete_artifact(db, owner.actor, full.id)  # it was a team artifact
    colleague = make_colleague(owner.tenant_id)
    stranger = make_workspace(name="Elsewhere")
    before = trash(admin)
    for other in (colleague, stranger):
        # The app's own functions: not found, nothing changes.
        with pytest.raises(NotFound):
            artifacts.restore_artifact(db, other.actor, full.id)
        assert full.id not in {e.id for e in artifacts.list_artifacts(db, other.actor).entries}
        team = artifacts.list_team_artifacts(db, other.actor, owner.user_id)
        assert full.id not in {e.id for e in team.entries}
        with pytest.raises(NotFound):
            artifacts.get_team_artifact(db, other.actor, owner.user_id, full.id)
        # Raw SQL as the runtime role, with no WHERE of the app's: the policies alone.
        with db.transaction(other.actor) as conn:
            assert conn.execute("SELECT id FROM deleted_artifacts").fetchall() == []
            assert conn.execute("SELECT id FROM work_artifacts WHERE id = %s",
                                (full.id,)).fetchall() == []
            moved = conn.execute("DELETE FROM deleted_artifacts RETURNING id").fetchall()
            assert moved == []
        # Writing another's row: refused by WITH CHECK.
        with pytest.raises(NotFound), db.transaction(other.actor) as conn:
            conn.execute(
                "INSERT INTO deleted_artifacts (id, tenant_id, user_id, title, description,"
                " artifact_type, artifact_date_precision, visibility, suggested_skill_ids,"
                " version, created_at, updated_at)"
                " VALUES (gen_random_uuid(), %s, %s, 'planted', '', 'other', 'day',"
                " 'private', '{}', 1, now(), now())", (owner.tenant_id, owner.user_id))
    assert trash(admin) == before
    # The owner sees their own, and only through the same policies.
    with db.transaction(owner.actor) as conn:
        assert [r["id"] for r in conn.execute("SELECT id FROM deleted_artifacts")] == [full.id]


def test_the_runtime_role_cannot_change_a_deleted_row(db, admin, owner, full):
    artifacts.delete_artifact(db, owner.actor, full.id)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), \
            psycopg.connect(admin.info.dsn) as conn:
        conn.execute("SET ROLE portfolio_app")
        conn.execute("UPDATE deleted_artifacts SET title = 'changed'")


# --- Over HTTP ----------------------------------------------------------------------------
@pytest.fixture
def token(client, owner):
    return sign_in(client, owner)


def test_htmx_delete_offers_undo_and_undo_puts_the_row_back_in_the_list(client, token, db,
                                                                       admin, owner, full):
    keep = make_artifact(db, owner, title="Keep", artifact_date=date(2024, 1, 1))
    response = client.delete(f"{ARTIFACTS}/{full.id}", headers=htmx(token))
    html = response.get_data(as_text=True)
    undo = re.search(r'<form class="inline-form undo-form" method="post"'
                     r' action="/portfolio/artifacts/([0-9a-f-]{36})/restore"'
                     r' hx-post="[^"]+" hx-target="#results" hx-swap="outerHTML"'
                     r' data-undo-seconds="30">', html)
    assert undo and undo.group(1) == str(full.id)
    assert 'name="csrf_token"' in html and 'aria-keyshortcuts="u">Undo</button>' in html
    assert "Deleted “Churn model v2”." in html

    # Undo from a filtered page: the list comes back as filtered, the row in it with focus.
    response = client.post(f"{ARTIFACTS}/{full.id}/restore", headers=htmx(
        token, **{"HX-Current-URL": "http://localhost/portfolio?q=churn&sort=title"}))
    assert response.status_code == 200
    assert "HX-Push-Url" not in response.headers
    main, oob = main_and_oob(response.get_data(as_text=True))
    assert [(tag, attrs["id"]) for tag, attrs, _ in main] == [("div", "results")]
    body = response.get_data(as_text=True)
    assert re.search(rf'<li id="artifact-{full.id}" class="artifact"[^>]* autofocus>', body)
    assert f"artifact-{keep.id}" not in body  # "churn" does not match "Keep"
    assert oob["artifacts-count"][1] == "2 of 50"
    assert oob["artifacts-shown"][1].split() == ["·", "1", "shown"]
    assert oob["status"][1] == "Restored “Churn model v2”."
    assert row_of(admin, full.id)["version"] == 3


def test_an_undo_after_the_window_says_so(client, token, db, admin, owner, full):
    client.delete(f"{ARTIFACTS}/{full.id}", headers=htmx(token))
    age(admin, full.id, 45)
    before = snapshot(admin)
    response = client.post(f"{ARTIFACTS}/{full.id}/restore", headers=htmx(token))
    assert response.status_code == 404
    assert "undo lasts 30 seconds" in response.get_data(as_text=True)
    assert snapshot(admin) == before


def test_without_javascript_delete_is_confirmed_then_undone_from_the_next_page(
    client, token, db, admin, owner, full
):
    # A row's title leads to the artifact's page, whose Delete opens the confirmation page.
    page = client.get("/portfolio").get_data(as_text=True)
    assert f'<h2><a href="/portfolio/artifacts/{full.id}">' in page
    artifact_page = client.get(f"{ARTIFACTS}/{full.id}").get_data(as_text=True)
    assert f'<a class="button button-danger" href="/portfolio/artifacts/{full.id}/delete">' \
        in artifact_page

    confirm = client.get(f"{ARTIFACTS}/{full.id}/delete")
    assert confirm.status_code == 200 and row_of(admin, full.id) is not None  # GET: no change
    html = confirm.get_data(as_text=True)
    assert "<h1 id=\"confirm-title\">Delete “Churn model v2”?</h1>" in html
    assert f'<form method="post" action="/portfolio/artifacts/{full.id}/delete"' in html
    assert re.search(r'<a class="button" href="/portfolio" autofocus>Cancel</a>', html)
    assert 'name="csrf_token"' in html

    response = client.post(f"{ARTIFACTS}/{full.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/portfolio"
    assert row_of(admin, full.id) is None
    after = client.get("/portfolio").get_data(as_text=True)
    assert "Deleted “Churn model v2”." in after
    form = re.search(r'<form class="inline-form undo-form" method="post" action="([^"]+)"'
                     r'[^>]* data-undo-seconds="(\d+)">', after)
    assert form.group(1) == f"/portfolio/artifacts/{full.id}/restore"
    assert 25 <= int(form.group(2)) <= 30
    assert "undo-form" not in client.get("/portfolio").get_data(as_text=True)  # shown once

    response = client.post(form.group(1), data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/portfolio#artifact-{full.id}"
    assert row_of(admin, full.id)["version"] == 3
    assert "Restored “Churn model v2”." in client.get("/portfolio").get_data(as_text=True)


def test_the_confirmation_page_is_only_for_ones_own(app, db, owner, full, make_colleague):
    client = app.test_client()
    sign_in(client, make_colleague(owner.tenant_id))
    assert client.get(f"{ARTIFACTS}/{full.id}/delete").status_code == 404
    assert client.get(f"{ARTIFACTS}/{full.id}/delete", headers=HTMX).status_code == 404
