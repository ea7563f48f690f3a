"""People and colleagues' portfolios: members see each other's team work and never private
work (over HTTP and as portfolio_app in raw SQL); anyone outside the workspace is 404."""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import uuid4

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support import HTMX, sign_in
from workhistory.data import accounts, artifacts
from workhistory.data import people as people_data
from workhistory.data.errors import NotFound


@dataclass
class Team:
    ada: accounts.Account  # owner of the artifacts below
    cole: accounts.Account  # her colleague, who looks at them
    olga: accounts.Account  # in another workspace
    team_entry: artifacts.WorkArtifactEntry
    private_entry: artifacts.WorkArtifactEntry
    olga_entry: artifacts.WorkArtifactEntry


@pytest.fixture
def team(db, make_workspace, make_colleague) -> Team:
    ada = make_workspace(name="Team Co", display_name="Ada Lovelace")
    cole = make_colleague(ada.tenant_id, display_name="Cole Porter")
    olga = make_workspace(name="Outside Co", display_name="Olga Outsider")

    def create(user, **values):
        entry, _ = artifacts.create_artifact(db, user.actor, values)
        return entry

    team_entry = create(ada, title="Shared pipeline", visibility="team",
                        estimated_hours_saved=12.5)
    private_entry = create(ada, title="Secret salary sheet", visibility="private",
                           estimated_hours_saved=100.0)
    create(cole, title="Cole private draft", visibility="private")
    olga_entry = create(olga, title="Olga team deck", visibility="team")
    return Team(ada, cole, olga, team_entry, private_entry, olga_entry)


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def _rows(body: str) -> list[str]:
    return re.findall(r'<li id="artifact-([0-9a-f-]{36})" class="artifact"', body)


# --- the people page ----------------------------------------------------------------------------


def test_people_page_lists_members_with_their_team_totals(app, team):
    response = _client(app, team.cole).get("/people")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for member in (team.ada, team.cole):
        assert f'href="/people/{member.user_id}"' in body
        assert member.display_name in body
    # Ada: one team artifact and its 12.5 hours; her private 100 hours are never counted.
    ada_item = body.split(f'id="person-{team.ada.user_id}"', 1)[1].split("</li>", 1)[0]
    assert "1 team artifact " in ada_item and "12.5 hours saved" in ada_item
    assert "112.5" not in body
    cole_item = body.split(f'id="person-{team.cole.user_id}"', 1)[1].split("</li>", 1)[0]
    assert "0 team artifacts" in cole_item and "(you)" in cole_item


def test_outsiders_are_never_listed(app, team):
    body = _client(app, team.olga).get("/people").get_data(as_text=True)
    for member in (team.ada, team.cole):
        assert str(member.user_id) not in body
        assert member.display_name not in body and member.email not in body
    assert team.olga.display_name in body


def test_list_people_counts_only_team_work(db, team):
    people = {m.user_id: m for m in people_data.list_people(db, team.ada.actor)}
    assert set(people) == {team.ada.user_id, team.cole.user_id}
    assert (people[team.ada.user_id].team_artifacts, people[team.ada.user_id].team_hours_saved) \
        == (1, 12.5)
    assert people[team.cole.user_id].team_artifacts == 0


# --- a colleague's portfolio --------------------------------------------------------------------


def test_colleague_sees_team_artifacts_and_never_private_ones(app, team):
    response = _client(app, team.cole).get(f"/people/{team.ada.user_id}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert _rows(body) == [str(team.team_entry.id)]
    assert "Shared pipeline" in body
    assert "Secret salary sheet" not in body and str(team.private_entry.id) not in body
    assert "100 h saved" not in body


def test_colleague_page_is_read_only_but_keeps_the_row_list(app, team):
    body = _client(app, team.cole).get(f"/people/{team.ada.user_id}").get_data(as_text=True)
    # Same list markup as /portfolio, so the keyboard's j/k finds the rows.
    assert '<ol id="artifacts" class="artifact-list"' in body
    assert f'<li id="artifact-{team.team_entry.id}" class="artifact" data-v=' in body
    # No edit or delete controls, no editing shortcuts, no New button; reading is there.
    for marker in ("artifact-edit", "artifact-delete", "hx-delete", "hx-patch",
                   'aria-keyshortcuts="e"', 'aria-keyshortcuts="d', "new-artifact", "/edit",
                   "undo-form"):
        assert marker not in body, marker
    # More comes from the page's template (app.js); the row's URL is its title link's.
    assert '<template id="row-actions"><div class="artifact-actions"><a class="artifact-more"' \
        ' href="" aria-expanded="false">More</a></div></template>' in body
    assert f'<h2><a href="/people/{team.ada.user_id}/artifacts/{team.team_entry.id}">' in body


def test_private_work_disappears_when_made_private(app, db, team):
    client = _client(app, team.cole)
    artifacts.update_artifact(db, team.ada.actor, team.team_entry.id, {"visibility": "private"})
    body = client.get(f"/people/{team.ada.user_id}").get_data(as_text=True)
    assert _rows(body) == []
    assert "not shared any work" in body


def test_own_page_shows_what_colleagues_see(app, team):
    body = _client(app, team.ada).get(f"/people/{team.ada.user_id}").get_data(as_text=True)
    assert _rows(body) == [str(team.team_entry.id)]
    assert "Secret salary sheet" not in body


def test_private_work_is_invisible_to_colleagues_as_portfolio_app(database_url, team):
    """No WHERE clause, no app code: only the policies decide what Cole can read."""
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        conn.execute(
            "SELECT set_config('role', 'portfolio_app', true),"
            " set_config('app.tenant_id', %s, true), set_config('app.user_id', %s, true)",
            (str(team.cole.tenant_id), str(team.cole.user_id)),
        )
        rows = conn.execute("SELECT id, user_id, visibility FROM work_artifacts").fetchall()
        visible = {r["id"] for r in rows}
        assert team.team_entry.id in visible
        assert team.private_entry.id not in visible
        assert team.olga_entry.id not in visible
        assert all(r["visibility"] == "team" or r["user_id"] == team.cole.user_id for r in rows)
        direct = conn.execute(
            "SELECT count(*) AS n FROM work_artifacts WHERE id = %s", (team.private_entry.id,)
        ).fetchone()
        assert direct["n"] == 0
        conn.rollback()


@pytest.mark.parametrize("kind", ["other workspace", "unknown", "malformed"])
def test_anyone_outside_the_workspace_is_404(app, team, kind):
    target = {
        "other workspace": str(team.ada.user_id),
        "unknown": str(uuid4()),
        "malformed": "not-a-uuid",
    }[kind]
    client = _client(app, team.olga)
    response = client.get(f"/people/{target}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert team.ada.display_name not in body and "Shared pipeline" not in body
    htmx = client.get(f"/people/{target}", headers=HTMX)
    assert htmx.status_code == 404


def test_get_colleague_portfolio_raises_not_found_across_workspaces(db, team):
    with pytest.raises(NotFound):
        people_data.get_colleague_portfolio(db, team.olga.actor, team.ada.user_id)
    member, portfolio = people_data.get_colleague_portfolio(db, team.cole.actor,
                                                            team.ada.user_id)
    assert member.display_name == "Ada Lovelace"
    assert [e.id for e in portfolio.entries] == [team.team_entry.id]


@pytest.mark.parametrize("path", ["/people", "/people/{ada}"])
def test_people_pages_need_login(app, team, path):
    response = app.test_client().get(path.format(ada=team.ada.user_id))
    assert response.status_code == 303
    assert "/login" in response.headers["Location"]


def test_nav_links_to_people(app, team):
    body = _client(app, team.cole).get("/portfolio").get_data(as_text=True)
    assert 'href="/people"' in body
