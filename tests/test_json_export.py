"""GET /portfolio/artifacts.json: the user's own WorkArtifactEntry records in page order,
with ISO 8601 dates and times, and the limit; nobody else's rows."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from tests.support import SQL, make_artifact, sign_in

FIELDS = {
    "id", "tenant_id", "user_id", "title", "description", "artifact_type", "artifact_date",
    "source_url", "visibility", "estimated_hours_saved", "suggested_skill_ids", "version",
    "created_at", "updated_at",
    "skills",  # added by SPEC §9: each skill's id and label
}


@pytest.fixture
def token(client, owner):
    return sign_in(client, owner)


def test_empty_export(client, token):
    response = client.get("/portfolio/artifacts.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"artifacts": [], "limit": 50}


def test_export_has_every_field_in_page_order(client, token, db, owner, make_colleague,
                                              make_workspace):
    undated = make_artifact(db, owner, title="Undated")
    old = make_artifact(db, owner, title="Old", artifact_date=date(2018, 7, 1))
    full = make_artifact(db, owner, title="Full <&> “quotes”", description="Line\nTwo",
                         artifact_type="code", artifact_date=date(2021, 3, 15),
                         source_url="https://example.com/a?b=1", visibility="team",
                         estimated_hours_saved=12.5, suggested_skill_ids=["sql", "Looker"])
    # Other people's artifacts, even team ones in the same workspace, are not exported.
    make_artifact(db, make_colleague(owner.tenant_id), title="Colleague", visibility="team")
    make_artifact(db, make_workspace("Other"), title="Stranger")

    body = client.get("/portfolio/artifacts.json").get_json()
    assert body["limit"] == 50
    assert [a["title"] for a in body["artifacts"]] == [full.title, old.title, undated.title]
    first = body["artifacts"][0]
    assert set(first) == FIELDS
    assert first == {
        **first,
        "id": str(full.id),
        "tenant_id": str(owner.tenant_id),
        "user_id": str(owner.user_id),
        "description": "Line\nTwo",
        "artifact_type": "code",
        "artifact_date": "2021-03-15",
        "source_url": "https://example.com/a?b=1",
        "visibility": "team",
        "estimated_hours_saved": 12.5,
        # "sql" names a catalog skill, so it was stored as its id; "Looker" is kept as typed.
        "suggested_skill_ids": [SQL, "Looker"],
        "skills": [{"id": SQL, "label": "SQL"}, {"id": "Looker", "label": "Looker"}],
        "version": 1,
    }
    for moment in (first["created_at"], first["updated_at"]):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", moment)
        assert datetime.fromisoformat(moment).utcoffset().total_seconds() == 0
    last = body["artifacts"][-1]
    assert (last["artifact_date"], last["source_url"], last["estimated_hours_saved"],
            last["suggested_skill_ids"], last["description"]) == (None, None, None, [], "")


def test_export_matches_the_data_module(client, token, db, owner):
    from tests.support import actor_of
    from workhistory.data import artifacts

    for i in range(3):
        make_artifact(db, owner, title=f"A{i}", estimated_hours_saved=float(i))
    body = client.get("/portfolio/artifacts.json").get_json()
    expected = [e.to_dict() for e in artifacts.list_artifacts(db, actor_of(owner)).entries]
    assert body["artifacts"] == expected


def test_export_needs_login(client):
    response = client.get("/portfolio/artifacts.json")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")
