"""Script payloads in every text field come back escaped everywhere they are shown (page, row,
edit form, conflict fragment, colleague and people pages, navigation) and JSON-encoded in the
export; `javascript:` and other non-http(s) links are never stored."""

from __future__ import annotations

import json

import pytest

from tests.support import (
    HTMX,
    INJECTED_ELEMENTS,
    PASSWORD,
    actor_of,
    sign_in,
    unique_email,
    unsafe_markup,
)
from workhistory.data import accounts, artifacts

PAYLOADS = {
    "title": '"><img src=x onerror=alert(1)><script>alert("title")</script>',
    "description": "</textarea><script>alert('d')</script>\n<svg onload=alert(2)> {{ 7*7 }}",
    "source_url": 'https://example.com/"><svg/onload=alert(3)>',
    "suggested_skill_ids": "<b onmouseover=alert(4)>sql</b>, '><iframe src=javascript:x>",
}
SKILLS = ["<b onmouseover=alert(4)>sql</b>", "'><iframe src=javascript:x>"]
NAME = "<script>alert('name')</script> Ada"
WORKSPACE = '"><img src=x onerror=alert(5)> Acme'
# Raw fragments that appear only if a payload escaped its text or attribute context.
RAW = ["<script>alert", "<img src=x", "<svg onload", "<svg/onload", "<iframe", "<b onmouseover",
       "</textarea><script", "onerror=alert(1)>"]


def assert_escaped(body: str, where: str) -> None:
    assert unsafe_markup(body, INJECTED_ELEMENTS) == [], where
    for raw in RAW:
        assert raw not in body, f"{where}: {raw!r} unescaped"


@pytest.fixture
def victim(make_workspace):
    return make_workspace(name=WORKSPACE, display_name=NAME)


@pytest.fixture
def stored(app, victim):
    """The payload artifact created through the real form, and a signed-in client."""
    client = app.test_client()
    token = sign_in(client, victim)
    data = {"csrf_token": token, "artifact_type": "code", "visibility": "team",
            "artifact_date": "2020-02-02", "estimated_hours_saved": "3", **PAYLOADS}
    response = client.post("/portfolio/artifacts", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    entry = artifacts.list_artifacts(app.extensions["db"], actor_of(victim)).entries[0]
    # Stored exactly as typed: escaping is the template's job, not the database's.
    assert entry.title == PAYLOADS["title"]
    assert entry.description == PAYLOADS["description"]
    assert entry.source_url == PAYLOADS["source_url"]
    assert entry.suggested_skill_ids == SKILLS
    return client, token, entry


def test_every_view_of_the_artifact_escapes_it(stored):
    client, token, entry = stored
    base = f"/portfolio/artifacts/{entry.id}"
    views = {
        "page": client.get("/portfolio"),
        "row fragment": client.get(base, headers=HTMX),
        "row page": client.get(base),
        "edit fragment": client.get(base + "/edit", headers=HTMX),
        "edit page": client.get(base + "/edit"),
    }
    for where, response in views.items():
        assert response.status_code == 200, where
        body = response.get_data(as_text=True)
        assert_escaped(body, where)
        assert "alert(&#34;title&#34;)" in body or "alert(&quot;title&quot;)" in body, where
    assert "{{ 7*7 }}" in views["page"].get_data(as_text=True)  # shown, never evaluated
    assert 'href="https://example.com/&#34;&gt;&lt;svg/onload=alert(3)&gt;"' in \
        views["page"].get_data(as_text=True)


def test_saved_fragment_and_invalid_form_escape_the_input(stored):
    client, token, entry = stored
    base = f"/portfolio/artifacts/{entry.id}"
    saved = client.patch(base, data={"csrf_token": token, "title": PAYLOADS["title"] + "!"},
                         headers=HTMX)
    assert saved.status_code == 200
    assert_escaped(saved.get_data(as_text=True), "saved row + status")
    invalid = client.patch(
        base,
        data={"csrf_token": token, "title": "", "description": PAYLOADS["description"],
              "source_url": "javascript:alert('<script>x</script>')"},
        headers=HTMX,
    )
    assert invalid.status_code == 422
    assert_escaped(invalid.get_data(as_text=True), "422 form")


def test_conflict_fragment_escapes_saved_values_and_input(stored, app, victim):
    client, token, entry = stored
    artifacts.update_artifact(app.extensions["db"], actor_of(victim), entry.id,
                              {"description": PAYLOADS["title"]})
    mine = {"csrf_token": token, "version": str(entry.version),
            "title": "<script>alert('mine')</script>", **{
                k: v for k, v in PAYLOADS.items() if k != "title"}}
    for headers in (HTMX, {}):
        response = client.patch(f"/portfolio/artifacts/{entry.id}", data=mine, headers=headers)
        assert response.status_code == 409
        body = response.get_data(as_text=True)
        assert_escaped(body, f"conflict {headers}")
        assert "alert(&#39;mine&#39;)" in body  # the user's input is kept, escaped


def test_json_export_encodes_the_payloads(stored):
    client = stored[0]
    response = client.get("/portfolio/artifacts.json")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    item = json.loads(response.get_data(as_text=True))["artifacts"][0]
    assert item["title"] == PAYLOADS["title"]
    assert item["description"] == PAYLOADS["description"]
    assert item["suggested_skill_ids"] == SKILLS


def test_names_are_escaped_in_navigation_and_people_pages(app, stored, victim, db):
    client = stored[0]
    colleague = accounts.add_user(db, victim.tenant_id, unique_email(), NAME + " II", PASSWORD)
    viewer = app.test_client()
    sign_in(viewer, colleague)
    views = {
        "nav": client.get("/portfolio"),
        "people": viewer.get("/people"),
        "colleague page": viewer.get(f"/people/{victim.user_id}"),
    }
    for where, response in views.items():
        assert response.status_code == 200, where
        body = response.get_data(as_text=True)
        assert_escaped(body, where)
        assert "&lt;script&gt;alert(" in body, f"{where}: the name is not shown at all"
    assert "Edit" not in views["colleague page"].get_data(as_text=True).split("<main")[1]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example.com/x",
        "https:evil.example.com",
        "https://user:pass@evil.example.com/",
        "http://exa mple.com",
    ],
)
def test_non_http_links_are_refused_and_nothing_is_stored(app, owner, admin, url):
    client = app.test_client()
    token = sign_in(client, owner)
    response = client.post("/portfolio/artifacts",
                           data={"csrf_token": token, "title": "Link", "source_url": url})
    assert response.status_code == 422
    # Shown back in the field for correction, never as a link.
    assert unsafe_markup(response.get_data(as_text=True), INJECTED_ELEMENTS) == []
    count = admin.execute("SELECT count(*) AS n FROM work_artifacts WHERE user_id = %s",
                          (owner.user_id,)).fetchone()["n"]
    assert count == 0


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//evil.example"])
def test_the_database_refuses_non_http_links_too(db, owner, url):
    from workhistory.data.errors import InvalidData

    with pytest.raises(InvalidData):
        artifacts.create_artifact(db, actor_of(owner), {"title": "t", "source_url": url})
