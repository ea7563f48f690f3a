"""The artifact data module (SPEC §4): partial update with versions, not-found for anything not
the caller's, page order, ISO serialisation, and totals that match the table."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from workhistory.data import artifacts, people
from workhistory.data.errors import Conflict, NotFound

FULL = {
    "title": "Quarterly forecast model",
    "description": "Driver-based model replacing manual roll-ups.",
    "artifact_type": "analysis",
    "artifact_date": date(2021, 3, 15),
    "source_url": "https://wiki.example.com/forecast",
    "visibility": "team",
    "estimated_hours_saved": 120.5,
    "suggested_skill_ids": ["forecasting", "excel"],
}


def _row(admin, artifact_id) -> dict | None:
    return admin.execute(
        f"SELECT {artifacts.READ} FROM work_artifacts WHERE id = %s",  # noqa: S608
        (artifact_id,),
    ).fetchone()


def _totals(admin, user) -> tuple[int, float]:
    row = admin.execute(
        "SELECT count(*) AS n, coalesce(sum(estimated_hours_saved), 0) AS h"
        " FROM work_artifacts WHERE tenant_id = %s AND user_id = %s",
        (user.tenant_id, user.user_id),
    ).fetchone()
    return row["n"], row["h"]


@pytest.fixture
def full(db, owner):
    entry, _ = artifacts.create_artifact(db, owner.actor, dict(FULL))
    return entry


# --- partial update -----------------------------------------------------------------------


def test_create_stores_every_given_field(db, owner, full, admin):
    stored = _row(admin, full.id)
    for column, value in FULL.items():
        assert stored[column] == value, column
    assert stored["user_id"] == owner.user_id
    assert stored["tenant_id"] == owner.tenant_id
    assert stored["version"] == 1
    assert artifacts.WorkArtifactEntry.from_row(stored) == full


def test_absent_fields_are_unchanged(db, owner, full, admin):
    before = _row(admin, full.id)
    entry, _ = artifacts.update_artifact(db, owner.actor, full.id, {"title": "Renamed model"})
    after = _row(admin, full.id)
    assert after["title"] == "Renamed model"
    for column in artifacts.UPDATABLE:
        if column != "title":
            assert after[column] == before[column], column
    assert artifacts.WorkArtifactEntry.from_row(after) == entry


def test_update_increments_version_by_one_and_advances_updated_at(db, owner, full, admin):
    entry, _ = artifacts.update_artifact(db, owner.actor, full.id, {"visibility": "private"})
    assert entry.version == full.version + 1
    assert entry.updated_at > full.updated_at
    assert entry.created_at == full.created_at
    again, _ = artifacts.update_artifact(
        db, owner.actor, full.id, {"visibility": "team"}, expected_version=entry.version
    )
    assert again.version == full.version + 2
    assert _row(admin, full.id)["version"] == full.version + 2


@pytest.mark.parametrize(
    ("column", "empty"),
    [
        ("description", ""),
        ("artifact_date", None),
        ("source_url", None),
        ("estimated_hours_saved", None),
        ("suggested_skill_ids", []),
    ],
)
def test_empty_optional_fields_are_cleared(db, owner, full, admin, column, empty):
    entry, _ = artifacts.update_artifact(db, owner.actor, full.id, {column: empty})
    assert getattr(entry, column) == empty
    stored = _row(admin, full.id)
    assert stored[column] == empty
    assert stored["title"] == FULL["title"]


def test_all_optional_fields_cleared_at_once(db, owner, full, admin):
    cleared = {
        "description": "",
        "artifact_date": None,
        "source_url": None,
        "estimated_hours_saved": None,
        "suggested_skill_ids": [],
    }
    artifacts.update_artifact(db, owner.actor, full.id, cleared, expected_version=1)
    stored = _row(admin, full.id)
    assert {c: stored[c] for c in cleared} == cleared
    assert stored["version"] == 2


def test_stale_version_is_a_conflict_carrying_the_current_record(db, owner, full, admin):
    artifacts.update_artifact(db, owner.actor, full.id, {"title": "Saved elsewhere"})
    with pytest.raises(Conflict) as caught:
        artifacts.update_artifact(
            db, owner.actor, full.id, {"title": "My stale edit"}, expected_version=1
        )
    current = caught.value.current
    assert isinstance(current, artifacts.WorkArtifactEntry)
    assert current.version == 2
    assert current.title == "Saved elsewhere"
    stored = _row(admin, full.id)
    assert (stored["title"], stored["version"]) == ("Saved elsewhere", 2)


@pytest.mark.parametrize("whose", ["colleague-team", "colleague-private", "other-workspace"])
@pytest.mark.parametrize("version", [None, 1], ids=["no-version", "guessed-version"])
def test_someone_elses_artifact_is_not_found(
    db, owner, make_colleague, make_workspace, admin, whose, version
):
    if whose == "other-workspace":
        other = make_workspace(name="Elsewhere")
    else:
        other = make_colleague(owner.tenant_id)
    visibility = "private" if whose == "colleague-private" else "team"
    theirs, _ = artifacts.create_artifact(
        db, other.actor, {"title": "Not yours", "visibility": visibility}
    )
    with pytest.raises(NotFound):
        artifacts.update_artifact(
            db, owner.actor, theirs.id, {"title": "Taken"}, expected_version=version
        )
    with pytest.raises(NotFound):
        artifacts.get_artifact(db, owner.actor, theirs.id)
    with pytest.raises(NotFound):
        artifacts.delete_artifact(db, owner.actor, str(theirs.id))
    stored = _row(admin, theirs.id)
    assert (stored["title"], stored["version"]) == ("Not yours", 1)


@pytest.mark.parametrize(
    "artifact_id",
    [str(uuid4()), "not-a-uuid", "", "1; DROP TABLE work_artifacts", None, 42],
    ids=["unknown", "malformed", "empty", "injection", "none", "int"],
)
@pytest.mark.parametrize("version", [None, 1], ids=["no-version", "guessed-version"])
def test_unknown_or_malformed_id_is_not_found(db, owner, full, artifact_id, version):
    with pytest.raises(NotFound):
        artifacts.update_artifact(
            db, owner.actor, artifact_id, {"title": "x"}, expected_version=version
        )
    with pytest.raises(NotFound):
        artifacts.get_artifact(db, owner.actor, artifact_id)
    with pytest.raises(NotFound):
        artifacts.delete_artifact(db, owner.actor, artifact_id)


@pytest.mark.parametrize(
    "column", ["user_id", "tenant_id", "version", "id", "created_at", "updated_at", "title; --"]
)
def test_columns_outside_the_allow_list_are_refused_before_sql(db, owner, full, admin, column):
    with pytest.raises(ValueError, match="not updatable"):
        artifacts.update_artifact(db, owner.actor, full.id, {"title": "x", column: uuid4()})
    with pytest.raises(ValueError, match="not updatable"):
        artifacts.create_artifact(db, owner.actor, {"title": "x", column: uuid4()})
    stored = _row(admin, full.id)
    assert (stored["title"], stored["version"]) == (FULL["title"], 1)


# --- reading ------------------------------------------------------------------------------


def test_list_is_in_page_order(db, make_workspace, make_colleague):
    user = make_workspace(name="Ordered")
    specs = [
        ("undated older", None),
        ("2020", date(2020, 1, 1)),
        ("2022", date(2022, 5, 5)),
        ("2021 older", date(2021, 6, 1)),
        ("2021 newer", date(2021, 6, 1)),
        ("undated newer", None),
    ]
    for title, when in specs:  # each in its own transaction: created_at increases
        artifacts.create_artifact(db, user.actor, {"title": title, "artifact_date": when})
    colleague = make_colleague(user.tenant_id)
    artifacts.create_artifact(db, colleague.actor, {"title": "theirs", "visibility": "team"})

    portfolio = artifacts.list_artifacts(db, user.actor)
    assert [e.title for e in portfolio.entries] == [
        "2022",
        "2021 newer",
        "2021 older",
        "2020",
        "undated newer",
        "undated older",
    ]
    assert all(e.user_id == user.user_id for e in portfolio.entries)


def test_team_list_shows_only_a_colleagues_team_artifacts(db, owner, make_colleague):
    colleague = make_colleague(owner.tenant_id)
    shared, _ = artifacts.create_artifact(
        db, colleague.actor, {"title": "shared", "visibility": "team"}
    )
    artifacts.create_artifact(db, colleague.actor, {"title": "hidden", "visibility": "private"})
    team = artifacts.list_team_artifacts(db, owner.actor, colleague.user_id)
    assert [e.id for e in team.entries] == [shared.id]
    # The totals are the colleague's team artifacts', never their private ones.
    assert team.summary.count == 1
    with pytest.raises(NotFound):
        people.get_colleague_portfolio(db, owner.actor, "not-a-uuid")


def test_to_dict_is_iso_8601_and_json_ready(db, owner, full):
    data = full.to_dict()
    assert json.loads(json.dumps(data)) == data
    # SPEC §3: the export keeps the 14 columns' keys (the date's precision is in its value),
    # then the skills' labels (SPEC §9).
    assert list(data) == list(artifacts.EXPORT_KEYS)
    assert set(artifacts.WorkArtifactEntry.__slots__) - set(data) == {
        "artifact_date_precision", "skill_labels"}
    assert data["id"] == str(full.id)
    assert data["artifact_date"] == "2021-03-15"
    for key in ("created_at", "updated_at"):
        assert data[key].endswith("+00:00"), data[key]
        assert datetime.fromisoformat(data[key]) == getattr(full, key)
        assert "T" in data[key]
    assert data["suggested_skill_ids"] == ["forecasting", "excel"]
    assert data["estimated_hours_saved"] == 120.5

    undated, _ = artifacts.create_artifact(db, owner.actor, {"title": "Undated"})
    plain = undated.to_dict()
    assert plain["artifact_date"] is None
    assert plain["source_url"] is None
    assert plain["estimated_hours_saved"] is None
    assert plain["description"] == ""
    assert plain["artifact_type"] == "other"
    assert plain["visibility"] == "private"
    assert plain["suggested_skill_ids"] == []


def test_to_dict_converts_times_to_utc_whatever_the_session_zone(full):
    shifted = artifacts.WorkArtifactEntry(
        **{
            **{name: getattr(full, name) for name in artifacts.WorkArtifactEntry.__slots__},
            "created_at": full.created_at.astimezone(timezone(timedelta(hours=5, minutes=30))),
        }
    )
    assert shifted.to_dict()["created_at"] == full.to_dict()["created_at"]


# --- totals -------------------------------------------------------------------------------


def test_summaries_match_the_table_after_each_operation(db, make_workspace, admin):
    user = make_workspace(name="Totals")
    summaries = []
    ids = []
    for hours in (1.5, None, 10.25):
        entry, summary = artifacts.create_artifact(
            db, user.actor, {"title": "t", "estimated_hours_saved": hours}
        )
        ids.append(entry.id)
        summaries.append(summary)
        assert (summary.count, summary.hours_saved) == _totals(admin, user)
    assert [s.count for s in summaries] == [1, 2, 3]
    assert math.isclose(summaries[-1].hours_saved, 11.75)

    _, summary = artifacts.update_artifact(db, user.actor, ids[1], {"estimated_hours_saved": 100.0})
    assert (summary.count, summary.hours_saved) == _totals(admin, user) == (3, 111.75)
    _, summary = artifacts.update_artifact(db, user.actor, ids[0], {"title": "renamed"})
    assert (summary.count, summary.hours_saved) == _totals(admin, user) == (3, 111.75)

    title, summary = artifacts.delete_artifact(db, user.actor, ids[2])
    assert title == "t"
    assert (summary.count, summary.hours_saved) == _totals(admin, user) == (2, 101.5)
    assert _row(admin, ids[2]) is None

    _, summary = artifacts.restore_artifact(db, user.actor, ids[2])
    assert (summary.count, summary.hours_saved) == _totals(admin, user) == (3, 111.75)
    _, summary = artifacts.delete_artifact(db, user.actor, ids[2])
    assert (summary.count, summary.hours_saved) == _totals(admin, user) == (2, 101.5)

    _, summary = artifacts.get_artifact_and_totals(db, user.actor, ids[0])
    assert (summary.count, summary.hours_saved) == _totals(admin, user)
    summary = artifacts.owner_totals(db, user.actor)
    assert (summary.count, summary.hours_saved) == _totals(admin, user)

    listed = artifacts.list_artifacts(db, user.actor).summary
    assert (listed.count, listed.hours_saved) == (2, 101.5)
    assert listed.limit == 50
