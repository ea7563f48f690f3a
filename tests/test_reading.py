"""Reading an artifact in full (SPEC §10): a compact row shows the start of the description
and a More link; the expanded row (htmx) and the artifact's own page show everything: the
whole description with its line breaks, the link, every skill, the dates. Colleagues read
their colleagues' team artifacts the same way; private, deleted and foreign ones are 404."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.support import HTMX, SQL, main_and_oob, make_artifact, sign_in
from workhistory.data import artifacts
from workhistory.web.filters import EXCERPT

SQL_QUOTED = SQL.replace(":", "%3A")  # as Jinja's urlencode writes it in a link

ARTIFACTS = "/portfolio/artifacts"
LONG = ("First paragraph about the churn model, the cohorts and the memo. " * 6
        + "\n\nSecond paragraph: THE-END-MARKER.")


@pytest.fixture
def long_one(db, owner):
    return make_artifact(db, owner, title="Churn model", description=LONG,
                         artifact_date=date(2019, 3, 1), artifact_date_precision="month",
                         source_url="https://example.com/" + "deep/" * 60,
                         visibility="team", suggested_skill_ids=["sql", "cohort analysis"])


def details_of(html: str) -> str:
    match = re.search(r'<div class="artifact-details">.*?</dl>\s*</div>', html, re.DOTALL)
    assert match, "no details"
    return match.group(0)


def test_a_compact_row_shows_the_start_and_a_more_link(client, owner, long_one):
    sign_in(client, owner)
    html = client.get("/portfolio").get_data(as_text=True)
    # The facts' paragraph, then the start of the description.
    shown = re.search(r'</h2><p>.*?</p><p>([^<]*)</p>', html).group(1)
    assert len(shown) <= EXCERPT + 1 and shown.endswith("…")
    assert "THE-END-MARKER" not in html  # the rest is one request away
    # More is cloned in by app.js from the page's one template; the row's URL is its title's.
    assert '<a class="artifact-more" href="" aria-expanded="false">More</a>' in html
    assert f'<h2><a href="/portfolio/artifacts/{long_one.id}">' in html


def test_the_expanded_row_shows_everything(client, owner, long_one):
    token = sign_in(client, owner)
    response = client.get(f"{ARTIFACTS}/{long_one.id}?expanded=1", headers=HTMX)
    assert response.status_code == 200
    main, _oob = main_and_oob(response.get_data(as_text=True))
    [(tag, attrs, _text)] = main
    assert (tag, attrs["id"], attrs["class"]) == ("li", f"artifact-{long_one.id}",
                                                  "artifact artifact-open")
    assert "autofocus" not in attrs  # app.js keeps focus where it was (the row or the toggle)
    html = response.get_data(as_text=True)
    details = details_of(html)
    assert f'<p class="artifact-text">{LONG}</p>' in details  # whole, line breaks kept
    # The full link: the host the browser opens, then the rest (rules.link_host).
    assert '>example.com<span class="link-path">/' + "deep/" * 60 + '</span></a>' in details
    assert f'<a class="chip" href="/portfolio?skill={SQL_QUOTED}">SQL</a>' in details
    assert '<a class="chip" href="/portfolio?skill=cohort%20analysis">cohort analysis</a>' \
        in details
    assert '<dt>Date of the work</dt><dd><time datetime="2019-03">Mar 2019</time>' in details
    assert "<dt>Added</dt>" in details and "<dt>Last updated</dt>" in details
    assert "artifact-more" not in html  # app.js adds Less to an .artifact-open row
    # Still editable from here: app.js gives an expanded row the page's Edit too.
    assert f'<h2><a href="/portfolio/artifacts/{long_one.id}">' in html
    # Less: the compact row again, focus left where it is.
    compact = client.get(f"{ARTIFACTS}/{long_one.id}?expanded=0", headers=HTMX)
    [(tag, attrs, _text)] = main_and_oob(compact.get_data(as_text=True))[0]
    assert attrs["class"] == "artifact" and "autofocus" not in attrs
    assert token


def test_the_artifacts_own_page_is_readable_without_javascript(client, owner, long_one):
    sign_in(client, owner)
    response = client.get(f"{ARTIFACTS}/{long_one.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Churn model · Work history</title>" in html
    assert '<h1 id="artifact-page-title">Churn model</h1>' in html
    assert f'<p class="artifact-text">{LONG}</p>' in details_of(html)
    assert '<a href="/portfolio">← Your portfolio</a>' in html
    assert f'href="/portfolio/artifacts/{long_one.id}/edit"' in html


@pytest.fixture
def colleague_client(app, owner, make_colleague):
    client = app.test_client()
    sign_in(client, make_colleague(owner.tenant_id, display_name="Cole"))
    return client


def test_colleagues_read_team_artifacts_in_full(colleague_client, owner, long_one):
    base = f"/people/{owner.user_id}"
    listing = colleague_client.get(base).get_data(as_text=True)
    assert f'<h2><a href="{base}/artifacts/{long_one.id}">' in listing
    assert '<a class="artifact-more" href="" aria-expanded="false">More</a>' in listing
    page = colleague_client.get(f"{base}/artifacts/{long_one.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<p class="artifact-text">{LONG}</p>' in details_of(html)
    assert f'<a class="chip" href="{base}?skill={SQL_QUOTED}">SQL</a>' in html
    assert "Ada Owner’s work" in html  # the way back to their list
    for control in ("/edit", "/delete", "artifact-edit", "artifact-delete"):
        assert control not in html, control
    row = colleague_client.get(f"{base}/artifacts/{long_one.id}?expanded=1", headers=HTMX)
    body = row.get_data(as_text=True)
    assert row.status_code == 200 and "THE-END-MARKER" in body
    assert "artifact-edit" not in body and "artifact-delete" not in body
    assert 'class="artifact artifact-open"' in body


def test_private_deleted_and_foreign_artifacts_are_404_to_colleagues(
    colleague_client, db, owner, long_one, make_workspace, make_colleague
):
    private = make_artifact(db, owner, title="Private notes", visibility="private",
                            description="SECRET-MARKER")
    deleted = make_artifact(db, owner, title="Deleted", visibility="team")
    artifacts.delete_artifact(db, owner.actor, deleted.id)
    other = make_colleague(owner.tenant_id, display_name="Someone else")
    theirs = make_artifact(db, other, title="Theirs", visibility="team")
    stranger = make_workspace(name="Elsewhere")
    foreign = make_artifact(db, stranger, title="Foreign", visibility="team")
    base = f"/people/{owner.user_id}/artifacts"
    for path in (f"{base}/{private.id}", f"{base}/{deleted.id}", f"{base}/{theirs.id}",
                 f"/people/{stranger.user_id}/artifacts/{foreign.id}",
                 f"{base}/not-a-uuid", f"/people/not-a-uuid/artifacts/{long_one.id}"):
        for headers in ({}, HTMX):
            response = colleague_client.get(path, headers=headers)
            assert response.status_code == 404, path
            assert "SECRET-MARKER" not in response.get_data(as_text=True)


def test_ones_own_artifact_page_is_404_to_others(colleague_client, long_one):
    assert colleague_client.get(f"{ARTIFACTS}/{long_one.id}").status_code == 404
