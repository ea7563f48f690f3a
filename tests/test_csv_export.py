"""CSV export: RFC 4180 text that round-trips through Python's csv module, formula cells
neutralised, and over HTTP the same rows as the JSON export."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from tests.support import sign_in
from workhistory.data import artifacts
from workhistory.web.csv_export import COLUMNS, artifacts_csv, neutralise

NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def _entry(**values) -> artifacts.WorkArtifactEntry:
    row = {
        "id": uuid4(),
        "tenant_id": uuid4(),
        "user_id": uuid4(),
        "title": "Plain title",
        "description": "",
        "artifact_type": "other",
        "artifact_date": None,
        "source_url": None,
        "visibility": "private",
        "estimated_hours_saved": None,
        "suggested_skill_ids": [],
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }
    row.update(values)
    return artifacts.WorkArtifactEntry(**row)


def _parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_header_row_then_one_row_per_entry():
    rows = _parse(artifacts_csv([_entry(), _entry()]))
    assert rows[0] == list(artifacts.EXPORT_KEYS)
    assert rows[0][:4] == ["id", "tenant_id", "user_id", "title"]
    assert len(rows) == 3


def test_empty_export_is_just_the_header():
    assert artifacts_csv([]) == ",".join(COLUMNS) + "\r\n"


TRICKY = [
    "comma, inside",
    'a "quoted" word',
    "two\nlines",
    "windows\r\nline",
    "trailing space ",
    "Ünïcödé — “quotes” 日本語 🎉",
    '",\n"',
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_quoting_round_trips(text):
    entry = _entry(title=text or "x", description=text, source_url="https://example.com/a,b")
    [header, row] = _parse(artifacts_csv([entry]))
    record = dict(zip(header, row, strict=True))
    assert record["title"] == (text or "x")
    assert record["description"] == text
    assert record["source_url"] == "https://example.com/a,b"


def test_lines_end_with_crlf_and_fields_are_quoted_only_when_needed():
    text = artifacts_csv([_entry(title='say "hi", bye', description="plain")])
    assert text.endswith("\r\n")
    header, row, tail = text.split("\r\n")
    assert tail == ""
    assert '"say ""hi"", bye"' in row
    assert ",plain," in row  # no quotes around a field that needs none


def test_values_are_written_like_the_json():
    entry = _entry(
        artifact_date=date(2021, 3, 15),
        estimated_hours_saved=12.5,
        suggested_skill_ids=["sql", "statistics"],
        visibility="team",
        version=3,
    )
    [header, row] = _parse(artifacts_csv([entry]))
    record = dict(zip(header, row, strict=True))
    assert record["artifact_date"] == "2021-03-15"
    assert record["estimated_hours_saved"] == "12.5"
    assert record["suggested_skill_ids"] == "sql, statistics"
    assert record["created_at"] == "2024-05-01T12:30:00+00:00"
    assert record["version"] == "3"
    assert record["source_url"] == ""  # null is an empty cell


@pytest.mark.parametrize(
    "dangerous",
    ["=1+1", '=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3",
     "@SUM(A1:A2)", "\tindented", "\rreturn"],
)
def test_formula_cells_are_neutralised(dangerous):
    entry = _entry(title="t", description=dangerous, suggested_skill_ids=[dangerous.strip()])
    [header, row] = _parse(artifacts_csv([entry]))
    record = dict(zip(header, row, strict=True))
    assert record["description"] == "'" + dangerous
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize("safe", ["a=b", "1+1", "email@example.com", "x - y", "'quoted"])
def test_harmless_cells_are_unchanged(safe):
    assert neutralise(safe) == safe


# --- over HTTP ----------------------------------------------------------------------------------


def test_csv_download_has_the_same_rows_as_the_json(app, db, owner, make_colleague):
    for values in (
        {"title": "=cmd|' /C calc'!A0", "artifact_date": date(2023, 1, 2)},
        {"title": "Ünïcödé, “quoted”", "description": "He said \"hi\"\nand more",
         "estimated_hours_saved": 2.25, "suggested_skill_ids": ["sql", "@mention"],
         "visibility": "team"},
        {"title": "Undated", "source_url": "https://example.com/?a=1,b=2"},
    ):
        artifacts.create_artifact(db, owner.actor, values)
    colleague = make_colleague(owner.tenant_id)
    artifacts.create_artifact(db, colleague.actor, {"title": "Not mine", "visibility": "team"})

    client = app.test_client()
    sign_in(client, owner)
    response = client.get("/portfolio/artifacts.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params.get("charset") == "utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = _parse(response.get_data().decode("utf-8"))

    exported = json.loads(client.get("/portfolio/artifacts.json").get_data())["artifacts"]
    assert len(exported) == 3
    assert rows[0] == list(COLUMNS)
    assert set(rows[0]) == set(exported[0])  # the JSON sorts its keys; same fields

    def as_cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, list):  # ids by ", "; the skills (id and label) by label, "; "
            value = "; ".join(v["label"] for v in value) if value and isinstance(value[0], dict) \
                else ", ".join(value)
        return neutralise(str(value))

    assert rows[1:] == [[as_cell(item[k]) for k in rows[0]] for item in exported]
    assert "Not mine" not in response.get_data(as_text=True)
    assert rows[1][rows[0].index("title")] == "'=cmd|' /C calc'!A0"


def test_csv_needs_login(app):
    response = app.test_client().get("/portfolio/artifacts.csv")
    assert response.status_code == 303
    assert "/login" in response.headers["Location"]
