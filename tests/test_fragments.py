"""The rendered-row cache: rows come out exactly as `_row.html` renders them, and a changed
artifact is never served from the cache, however it was changed."""

from __future__ import annotations

import dataclasses
import uuid

from flask import render_template

from tests.support import make_artifact, sign_in
from workhistory.data import artifacts
from workhistory.web.rows import RowCache


def test_cached_row_is_the_template_rendering(app, db, owner):
    entry = make_artifact(db, owner, title="Cached <b>title</b>", suggested_skill_ids=["sql"])
    with app.test_request_context():
        fresh = render_template(
            "portfolio/_row.html", entry=entry, artifacts_url="/portfolio/artifacts"
        )
        cache = app.extensions["row_cache"]
        first = cache.row_html({"artifacts_url": "/portfolio/artifacts"}, entry)
        again = cache.row_html({"artifacts_url": "/portfolio/artifacts"}, entry)
    assert str(first) == fresh
    assert again is first  # served from the cache the second time
    assert "Cached &lt;b&gt;title&lt;/b&gt;" in fresh


def test_page_shows_a_change_made_behind_the_app(app, db, admin, owner):
    entry = make_artifact(db, owner, title="Before the change")
    client = app.test_client()
    sign_in(client, owner)
    assert "Before the change" in client.get("/portfolio").get_data(as_text=True)
    # A superuser edit in psql: the trigger bumps the version, so the cache key changes.
    admin.execute("UPDATE work_artifacts SET title = 'Changed in psql' WHERE id = %s", (entry.id,))
    page = client.get("/portfolio").get_data(as_text=True)
    assert "Changed in psql" in page
    assert "Before the change" not in page


def test_page_shows_an_update_made_through_the_app(app, db, owner):
    entry = make_artifact(db, owner, title="Old name", visibility="private")
    client = app.test_client()
    sign_in(client, owner)
    client.get("/portfolio")
    artifacts.update_artifact(db, owner.actor, entry.id, {"title": "New name"})
    page = client.get("/portfolio").get_data(as_text=True)
    assert "New name" in page and "Old name" not in page


def test_cache_is_bounded(app, db, owner):
    cache = RowCache(size=3)
    entries = [make_artifact(db, owner, title=f"Row {i}") for i in range(5)]
    with app.test_request_context():
        for entry in entries:
            cache.row_html({"artifacts_url": "/portfolio/artifacts"}, entry)
    assert len(cache._rows) == 3
    assert {key[1] for key in cache._rows} == {e.id.int for e in entries[2:]}


def test_the_same_id_and_version_in_another_workspace_is_another_row(app, db, owner):
    """The key is the primary key (tenant_id, id), not the id alone: a row with the same id and
    version in another workspace (ids are unique per workspace only) is rendered anew."""
    entry = make_artifact(db, owner, title="Ours")
    theirs = dataclasses.replace(entry, tenant_id=uuid.uuid4(), title="Theirs")
    with app.test_request_context():
        cache = app.extensions["row_cache"]
        ours_html = cache.row_html({"artifacts_url": "/portfolio/artifacts"}, entry)
        theirs_html = cache.row_html({"artifacts_url": "/portfolio/artifacts"}, theirs)
    assert "Ours" in ours_html and "Ours" not in theirs_html
    assert "Theirs" in theirs_html
