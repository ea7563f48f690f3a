"""Dates as people know them (SPEC §10): a day, a month or a year in one text field, shown with
a four-digit year, refused before 1950 and in the future by the form and by the database, and
exported in ISO 8601 at their precision. Migration 0030 keeps every stored date."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import date, timedelta

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support import VALID, htmx, make_artifact, row_of, sign_in, with_dbname
from workhistory import migrate
from workhistory.data import accounts, artifacts, search
from workhistory.data.errors import InvalidData
from workhistory.web import dates
from workhistory.web.rules import clean_date, today_utc

ARTIFACTS = "/portfolio/artifacts"


@pytest.mark.parametrize(("typed", "expected"), [
    ("2019", (date(2019, 1, 1), "year")),
    (" 2019 ", (date(2019, 1, 1), "year")),
    ("Mar 2019", (date(2019, 3, 1), "month")),
    ("march 2019", (date(2019, 3, 1), "month")),
    ("MAR. 2019", (date(2019, 3, 1), "month")),
    ("Sept 2019", (date(2019, 9, 1), "month")),
    ("2019-03", (date(2019, 3, 1), "month")),
    ("2019/3", (date(2019, 3, 1), "month")),
    ("14 Mar 2019", (date(2019, 3, 14), "day")),
    ("14  March   2019", (date(2019, 3, 14), "day")),
    ("Mar 14, 2019", (date(2019, 3, 14), "day")),
    ("2019-03-14", (date(2019, 3, 14), "day")),
    ("2019/3/14", (date(2019, 3, 14), "day")),
    ("29 Feb 2020", (date(2020, 2, 29), "day")),
])
def test_every_way_of_writing_a_date_is_read(typed, expected):
    assert dates.parse(typed) == expected
    assert clean_date(typed) == expected


@pytest.mark.parametrize(("typed", "message"), [
    ("19", "four digits"),
    ("Mar 19", "four digits"),
    ("14/03/2019", "like 2019, Mar 2019 or 14 Mar 2019"),
    ("03/14/2019", "like 2019, Mar 2019 or 14 Mar 2019"),
    ("Smarch 2019", "in English"),
    ("31 Feb 2019", "no such date"),
    ("2019-13", "no such date"),
    ("١٢ Mar 2019", "like 2019"),
    ("yesterday", "like 2019"),
])
def test_text_that_is_no_date_says_what_to_type(typed, message):
    with pytest.raises(ValueError, match=message):
        clean_date(typed)


def test_dates_before_1950_and_in_the_future_are_refused():
    with pytest.raises(ValueError, match="from 1950 on"):
        clean_date("1949")
    with pytest.raises(ValueError, match="from 1950 on"):
        clean_date("0040-03-15")
    assert clean_date("1950") == (date(1950, 1, 1), "year")
    today = today_utc()
    with pytest.raises(ValueError, match="future"):
        clean_date((today + timedelta(days=1)).isoformat())
    # A month or a year that has begun is not in the future.
    assert clean_date(f"{dates.MONTHS[today.month - 1]} {today.year}")[1] == "month"
    assert clean_date(str(today.year)) == (date(today.year, 1, 1), "year")
    next_month = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    with pytest.raises(ValueError, match="future"):
        clean_date(next_month.strftime("%Y-%m"))


def test_dates_are_shown_with_four_digit_years():
    assert dates.text(date(2019, 3, 14)) == "14 Mar 2019"
    assert dates.text(date(2019, 3, 1), "month") == "Mar 2019"
    assert dates.text(date(2019, 1, 1), "year") == "2019"
    assert dates.text(date(40, 3, 15)) == "15 Mar 0040"  # a row stored before the 1950 rule
    for precision in artifacts.PRECISIONS:  # what is shown reads back as the same date
        value = date(2019, 1, 1)
        assert dates.parse(dates.text(value, precision)) == (value, precision)


@pytest.fixture
def token(client, owner):
    return sign_in(client, owner)


@pytest.mark.parametrize(("typed", "stored", "precision", "shown", "iso"), [
    ("2019", date(2019, 1, 1), "year", "2019", "2019"),
    ("Mar 2019", date(2019, 3, 1), "month", "Mar 2019", "2019-03"),
    ("2019-03", date(2019, 3, 1), "month", "Mar 2019", "2019-03"),
    ("14 Mar 2019", date(2019, 3, 14), "day", "14 Mar 2019", "2019-03-14"),
    ("2019-03-14", date(2019, 3, 14), "day", "14 Mar 2019", "2019-03-14"),
])
def test_the_form_stores_shows_and_exports_each_precision(client, token, admin, owner, typed,
                                                          stored, precision, shown, iso):
    response = client.post(ARTIFACTS, data={**VALID, "artifact_date": typed},
                           headers=htmx(token))
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    row = admin.execute(
        "SELECT id, artifact_date, artifact_date_precision FROM work_artifacts"
        " WHERE user_id = %s ORDER BY created_at DESC LIMIT 1", (owner.user_id,)).fetchone()
    assert (row["artifact_date"], row["artifact_date_precision"]) == (stored, precision)
    html = response.get_data(as_text=True)
    assert f'<time datetime="{iso}">{shown}</time>' in html
    # The edit form shows the date as the row does, and saving it untouched changes nothing.
    form = client.get(f"{ARTIFACTS}/{row['id']}/edit", headers=htmx(token)).get_data(
        as_text=True)
    assert f'value="{shown}"' in form
    client.patch(f"{ARTIFACTS}/{row['id']}", data={"artifact_date": shown, "version": "1"},
                 headers=htmx(token))
    again = row_of(admin, row["id"])
    assert (again["artifact_date"], again["artifact_date_precision"]) == (stored, precision)
    # JSON and CSV: ISO 8601 at its precision, under the same key as ever (SPEC §3).
    exported = json.loads(client.get("/portfolio/artifacts.json").get_data(as_text=True))
    by_id = {a["id"]: a for a in exported["artifacts"]}
    assert by_id[str(row["id"])]["artifact_date"] == iso
    assert "artifact_date_precision" not in by_id[str(row["id"])]
    csv_text = client.get("/portfolio/artifacts.csv").get_data(as_text=True)
    assert f",{iso}," in csv_text


def test_clearing_the_date_clears_its_precision(client, token, db, admin, owner):
    entry = make_artifact(db, owner, artifact_date=date(2019, 1, 1),
                          artifact_date_precision="year")
    response = client.patch(f"{ARTIFACTS}/{entry.id}", data={"artifact_date": ""},
                            headers=htmx(token))
    assert response.status_code == 200
    row = row_of(admin, entry.id)
    assert (row["artifact_date"], row["artifact_date_precision"]) == (None, "day")
    assert ">Undated<" in response.get_data(as_text=True)


def test_the_field_is_one_text_box_with_a_hint(client, token):
    html = client.get(f"{ARTIFACTS}/new", headers=htmx(token)).get_data(as_text=True)
    assert '<input type="text" id="artifact_date-new" name="artifact_date"' \
        ' aria-describedby="artifact_date-hint-new"' in html
    assert 'type="date"' not in html
    assert "2019, Mar 2019 or 14 Mar 2019" in html


@pytest.mark.parametrize(("column_values", "constraint"), [
    ({"artifact_date": date(1949, 12, 31)}, "work_artifacts_date_from_1950"),
    ({"artifact_date": date(40, 3, 15)}, "work_artifacts_date_from_1950"),
    ({"artifact_date": date(2019, 3, 14), "artifact_date_precision": "month"},
     "work_artifacts_date_precision_start"),
    ({"artifact_date": date(2019, 3, 1), "artifact_date_precision": "year"},
     "work_artifacts_date_precision_start"),
    ({"artifact_date": None, "artifact_date_precision": "year"},
     "work_artifacts_date_precision_start"),
    ({"artifact_date": date(2019, 3, 1), "artifact_date_precision": "week"},
     "work_artifacts_date_precision_known"),
])
def test_the_database_refuses_what_the_form_refuses(db, owner, column_values, constraint):
    with pytest.raises(InvalidData) as caught:
        artifacts.create_artifact(db, owner.actor, {"title": "Bad date", **column_values})
    assert caught.value.constraint == constraint


def test_a_year_sorts_as_its_first_day_after_the_precise_dates_in_it(db, make_workspace):
    user = make_workspace(name="Sorting")
    for title, when, precision in [
        ("2019", date(2019, 1, 1), "year"), ("Jan 2019", date(2019, 1, 1), "month"),
        ("1 Jan 2019", date(2019, 1, 1), "day"), ("Mar 2019", date(2019, 3, 1), "month"),
        ("14 Mar 2019", date(2019, 3, 14), "day"), ("2018", date(2018, 1, 1), "year"),
        ("Undated", None, "day"),
    ]:
        artifacts.create_artifact(db, user.actor, {"title": title, "artifact_date": when,
                                                   "artifact_date_precision": precision})
    listed = artifacts.list_artifacts(db, user.actor)
    assert [e.title for e in listed.entries] == [
        "14 Mar 2019", "Mar 2019", "1 Jan 2019", "Jan 2019", "2019", "2018", "Undated"]
    in_2019 = artifacts.list_artifacts(db, user.actor, search.Filters(year=2019))
    assert [e.title for e in in_2019.entries] == [
        "14 Mar 2019", "Mar 2019", "1 Jan 2019", "Jan 2019", "2019"]
    assert listed.years == (2019, 2018)


# --- The migration keeps every stored date ---------------------------------------------------
@pytest.fixture
def url_before_0030(pg_server, tmp_path):
    """A database migrated up to 0029 (everything before this feature), dropped after."""
    name = f"portfolio_0030_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    for path in sorted(migrate.MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "0030":
            shutil.copy(path, tmp_path / path.name)
    url = with_dbname(pg_server, name)
    migrate.upgrade(url, tmp_path)
    yield url
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_keeps_every_date_even_one_before_1950(url_before_0030):
    from workhistory.data.db import Database
    db = Database(url_before_0030, max_size=2)
    db.open()
    try:
        user = accounts.create_workspace(db, "Old rows", "old@example.com", "Olga", "x" * 12)
    finally:
        db.close()
    with psycopg.connect(url_before_0030, row_factory=dict_row) as conn:  # as the old app did
        old, fine = (conn.execute(
            "INSERT INTO work_artifacts (tenant_id, user_id, title, artifact_date)"
            " VALUES (%s, %s, %s, %s) RETURNING id",
            (user.tenant_id, user.user_id, title, when)).fetchone()["id"]
            for title, when in (("Year 40", date(40, 3, 15)), ("Fine", date(2019, 3, 14))))
    migrate.upgrade(url_before_0030)  # 0030 and later apply over the old row
    with psycopg.connect(url_before_0030, row_factory=dict_row) as conn:
        rows = {r["title"]: r for r in conn.execute(
            "SELECT title, artifact_date, artifact_date_precision FROM work_artifacts")}
        validated = conn.execute(
            "SELECT convalidated FROM pg_constraint"
            " WHERE conname = 'work_artifacts_date_from_1950'").fetchone()["convalidated"]
    assert rows["Year 40"]["artifact_date"] == date(40, 3, 15)
    assert rows["Fine"]["artifact_date"] == date(2019, 3, 14)
    assert {r["artifact_date_precision"] for r in rows.values()} == {"day"}
    assert validated is False  # NOT VALID: old rows stay, every write is checked
    db = Database(url_before_0030, max_size=2)
    db.open()
    try:
        # Editing the old row asks for a date from 1950 on; the fine one edits as ever.
        with pytest.raises(InvalidData) as caught:
            artifacts.update_artifact(db, user.actor, old, {"title": "Year 40, renamed"})
        assert caught.value.constraint == "work_artifacts_date_from_1950"
        artifacts.update_artifact(db, user.actor, fine, {"title": "Fine, renamed"})
        entry, _ = artifacts.update_artifact(db, user.actor, old,
                                             {"artifact_date": date(1990, 1, 1),
                                              "artifact_date_precision": "year"})
        assert entry.date_iso == "1990"
    finally:
        db.close()


def test_editing_an_old_row_shows_the_date_rule_beside_the_field(client, token, db, admin,
                                                                 owner):
    entry = make_artifact(db, owner, title="Recent")
    # A row saved before the 1950 rule existed (the migration test above makes one for real).
    admin.execute("ALTER TABLE work_artifacts DROP CONSTRAINT work_artifacts_date_from_1950")
    admin.execute("UPDATE work_artifacts SET artifact_date = '0040-03-15' WHERE id = %s",
                  (entry.id,))
    admin.execute("ALTER TABLE work_artifacts ADD CONSTRAINT work_artifacts_date_from_1950"
                  " CHECK (artifact_date >= DATE '1950-01-01') NOT VALID")
    page = client.get("/portfolio").get_data(as_text=True)
    assert '<time datetime="0040-03-15">15 Mar 0040</time>' in page
    response = client.patch(f"{ARTIFACTS}/{entry.id}", data={"title": "Renamed"},
                            headers=htmx(token))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="field-error" id="artifact_date-error-{entry.id}">Use a date from 1950 on.' \
        in html
    assert row_of(admin, entry.id)["title"] == "Recent"
