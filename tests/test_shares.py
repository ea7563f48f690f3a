"""Share links (SPEC §12): created by their owner, shown once, stored only as a hash, revoked
and expired at once, rate-limited, sent with headers that keep them private, and showing
exactly the shared artifacts of their owner — nothing else of the workspace, of another user
or of another workspace, and never an email."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import pytest

from tests.support import (
    HTMX,
    assert_no_traceback,
    csrf_token,
    make_artifact,
    sign_in,
    unsafe_markup,
)
from workhistory.data import artifacts, shares
from workhistory.data.errors import InvalidData, ShareNotFound
from workhistory.web.security import CONTENT_SECURITY_POLICY

LINK = re.compile(r'value="(https?://[^"]+/s/([A-Za-z0-9_-]{43}))"')


def _create(client, user, **fields) -> str:
    """Create a link as `user` through POST /shares; return its token, shown this once."""
    token = sign_in(client, user)
    data = {"label": "For the panel", "expiry": "30", "scope": "team", **fields,
            "csrf_token": token}
    response = client.post("/shares", data=data)
    assert response.status_code == 201, response.get_data(as_text=True)
    match = LINK.search(response.get_data(as_text=True))
    assert match, "the new link is shown"
    return match.group(2)


def _share_row(admin, token):
    return admin.execute("SELECT * FROM shares WHERE token_hash = %s",
                         (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()


@pytest.fixture
def world(db, make_workspace, make_colleague):
    """An owner in workspace A with two team artifacts and a private one, a colleague of A
    with a team artifact, and a stranger in workspace B with a team artifact."""
    owner = make_workspace("Alpha", display_name="Olive Owner")
    team1 = make_artifact(db, owner, title="Churn model", visibility="team",
                          artifact_date=date(2022, 5, 1), estimated_hours_saved=40.0,
                          suggested_skill_ids=["sql", "forecasting"])
    team2 = make_artifact(db, owner, title="Billing script", visibility="team",
                          artifact_date=date(2020, 1, 2), estimated_hours_saved=2.5,
                          suggested_skill_ids=["sql"])
    private = make_artifact(db, owner, title="Secret salary sheet", visibility="private",
                            estimated_hours_saved=99.0, suggested_skill_ids=["sql"])
    colleague = make_colleague(owner.tenant_id, display_name="Cole League")
    theirs = make_artifact(db, colleague, title="Colleague deck", visibility="team")
    stranger = make_workspace("Beta", display_name="Stan Stranger")
    other = make_artifact(db, stranger, title="Beta roadmap", visibility="team")
    return {"owner": owner, "team1": team1, "team2": team2, "private": private,
            "colleague": colleague, "theirs": theirs, "stranger": stranger, "other": other}


# --- creating, listing, the token ----------------------------------------------------------


def test_a_link_is_shown_once_and_only_its_hash_is_stored(app, admin, world):
    client = app.test_client()
    token = _create(client, world["owner"])
    assert len(token) == 43  # 256 bits
    row = _share_row(admin, token)
    assert row["label"] == "For the panel" and row["scope"] == "team"
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    every_value = " ".join(str(v) for r in admin.execute("SELECT * FROM shares").fetchall()
                           for v in r.values())
    assert token not in every_value
    listed = client.get("/shares").get_data(as_text=True)
    assert "For the panel" in listed and token not in listed


def test_the_list_shows_scope_count_expiry_and_last_opening(app, world):
    client = app.test_client()
    token = _create(client, world["owner"], label="Recruiter", expiry="never")
    page = client.get("/shares").get_data(as_text=True)
    assert "All team artifacts: 2 shown" in page and "never expires" in page
    assert "never opened" in page
    app.test_client().get(f"/s/{token}")
    page = client.get("/shares").get_data(as_text=True)
    assert "last opened" in page and "never opened" not in page


def test_expiry_is_stored_and_validated(app, admin, world):
    client = app.test_client()
    token = _create(client, world["owner"], expiry="7")
    row = _share_row(admin, token)
    assert 6.9 < (row["expires_at"] - row["created_at"]).total_seconds() / 86400 < 7.1
    csrf = sign_in(client, world["owner"])
    before = admin.execute("SELECT count(*) AS n FROM shares").fetchone()["n"]
    for bad in ({"expiry": "8"}, {"scope": "everything"}, {"label": "  "},
                {"scope": "chosen"}, {"scope": "chosen", "artifact_ids": "not-an-id"}):
        data = {"label": "x", "expiry": "30", "scope": "team", "csrf_token": csrf, **bad}
        response = client.post("/shares", data=data)
        assert response.status_code == 422, bad
        assert 'class="field-error"' in response.get_data(as_text=True)
    assert admin.execute("SELECT count(*) AS n FROM shares").fetchone()["n"] == before


def test_creating_needs_the_csrf_token(app, admin, world):
    client = app.test_client()
    sign_in(client, world["owner"])
    response = client.post("/shares", data={"label": "x", "expiry": "30", "scope": "team"})
    assert response.status_code == 400
    assert admin.execute("SELECT count(*) AS n FROM shares WHERE user_id = %s",
                         (world["owner"].user_id,)).fetchone()["n"] == 0


def test_htmx_create_and_revoke_swap_the_panel(app, world):
    client = app.test_client()
    csrf = sign_in(client, world["owner"])
    response = client.post("/shares", data={"label": "Htmx", "expiry": "90", "scope": "team"},
                           headers={**HTMX, "X-CSRFToken": csrf})
    assert response.status_code == 201
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="shares-panel"') and LINK.search(body)
    assert 'id="status" hx-swap-oob="innerHTML">Share link created.' in body
    share_id = re.search(r'id="share-([0-9a-f-]{36})"', body).group(1)
    response = client.post(f"/shares/{share_id}/revoke", headers={**HTMX, "X-CSRFToken": csrf})
    assert response.status_code == 200 and "Revoked" in response.get_data(as_text=True)


def test_chosen_artifacts_only_the_owners_team_ones(db, world):
    owner = world["owner"]
    for foreign in (world["private"].id, world["theirs"].id, world["other"].id):
        with pytest.raises(InvalidData):
            shares.create_share(db, owner.actor, "x", "chosen", None,
                                [world["team1"].id, foreign])
    assert shares.list_shares(db, owner.actor) == []


def test_creating_is_rate_limited_per_user(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SHARES_PER_USER", "2 per hour")
    client = app.test_client()
    csrf = sign_in(client, world["owner"])
    data = {"label": "x", "expiry": "30", "scope": "team", "csrf_token": csrf}
    assert [client.post("/shares", data=data).status_code for _ in range(3)] == [201, 201, 429]
    other = app.test_client()
    other_csrf = sign_in(other, world["colleague"])
    assert other.post("/shares", data={**data, "csrf_token": other_csrf}).status_code == 201


# --- the public page ------------------------------------------------------------------------


def test_the_page_is_a_resume_of_exactly_the_team_artifacts(app, world):
    token = _create(app.test_client(), world["owner"])
    response = app.test_client().get(f"/s/{token}")  # nobody signed in
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Olive Owner" in page and "Alpha" in page
    assert "Churn model" in page and "Billing script" in page
    for absent in ("Secret salary sheet", "Colleague deck", "Beta roadmap", "Cole League",
                   world["owner"].email, world["colleague"].email, "@example.com"):
        assert absent not in page
    assert "42.5 hours saved" in page
    assert unsafe_markup(page) == []


def test_skills_with_evidence_count_only_the_shared_artifacts(app, world):
    token = _create(app.test_client(), world["owner"])
    page = app.test_client().get(f"/s/{token}").get_data(as_text=True)
    # sql: the two team artifacts (the private one with sql does not count).
    assert re.search(r'evidence-skill">sql</span> <span class="evidence-facts">2 artifacts,'
                     r" 42.5 h saved, latest 1 May 2022", page)
    assert re.search(r'evidence-skill">forecasting</span> <span class="evidence-facts">1'
                     r" artifact, 40 h saved, latest 1 May 2022", page)


def test_chosen_share_shows_only_the_chosen(app, world):
    token = _create(app.test_client(), world["owner"], scope="chosen",
                    artifact_ids=str(world["team2"].id))
    page = app.test_client().get(f"/s/{token}").get_data(as_text=True)
    assert "Billing script" in page and "Churn model" not in page


def test_making_private_or_deleting_removes_from_every_share_at_once(app, db, admin, world):
    owner, team1, team2 = world["owner"], world["team1"], world["team2"]
    all_team = _create(app.test_client(), owner)
    chosen = _create(app.test_client(), owner, scope="chosen",
                     artifact_ids=[str(team1.id), str(team2.id)])
    artifacts.update_artifact(db, owner.actor, team1.id, {"visibility": "private"})
    artifacts.delete_artifact(db, owner.actor, team2.id)
    for token in (all_team, chosen):
        page = app.test_client().get(f"/s/{token}").get_data(as_text=True)
        assert "Churn model" not in page and "Billing script" not in page
    assert admin.execute("SELECT count(*) AS n FROM share_artifacts"
                         " WHERE artifact_id = %s", (team2.id,)).fetchone()["n"] == 0
    # Shared with the team again, it is back in the all-team link, not in the chosen one
    # (which listed it, but a private artifact is never shown, whatever the table holds).
    artifacts.update_artifact(db, owner.actor, team1.id, {"visibility": "team"})
    assert "Churn model" in app.test_client().get(f"/s/{all_team}").get_data(as_text=True)


def test_revoke_takes_effect_at_once(app, world):
    client = app.test_client()
    token = _create(client, world["owner"])
    assert app.test_client().get(f"/s/{token}").status_code == 200
    share_id = re.search(r'id="share-([0-9a-f-]{36})"', client.get("/shares").get_data(
        as_text=True)).group(1)
    csrf = csrf_token(client, "/shares")
    response = client.post(f"/shares/{share_id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 303
    gone = app.test_client().get(f"/s/{token}")
    assert gone.status_code == 404 and "Olive Owner" not in gone.get_data(as_text=True)
    assert "Revoked" in client.get("/shares").get_data(as_text=True)


def test_expiry_takes_effect_at_once(app, admin, world):
    token = _create(app.test_client(), world["owner"], expiry="7")
    assert app.test_client().get(f"/s/{token}").status_code == 200
    admin.execute("UPDATE shares SET created_at = now() - interval '8 days',"
                  " expires_at = now() - interval '1 second' WHERE token_hash = %s",
                  (hashlib.sha256(token.encode()).hexdigest(),))
    assert app.test_client().get(f"/s/{token}").status_code == 404


@pytest.mark.parametrize("token", ["A" * 43, "short", "x" * 200, "%00", "../../etc"])
def test_unknown_or_malformed_tokens_are_404(app, world, token):
    response = app.test_client().get(f"/s/{token}")
    assert response.status_code == 404
    assert_no_traceback(response.get_data(as_text=True))


def test_only_the_owner_revokes(app, db, world):
    new = shares.create_share(db, world["owner"].actor, "mine", "team", None, [])
    client = app.test_client()
    csrf = sign_in(client, world["colleague"])
    response = client.post(f"/shares/{new.share.id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert shares.list_shares(db, world["owner"].actor)[0].revoked_at is None


@pytest.mark.parametrize("kind", ["found", "unknown"])
def test_share_pages_send_their_headers(app, world, kind):
    token = _create(app.test_client(), world["owner"]) if kind == "found" else "B" * 43
    response = app.test_client().get(f"/s/{token}")
    assert response.status_code == (200 if kind == "found" else 404)
    headers = response.headers
    assert headers["X-Robots-Tag"] == "noindex, nofollow"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    page = response.get_data(as_text=True)
    # Nothing from another origin: every script and stylesheet is the app's own.
    for url in re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"', page):
        assert url.startswith(("/static/", "data:image/svg+xml")), url


def test_share_pages_are_rate_limited_per_address(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SHARE_PAGE_PER_ADDRESS", "3 per minute")
    token = _create(app.test_client(), world["owner"])
    client = app.test_client()
    seen = [client.get(f"/s/{token}", environ_base={"REMOTE_ADDR": "10.9.0.1"}).status_code
            for _ in range(4)]
    assert seen == [200, 200, 200, 429]
    # Guessing tokens counts too, and another address is not blocked.
    assert client.get("/s/" + "C" * 43, environ_base={"REMOTE_ADDR": "10.9.0.1"}
                      ).status_code == 429
    limited = client.get(f"/s/{token}", environ_base={"REMOTE_ADDR": "10.9.0.1"})
    assert limited.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "Too many" in limited.get_data(as_text=True)
    assert client.get(f"/s/{token}", environ_base={"REMOTE_ADDR": "10.9.0.2"}
                      ).status_code == 200


def test_open_share_data_function_refuses_dead_tokens(db, world):
    new = shares.create_share(db, world["owner"].actor, "x", "team", None, [])
    assert [e.title for e in shares.open_share(db, new.token).entries] == [
        "Churn model", "Billing script"]
    shares.revoke_share(db, world["owner"].actor, new.share.id)
    with pytest.raises(ShareNotFound):
        shares.open_share(db, new.token)
