"""The portfolio over HTTP: every route in both modes (htmx fragments with out-of-band updates,
plain pages and 303s), login, ownership and isolation, CSRF, limits and stale versions.
Each test asserts the database as well as the response."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from datetime import date

import pytest

from tests.support import (
    HTMX,
    ROOT,
    VALID,
    actor_of,
    csrf_token,
    htmx,
    main_and_oob,
    make_artifact,
    row_of,
    sign_in,
    snapshot,
)
from workhistory.data import artifacts

ARTIFACTS = "/portfolio/artifacts"


@pytest.fixture
def token(client, owner):
    """`client` signed in as `owner`; the value is its CSRF token."""
    return sign_in(client, owner)


def count_of(admin, user) -> int:
    return admin.execute(
        "SELECT count(*) AS n FROM work_artifacts WHERE user_id = %s", (user.user_id,)
    ).fetchone()["n"]


def only_artifact(admin, user) -> dict:
    rows = snapshot(admin, user.user_id)
    assert len(rows) == 1
    return rows[0]


def assert_oob_totals(oob, count: str, hours: str) -> None:
    assert oob["artifacts-count"] == ({"id": "artifacts-count", "hx-swap-oob": "true"}, count)
    assert oob["hours-saved-total"][0]["hx-swap-oob"] == "true"
    assert oob["hours-saved-total"][1] == hours


def status_of(oob) -> str:
    attrs, text = oob["status"]
    assert attrs["hx-swap-oob"] == "innerHTML"
    return text


# ---- The page ---------------------------------------------------------------------------


def test_page_shows_empty_state_count_total_and_new_button(client, token):
    response = client.get("/portfolio")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<ol id="artifacts" class="artifact-list"' in html
    assert '<span id="artifacts-count">0 of 50</span>' in html
    assert '<span id="hours-saved-total">0 hours saved</span>' in html
    assert re.search(r'<a id="new-artifact"[^>]* href="/portfolio/artifacts/new"[^>]*'
                     r'aria-keyshortcuts="n"', html)
    assert 'hx-get="/portfolio/artifacts/new" hx-target="#artifacts" hx-swap="afterbegin"' in html
    # The empty state says what an artifact is and how to add one.
    assert "Start your work history" in html and "An <strong>artifact</strong> is" in html
    assert "press <kbd>N</kbd>" in html
    assert 'id="status" class="status-region" role="status"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_page_lists_rows_in_page_order_with_totals(client, token, db, owner):
    old = make_artifact(db, owner, title="Old", artifact_date=date(2019, 1, 1),
                        estimated_hours_saved=2.5)
    undated = make_artifact(db, owner, title="Undated")
    new = make_artifact(db, owner, title="New", artifact_date=date(2022, 5, 1),
                        estimated_hours_saved=10.0, suggested_skill_ids=["sql"],
                        source_url="https://example.com/x")
    html = client.get("/portfolio").get_data(as_text=True)
    ids = re.findall(r'<li id="artifact-([0-9a-f-]{36})" class="artifact"', html)
    assert ids == [str(new.id), str(old.id), str(undated.id)]
    assert '<span id="artifacts-count">3 of 50</span>' in html
    assert '<span id="hours-saved-total">12.5 hours saved</span>' in html
    # A row is lean (SPEC §8): its title links to its own page, it carries its version, and
    # its controls come once for the page, in the template app.js clones into each row.
    assert f'<li id="artifact-{new.id}" class="artifact" data-v="{new.version}"><h2>' \
        f'<a href="/portfolio/artifacts/{new.id}">' in html
    assert f'/portfolio/artifacts/{new.id}/edit' not in html
    assert html.count('<template id="row-actions">') == 1
    assert '<a class="artifact-edit button button-quiet" href="" aria-keyshortcuts="e">Edit</a>' \
        in html
    assert '<ul class="chips" aria-label="Skills"><li>SQL</li>' in html  # shown by label
    # User data: nofollow; the Referrer-Policy (same-origin) already hides the referrer.
    assert '<a class="artifact-link" href="https://example.com/x" rel="nofollow">' in html


def test_page_escapes_user_text(client, token, db, owner):
    make_artifact(db, owner, title="<script>alert(1)</script>", description="<b>bold</b>")
    html = client.get("/portfolio").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_htmx_is_the_pinned_file_with_its_sri(client, token):
    script = (ROOT / "static" / "htmx-2.0.11.min.js").read_bytes()
    assert b'version:"2.0.11"' in script
    sri = "sha384-" + base64.b64encode(hashlib.sha384(script).digest()).decode()
    assert (ROOT / "static" / "htmx-2.0.11.min.js.sri").read_text().strip() == sri
    html = client.get("/portfolio").get_data(as_text=True)
    src = r"/static/htmx-2\.0\.11\.min\.js\?v=[0-9a-f]{12}"
    assert re.search(f'<script src="{src}" integrity="{re.escape(sri)}"', html)


# ---- New and create ----------------------------------------------------------------------


def test_new_form_fragment_and_page(client, token):
    fragment = client.get(f"{ARTIFACTS}/new", headers=HTMX)
    assert fragment.status_code == 200
    main, oob = main_and_oob(fragment.get_data(as_text=True))
    assert [(tag, attrs["id"]) for tag, attrs, _ in main] == [("li", "artifact-new")]
    html = fragment.get_data(as_text=True)
    assert 'hx-post="/portfolio/artifacts" hx-target="#artifact-new" hx-swap="outerHTML"' in html
    assert re.search(r'<input type="text" id="title-new" name="title"[^>]* autofocus', html)
    assert 'name="version"' not in html
    assert "<html" not in html

    page = client.get(f"{ARTIFACTS}/new")
    assert page.status_code == 200
    page_html = page.get_data(as_text=True)
    assert "<html" in page_html and '<li id="artifact-new" class="artifact artifact-editing">' \
        in page_html
    assert 'action="/portfolio/artifacts"' in page_html
    for response in (fragment, page):
        assert "HX-Request" in response.headers["Vary"]


def test_form_has_every_field_labelled(client, token):
    html = client.get(f"{ARTIFACTS}/new", headers=HTMX).get_data(as_text=True)
    for name in ("title", "description", "artifact_type", "artifact_date", "source_url",
                 "visibility", "estimated_hours_saved", "suggested_skill_ids"):
        assert f'<label for="{name}-new">' in html
        assert f'id="{name}-new" name="{name}"' in html
    assert 'name="csrf_token"' in html
    save = re.search(r'<button type="submit" class="save [^"]*"[^>]*>', html).group(0)
    assert re.search(r'aria-keyshortcuts="[^"]*\bControl\+Enter\b', save)
    cancel = re.search(r'<a class="cancel [^>]*>', html).group(0)
    assert 'href="/portfolio"' in cancel and 'hx-target="#artifact-new"' in cancel


def test_create_htmx_returns_row_with_oob_totals_and_status(client, token, admin, owner):
    response = client.post(ARTIFACTS, data=VALID, headers=htmx(token))
    assert response.status_code == 200
    stored = only_artifact(admin, owner)
    main, oob = main_and_oob(response.get_data(as_text=True))
    assert len(main) == 1
    tag, attrs, text = main[0]
    assert (tag, attrs["id"]) == ("li", f"artifact-{stored['id']}")
    assert "autofocus" in attrs and attrs["tabindex"] == "-1"
    assert VALID["title"] in text
    assert_oob_totals(oob, "1 of 50", "12.5 hours saved")
    assert status_of(oob) == f"Added “{VALID['title']}”."
    assert stored["title"] == VALID["title"]
    assert stored["description"] == VALID["description"]
    assert stored["artifact_type"] == "analysis" and stored["visibility"] == "team"
    assert stored["artifact_date"].isoformat() == "2021-03-15"
    assert stored["source_url"] == VALID["source_url"]
    assert stored["estimated_hours_saved"] == 12.5
    assert stored["suggested_skill_ids"] == ["cohort analysis", "churn modelling"]
    assert "HX-Request" in response.headers["Vary"]


def test_create_plain_redirects_and_announces_on_the_page(client, token, admin, owner):
    response = client.post(ARTIFACTS, data={**VALID, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/portfolio"
    assert only_artifact(admin, owner)["title"] == VALID["title"]
    page = client.get("/portfolio").get_data(as_text=True)
    assert re.search(r'role="status"[^>]*>\s*Added “Quarterly churn analysis”', page)
    assert '<span id="artifacts-count">1 of 50</span>' in page


def test_create_with_only_a_title_takes_defaults(client, token, admin, owner):
    response = client.post(ARTIFACTS, data={"title": "  Just a title  "}, headers=htmx(token))
    assert response.status_code == 200
    stored = only_artifact(admin, owner)
    assert stored["title"] == "Just a title"
    assert (stored["artifact_type"], stored["visibility"], stored["description"]) == (
        "other", "private", "")
    assert stored["artifact_date"] is None and stored["source_url"] is None
    assert stored["estimated_hours_saved"] is None and stored["suggested_skill_ids"] == []


def test_skill_ids_accept_repeated_fields_and_separated_text(client, token, admin, owner):
    data = {**VALID, "suggested_skill_ids": ["dbt", " Looker , cohorts\nchurn ", ""]}
    assert client.post(ARTIFACTS, data=data, headers=htmx(token)).status_code == 200
    assert only_artifact(admin, owner)["suggested_skill_ids"] == ["dbt", "Looker", "cohorts",
                                                                  "churn"]


def test_limit_reached_answers_409_with_the_form_and_message(client, token, db, admin, owner):
    for i in range(artifacts.LIMIT):
        make_artifact(db, owner, title=f"Artifact {i}")
    before = snapshot(admin, owner.user_id)
    response = client.post(ARTIFACTS, data=VALID, headers=htmx(token))
    assert response.status_code == 409
    main, oob = main_and_oob(response.get_data(as_text=True))
    assert [attrs["id"] for _tag, attrs, _ in main] == ["artifact-new"]
    html = response.get_data(as_text=True)
    assert "limit of 50 artifacts" in html and 'class="form-error"' in html
    assert f'value="{VALID["title"]}"' in html  # input kept
    assert "limit of 50" in status_of(oob)

    plain = client.post(ARTIFACTS, data={**VALID, "csrf_token": token})
    assert plain.status_code == 409
    plain_html = plain.get_data(as_text=True)
    assert "<html" in plain_html and "limit of 50 artifacts" in plain_html
    assert '<li id="artifact-new" class="artifact artifact-editing">' in plain_html
    assert snapshot(admin, owner.user_id) == before


# ---- Row and edit ------------------------------------------------------------------------


def test_row_fragment_and_page(client, token, db, owner):
    entry = make_artifact(db, owner, title="Row me")
    fragment = client.get(f"{ARTIFACTS}/{entry.id}", headers=HTMX)
    assert fragment.status_code == 200
    main, oob = main_and_oob(fragment.get_data(as_text=True))
    assert [(tag, attrs["id"]) for tag, attrs, _ in main] == [("li", f"artifact-{entry.id}")]
    assert "autofocus" in main[0][1]  # a cancel puts focus back on the row
    html = fragment.get_data(as_text=True)
    # No controls in the row (app.js clones them in from the page's template, SPEC §8); its
    # title links to its own page, the way to Edit and Delete without JavaScript.
    assert f'data-v="{entry.version}" tabindex="-1" autofocus><h2>' \
        f'<a href="/portfolio/artifacts/{entry.id}">Row me</a></h2>' in html
    assert "artifact-edit" not in html and "hx-delete" not in html
    template = client.get("/portfolio").get_data(as_text=True)
    assert re.search(r'<template id="row-actions">.*<button type="button" '
                     r'class="artifact-delete[^>]* aria-keyshortcuts="d Delete">', template)

    # The totals come along (a cancel after a conflict shows them true, SPEC §11).
    assert_oob_totals(oob, "1 of 50", "0 hours saved")

    # Without htmx it is the artifact's own page (SPEC §10), with Edit and Delete.
    page = client.get(f"{ARTIFACTS}/{entry.id}")
    assert page.status_code == 200
    page_html = page.get_data(as_text=True)
    assert "<html" in page_html
    assert '<h1 id="artifact-page-title">Row me</h1>' in page_html
    assert f'href="/portfolio/artifacts/{entry.id}/edit"' in page_html
    assert f'href="/portfolio/artifacts/{entry.id}/delete"' in page_html
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_edit_form_fragment_and_page_are_filled(client, token, db, owner):
    entry = make_artifact(db, owner, title="Edit me", description="Line one\nline two",
                          artifact_type="code", artifact_date=date(2020, 2, 29),
                          source_url="https://example.com/?a=1&b=2", visibility="team",
                          estimated_hours_saved=0.25, suggested_skill_ids=["a", "b"])
    fragment = client.get(f"{ARTIFACTS}/{entry.id}/edit", headers=HTMX)
    assert fragment.status_code == 200
    main, _oob = main_and_oob(fragment.get_data(as_text=True))
    assert [(tag, attrs["id"], attrs["class"]) for tag, attrs, _ in main] == [
        ("li", f"artifact-{entry.id}", "artifact artifact-editing")]
    html = fragment.get_data(as_text=True)
    assert f'hx-patch="/portfolio/artifacts/{entry.id}" hx-target="#artifact-{entry.id}"' in html
    assert '<input type="hidden" name="version" value="1">' in html
    assert 'value="Edit me"' in html and ">Line one\nline two</textarea>" in html
    assert '<option value="code" selected>' in html and '<option value="team" selected>' in html
    assert 'value="29 Feb 2020"' in html and 'value="0.25"' in html and 'value="a, b"' in html
    assert 'value="https://example.com/?a=1&amp;b=2"' in html
    assert re.search(rf'id="title-{entry.id}" name="title"[^>]* autofocus', html)
    assert f'hx-get="/portfolio/artifacts/{entry.id}" hx-target="#artifact-{entry.id}"' in html

    page = client.get(f"{ARTIFACTS}/{entry.id}/edit")
    assert page.status_code == 200
    page_html = page.get_data(as_text=True)
    assert "<html" in page_html and f'action="/portfolio/artifacts/{entry.id}"' in page_html
    assert f'<li id="artifact-{entry.id}" class="artifact artifact-editing">' in page_html


# ---- Update ------------------------------------------------------------------------------


def test_patch_htmx_returns_row_with_totals_and_status(client, token, db, admin, owner):
    entry = make_artifact(db, owner, title="Before", estimated_hours_saved=1.0)
    data = {**VALID, "title": "After", "version": "1"}
    response = client.patch(f"{ARTIFACTS}/{entry.id}", data=data, headers=htmx(token))
    assert response.status_code == 200
    main, oob = main_and_oob(response.get_data(as_text=True))
    assert [(tag, attrs["id"]) for tag, attrs, _ in main] == [("li", f"artifact-{entry.id}")]
    assert "autofocus" in main[0][1] and "After" in main[0][2]
    assert_oob_totals(oob, "1 of 50", "12.5 hours saved")
    assert status_of(oob) == "Saved “After”."
    stored = row_of(admin, entry.id)
    assert (stored["title"], stored["version"], stored["estimated_hours_saved"]) == (
        "After", 2, 12.5)


def test_post_update_plain_redirects(client, token, db, admin, owner):
    entry = make_artifact(db, owner, title="Before")
    response = client.post(f"{ARTIFACTS}/{entry.id}",
                           data={**VALID, "title": "After", "version": "1", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/portfolio"
    assert row_of(admin, entry.id)["title"] == "After"
    assert "Saved “After”." in client.get("/portfolio").get_data(as_text=True)


def test_update_leaves_absent_fields_unchanged(client, token, db, admin, owner):
    entry = make_artifact(db, owner, title="Keep", description="Keep me", artifact_type="code",
                          artifact_date=date(2020, 1, 2), source_url="https://example.com",
                          visibility="team", estimated_hours_saved=3.0,
                          suggested_skill_ids=["x"])
    before = row_of(admin, entry.id)
    response = client.patch(f"{ARTIFACTS}/{entry.id}", data={"title": "Renamed"},
                            headers=htmx(token))
    assert response.status_code == 200
    after = row_of(admin, entry.id)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"title", "version", "updated_at", "search_vector"}  # the vector follows


def test_update_with_present_empty_fields_clears_optional_values(client, token, db, admin,
                                                                 owner):
    entry = make_artifact(db, owner, title="Full", description="Some", artifact_date=date(
        2020, 1, 2), source_url="https://example.com", estimated_hours_saved=3.0,
        suggested_skill_ids=["x", "y"])
    data = {"description": "", "artifact_date": "", "source_url": "", "estimated_hours_saved":
            "", "suggested_skill_ids": ""}
    response = client.patch(f"{ARTIFACTS}/{entry.id}", data=data, headers=htmx(token))
    assert response.status_code == 200
    stored = row_of(admin, entry.id)
    assert stored["title"] == "Full"
    assert (stored["description"], stored["artifact_date"], stored["source_url"],
            stored["estimated_hours_saved"], stored["suggested_skill_ids"]) == (
        "", None, None, None, [])
    main, oob = main_and_oob(response.get_data(as_text=True))
    assert_oob_totals(oob, "1 of 50", "0 hours saved")


@pytest.mark.parametrize("field", ["title", "artifact_type", "visibility"])
def test_update_with_present_empty_required_field_is_422(client, token, db, admin, owner, field):
    entry = make_artifact(db, owner, title="Stays")
    before = row_of(admin, entry.id)
    response = client.patch(f"{ARTIFACTS}/{entry.id}", data={field: ""}, headers=htmx(token))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error-{entry.id}"' in html
    # The fields the request left out show the saved values, so a re-submit clears nothing.
    if field != "title":
        assert 'value="Stays"' in html
    assert row_of(admin, entry.id) == before


def test_stale_version_answers_409_conflict_keeping_input(client, token, db, admin, owner):
    entry = make_artifact(db, owner, title="Original", description="Saved text")
    artifacts.update_artifact(db, actor_of(owner), entry.id, {"title": "Theirs"}, 1)
    before = row_of(admin, entry.id)
    mine = {**VALID, "title": "Mine", "description": "My text", "version": "1"}
    response = client.patch(f"{ARTIFACTS}/{entry.id}", data=mine, headers=htmx(token))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    main, oob = main_and_oob(html)
    assert [(attrs["id"], attrs["class"]) for _tag, attrs, _ in main] == [
        (f"artifact-{entry.id}", "artifact artifact-editing artifact-conflict")]
    assert "changed since you opened it" in status_of(oob)
    assert "<dd>Theirs</dd>" in html and "<dd>Saved text</dd>" in html  # the saved values
    assert 'value="Mine"' in html and ">My text</textarea>" in html  # the user's input
    assert '<input type="hidden" name="version" value="2">' in html  # overwrite on purpose
    assert "Save mine anyway" in html and "Discard mine" in html
    assert f'hx-get="/portfolio/artifacts/{entry.id}"' in html
    assert row_of(admin, entry.id) == before

    again = client.patch(f"{ARTIFACTS}/{entry.id}", data={**mine, "version": "2"},
                         headers=htmx(token))
    assert again.status_code == 200
    assert row_of(admin, entry.id)["title"] == "Mine"


def test_stale_version_plain_answers_409_page(client, token, db, admin, owner):
    entry = make_artifact(db, owner, title="Original")
    artifacts.update_artifact(db, actor_of(owner), entry.id, {"title": "Theirs"}, 1)
    response = client.post(f"{ARTIFACTS}/{entry.id}",
                           data={**VALID, "title": "Mine", "version": "1", "csrf_token": token})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "<html" in html and "artifact-conflict" in html and 'value="Mine"' in html
    assert row_of(admin, entry.id)["title"] == "Theirs"


# ---- Delete ------------------------------------------------------------------------------


def test_delete_htmx_returns_empty_row_with_totals_and_status(client, token, db, admin, owner):
    keep = make_artifact(db, owner, title="Keep", estimated_hours_saved=4.0)
    gone = make_artifact(db, owner, title="Gone", estimated_hours_saved=6.0)
    response = client.delete(f"{ARTIFACTS}/{gone.id}", headers=htmx(token))
    assert response.status_code == 200
    main, oob = main_and_oob(response.get_data(as_text=True))
    assert main == []  # the row's outerHTML becomes nothing
    assert_oob_totals(oob, "1 of 50", "4 hours saved")
    assert status_of(oob).split() == ["Deleted", "“Gone”.", "Undo"]
    assert f'action="/portfolio/artifacts/{gone.id}/restore"' in response.get_data(as_text=True)
    assert row_of(admin, gone.id) is None and row_of(admin, keep.id) is not None
    assert "HX-Request" in response.headers["Vary"]


def test_post_delete_plain_redirects(client, token, db, admin, owner):
    gone = make_artifact(db, owner, title="Gone")
    response = client.post(f"{ARTIFACTS}/{gone.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/portfolio"
    assert row_of(admin, gone.id) is None
    html = client.get("/portfolio").get_data(as_text=True)
    assert "Deleted “Gone”." in html
    assert f'action="/portfolio/artifacts/{gone.id}/restore"' in html


# ---- Login required ----------------------------------------------------------------------

PROTECTED = [
    ("GET", "/portfolio"),
    ("GET", "/portfolio/artifacts/new"),
    ("POST", "/portfolio/artifacts"),
    ("GET", "/portfolio/artifacts/{id}"),
    ("GET", "/portfolio/artifacts/{id}/edit"),
    ("PATCH", "/portfolio/artifacts/{id}"),
    ("POST", "/portfolio/artifacts/{id}"),
    ("DELETE", "/portfolio/artifacts/{id}"),
    ("POST", "/portfolio/artifacts/{id}/delete"),
    ("GET", "/portfolio/artifacts/{id}/delete"),
    ("POST", "/portfolio/artifacts/{id}/restore"),
    ("GET", "/portfolio/artifacts.json"),
]


@pytest.mark.parametrize("method, template", PROTECTED)
def test_anonymous_plain_request_is_sent_to_login(client, db, owner, admin, method, template):
    entry = make_artifact(db, owner)
    before = snapshot(admin)
    path = template.format(id=entry.id)
    token = csrf_token(client, "/login")
    response = client.open(path, method=method, data={**VALID, "csrf_token": token})
    assert response.status_code == 303
    location = response.headers["Location"]
    if method == "GET":
        assert location == f"/login?next={path.replace('/', '%2F')}" or \
            location == f"/login?next={path}"
    else:
        assert location.startswith("/login")
    assert snapshot(admin) == before


@pytest.mark.parametrize("method, template", PROTECTED)
def test_anonymous_htmx_request_gets_hx_redirect(client, db, owner, admin, method, template):
    entry = make_artifact(db, owner)
    before = snapshot(admin)
    token = csrf_token(client, "/login")
    response = client.open(template.format(id=entry.id), method=method, data=VALID,
                           headers=htmx(token, **{"HX-Current-URL": "http://localhost/portfolio"}))
    assert response.headers["HX-Redirect"].startswith("/login")
    assert response.status_code != 200 and "artifact-form" not in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
    assert snapshot(admin) == before


# ---- Ownership and isolation -------------------------------------------------------------

ID_ROUTES = [
    ("GET", "/portfolio/artifacts/{id}", False),
    ("GET", "/portfolio/artifacts/{id}/edit", False),
    ("PATCH", "/portfolio/artifacts/{id}", True),
    ("POST", "/portfolio/artifacts/{id}", True),
    ("DELETE", "/portfolio/artifacts/{id}", False),
    ("POST", "/portfolio/artifacts/{id}/delete", False),
    ("GET", "/portfolio/artifacts/{id}/delete", False),
    ("POST", "/portfolio/artifacts/{id}/restore", False),
]


@pytest.fixture
def foreign(db, owner):
    """The owner's team-visible artifact, which nobody else may read or change here."""
    return make_artifact(db, owner, title="Owner's work", visibility="team",
                         estimated_hours_saved=5.0)


@pytest.mark.parametrize("who", ["colleague", "stranger"])
@pytest.mark.parametrize("mode", ["plain", "htmx"])
@pytest.mark.parametrize("method, template, with_form", ID_ROUTES)
def test_foreign_ids_are_404_and_change_nothing(app, admin, owner, foreign, make_colleague,
                                                make_workspace, who, mode, method, template,
                                                with_form):
    intruder = make_colleague(owner.tenant_id) if who == "colleague" else make_workspace("Other")
    client = app.test_client()
    token = sign_in(client, intruder)
    before = snapshot(admin)
    headers = htmx(token) if mode == "htmx" else {"X-CSRFToken": token}
    for data in ({**VALID, "version": "1"}, {"title": "", "version": "1"}, {"version": "9"}):
        response = client.open(template.format(id=foreign.id), method=method,
                               data=data if with_form else None, headers=headers)
        assert response.status_code == 404, (data, response.get_data(as_text=True)[:300])
        assert "Owner&#39;s work" not in response.get_data(as_text=True)
        if not with_form:
            break
    assert snapshot(admin) == before


MALFORMED = ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g",
             f"{uuid.uuid4()}x", "%00", str(uuid.uuid4())]


@pytest.mark.parametrize("bad_id", MALFORMED)
@pytest.mark.parametrize("method, template, with_form", ID_ROUTES)
def test_unknown_and_malformed_ids_are_404(client, token, admin, method, template, with_form,
                                           bad_id):
    before = snapshot(admin)
    for headers in (htmx(token), {"X-CSRFToken": token}):
        response = client.open(template.format(id=bad_id), method=method,
                               data={**VALID, "version": "1"} if with_form else None,
                               headers=headers)
        assert response.status_code == 404
    assert snapshot(admin) == before


# ---- CSRF ----------------------------------------------------------------------------------

STATE_CHANGING = [
    ("POST", "/portfolio/artifacts"),
    ("PATCH", "/portfolio/artifacts/{id}"),
    ("POST", "/portfolio/artifacts/{id}"),
    ("DELETE", "/portfolio/artifacts/{id}"),
    ("POST", "/portfolio/artifacts/{id}/delete"),
    ("POST", "/portfolio/artifacts/{id}/restore"),
]


@pytest.mark.parametrize("method, template", STATE_CHANGING)
@pytest.mark.parametrize("csrf", ["missing", "forged", "other-session"])
def test_state_changes_need_a_valid_csrf_token(app, client, token, db, admin, owner, method,
                                               template, csrf):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    entry = make_artifact(db, owner, title="Protected")
    before = snapshot(admin)
    path = template.format(id=entry.id)
    if csrf == "missing":
        variants = [({}, {**VALID, "version": "1"}), (HTMX, {**VALID, "version": "1"})]
    else:
        if csrf == "forged":
            bad = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        else:
            bad = sign_in(app.test_client(), owner)  # valid, but for another session
        variants = [
            ({"X-CSRFToken": bad}, {**VALID, "version": "1"}),
            ({}, {**VALID, "version": "1", "csrf_token": bad}),
            ({**HTMX, "X-CSRFToken": bad}, {**VALID, "version": "1"}),
        ]
    for headers, data in variants:
        response = client.open(path, method=method, data=data, headers=headers)
        assert response.status_code == 400, (headers, response.status_code)
    assert snapshot(admin) == before
