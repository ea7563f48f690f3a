"""Import (SPEC §12): a file in the export's own format comes back as the same artifacts; the
preview lists every row with its errors and creates nothing; confirming creates all or none;
bad files get a 4xx with a clear message and never a 500."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date

import pytest

from tests.support import assert_no_traceback, csrf_token, make_artifact, sign_in
from workhistory.data import artifacts, imports
from workhistory.data.errors import ImportGone, LimitReached
from workhistory.web.forms import import_values

CONFIRM = re.compile(r'action="(/portfolio/import/[0-9a-f-]{36}/confirm)"')
# What may differ between an artifact and its import: identity, owner and bookkeeping.
NOT_CARRIED = ("id", "tenant_id", "user_id", "version", "created_at", "updated_at")

SAMPLES = [
    {"title": "=cmd|' /C calc'!A0", "artifact_date": date(2023, 1, 2),
     "description": "-starts with a dash\r\nand a second line", "visibility": "team"},
    {"title": "Ünïcödé, “quoted”, 'apostrophe'", "description": "He said \"hi\"\nand more",
     "estimated_hours_saved": 2.25, "suggested_skill_ids": ["sql", "@mention", "data viz"],
     "artifact_type": "code", "source_url": "https://example.com/?a=1,b=2"},
    {"title": "'=already guarded", "estimated_hours_saved": 0.0000001,
     "artifact_type": "presentation"},
    {"title": "Tiny and huge", "estimated_hours_saved": 100000.0, "artifact_type": "design",
     "description": "\ttab first", "artifact_date": date(1999, 12, 31)},
    {"title": "Plain", "estimated_hours_saved": 3.0, "suggested_skill_ids": ["+plus"]},
    # Dates known to the month or the year export as "2019-03" and "2018" and come back so.
    {"title": "Known to the month", "artifact_date": date(2019, 3, 1),
     "artifact_date_precision": "month"},
    {"title": "Known to the year", "artifact_date": date(2018, 1, 1),
     "artifact_date_precision": "year"},
]


def _upload(client, csrf, name: str, content: bytes, content_type="application/octet-stream"):
    return client.post("/portfolio/import", content_type="multipart/form-data",
                       data={"csrf_token": csrf, "file": (io.BytesIO(content), name,
                                                          content_type)})


def _import(client, name: str, content: bytes) -> None:
    """Preview and confirm `content` as the signed-in user; assert both went through."""
    csrf = csrf_token(client, "/portfolio/import")
    preview = _upload(client, csrf, name, content)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200, body
    confirm = client.post(CONFIRM.search(body).group(1), data={"csrf_token": csrf})
    assert confirm.status_code == 303 and confirm.headers["Location"] == "/portfolio"


def _comparable(exported: list[dict]) -> list[dict]:
    rows = [{k: v for k, v in item.items() if k not in NOT_CARRIED} for item in exported]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


def _count(admin, user) -> int:
    return admin.execute("SELECT count(*) AS n FROM work_artifacts WHERE user_id = %s",
                         (user.user_id,)).fetchone()["n"]


def _pending(admin, user) -> int:
    return admin.execute("SELECT count(*) AS n FROM pending_imports WHERE user_id = %s",
                         (user.user_id,)).fetchone()["n"]


@pytest.fixture
def source(db, make_workspace):
    """An account with artifacts that exercise every rule of the export's formats."""
    user = make_workspace("Source")
    for values in SAMPLES:
        make_artifact(db, user, **values)
    return user


# --- the round trip ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_import_export_gives_the_same_artifacts(app, source, make_workspace, fmt):
    exporter = app.test_client()
    sign_in(exporter, source)
    first = exporter.get(f"/portfolio/artifacts.{fmt}").get_data()

    fresh = make_workspace("Fresh")
    importer = app.test_client()
    sign_in(importer, fresh)
    _import(importer, f"artifacts.{fmt}", first)

    again = importer.get("/portfolio/artifacts.json").get_json()["artifacts"]
    original = exporter.get("/portfolio/artifacts.json").get_json()["artifacts"]
    assert len(again) == len(SAMPLES)
    assert _comparable(again) == _comparable(original)
    assert {"2019-03", "2018"} <= {a["artifact_date"] for a in again}  # precision kept
    assert {a["user_id"] for a in again} == {str(fresh.user_id)}
    if fmt == "csv":  # the CSV itself comes back the same, but for the columns not carried
        second = importer.get("/portfolio/artifacts.csv").get_data(as_text=True)
        assert sorted(_csv_carried(second)) == sorted(_csv_carried(first.decode()))


def _csv_carried(text: str) -> list[tuple]:
    import csv

    rows = list(csv.reader(io.StringIO(text, newline="")))
    keep = [i for i, name in enumerate(rows[0]) if name not in NOT_CARRIED]
    return [tuple(row[i] for i in keep) for row in rows[1:]]


def test_a_csv_saved_with_a_bom_and_a_subset_of_columns_imports(app, owner, admin):
    client = app.test_client()
    sign_in(client, owner)
    content = "\ufefftitle,artifact_type,estimated_hours_saved\r\nFrom a spreadsheet,code,4\r\n"
    _import(client, "mine.csv", content.encode())
    row = admin.execute("SELECT title, artifact_type, estimated_hours_saved, visibility"
                        " FROM work_artifacts WHERE user_id = %s", (owner.user_id,)).fetchone()
    assert row == {"title": "From a spreadsheet", "artifact_type": "code",
                   "estimated_hours_saved": 4.0, "visibility": "private"}


# --- all or nothing ----------------------------------------------------------------------


def _file_of(n: int, start: int = 0) -> bytes:
    items = [{"title": f"Imported {i}", "artifact_type": "document"} for i in range(start,
                                                                                  start + n)]
    return json.dumps({"artifacts": items, "limit": 50}).encode()


def test_forty_five_plus_six_creates_nothing(app, db, admin, owner):
    for i in range(45):
        make_artifact(db, owner, title=f"Existing {i}")
    client = app.test_client()
    csrf = sign_in(client, owner)
    response = _upload(client, csrf, "six.json", _file_of(6))
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "room for 5" in body and "Nothing was imported" in body
    assert not CONFIRM.search(body)
    assert len(re.findall(r'class="import-row[" ]', body)) == 6  # the rows are still listed
    assert (_count(admin, owner), _pending(admin, owner)) == (45, 0)


def test_the_limit_holds_at_confirmation_too(app, db, admin, owner):
    """Preview at 44 + 6 = 50 passes; one more artifact before confirming makes the whole
    import fail in its one transaction: nothing of it is created."""
    for i in range(44):
        make_artifact(db, owner, title=f"Existing {i}")
    client = app.test_client()
    csrf = sign_in(client, owner)
    preview = _upload(client, csrf, "six.json", _file_of(6))
    assert preview.status_code == 200
    make_artifact(db, owner, title="Added meanwhile")
    response = client.post(CONFIRM.search(preview.get_data(as_text=True)).group(1),
                           data={"csrf_token": csrf})
    assert response.status_code == 409
    assert "Nothing was imported" in response.get_data(as_text=True)
    assert _count(admin, owner) == 45
    assert admin.execute("SELECT count(*) AS n FROM work_artifacts WHERE title LIKE"
                         " 'Imported %%'").fetchone()["n"] == 0


def test_the_data_function_rolls_back_every_row(db, admin, owner):
    for i in range(47):
        make_artifact(db, owner, title=f"Existing {i}")
    rows = [{"title": [f"Imported {i}"]} for i in range(5)]
    pending = imports.save_pending(db, owner.actor, "x.json", rows)
    with pytest.raises(LimitReached):
        imports.import_pending(db, owner.actor, pending, lambda fields: {
            "title": fields["title"][0]})
    assert (_count(admin, owner), _pending(admin, owner)) == (47, 1)


def test_confirming_twice_imports_once(app, admin, owner):
    client = app.test_client()
    csrf = sign_in(client, owner)
    preview = _upload(client, csrf, "two.json", _file_of(2))
    url = CONFIRM.search(preview.get_data(as_text=True)).group(1)
    assert client.post(url, data={"csrf_token": csrf}).status_code == 303
    again = client.post(url, data={"csrf_token": csrf})
    assert again.status_code == 409 and "already used" in again.get_data(as_text=True)
    assert _count(admin, owner) == 2


def test_a_pending_import_is_its_owners_only(app, db, admin, owner, make_colleague):
    pending = imports.save_pending(db, owner.actor, "x.json", [{"title": ["Mine"]}])
    colleague = make_colleague(owner.tenant_id)
    with pytest.raises(ImportGone):
        imports.import_pending(db, colleague.actor, pending, import_values)
    client = app.test_client()
    csrf = sign_in(client, colleague)
    response = client.post(f"/portfolio/import/{pending}/confirm", data={"csrf_token": csrf})
    assert response.status_code == 409
    assert _count(admin, colleague) == 0 and _pending(admin, owner) == 1


def test_an_expired_preview_cannot_be_confirmed(db, admin, owner):
    pending = imports.save_pending(db, owner.actor, "x.json", [{"title": ["Late"]}])
    admin.execute("UPDATE pending_imports SET created_at = now() - interval '61 minutes'")
    with pytest.raises(ImportGone):
        imports.import_pending(db, owner.actor, pending, import_values)
    assert _count(admin, owner) == 0


def test_invalid_rows_are_listed_with_their_errors_and_nothing_is_kept(app, admin, owner):
    client = app.test_client()
    csrf = sign_in(client, owner)
    items = [{"title": "Good"}, {"title": "Bad date", "artifact_date": "2019-02-30"},
             {"title": "", "estimated_hours_saved": -1}, {"title": "x", "colour": "red"},
             {"title": "Bad link", "source_url": "javascript:alert(1)"}, "not an object",
             {"title": "Kinds", "estimated_hours_saved": True, "suggested_skill_ids": "sql"}]
    response = _upload(client, csrf, "mixed.json", json.dumps({"artifacts": items}).encode())
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for expected in ("Date of the work: There is no such date", "Title: Enter a title.",
                     "Hours saved: Enter a number of hours", "Unknown field “colour”",
                     "Link: Enter a full web address", "not an artifact",
                     "“estimated_hours_saved” has a value of the wrong kind",
                     "“suggested_skill_ids” has a value of the wrong kind"):
        assert expected in body, expected
    assert body.count("import-row-invalid") == 6 and not CONFIRM.search(body)
    assert (_count(admin, owner), _pending(admin, owner)) == (0, 0)


# --- bad files -----------------------------------------------------------------------------

EXPORT_HEADER = ("id,tenant_id,user_id,title,description,artifact_type,artifact_date,"
                 "source_url,visibility,estimated_hours_saved,suggested_skill_ids,version,"
                 "created_at,updated_at\r\n")
BAD_FILES = {
    "truncated CSV (inside quotes)": ("cut.csv", (EXPORT_HEADER + ',,,"Half a title'
                                                  ).encode(), 422, "malformed"),
    "truncated CSV (mid-row)": ("cut.csv", (EXPORT_HEADER + ",,,Title,desc,code").encode(),
                                422, "the file may be cut short"),
    "wrong columns": ("other.csv", b"Name,Date,Owner\r\nx,2020-01-01,me\r\n", 422,
                      "must name the export's columns"),
    "formula cell": ("evil.csv", b"title,description\r\n=HYPERLINK(\"http://x\"),y\r\n", 422,
                     "which spreadsheets run as a formula"),
    "formula cell after a tab": ("evil.csv", b"title,description\r\nok,\"\tx\"\r\n", 422,
                                 "starts with a tab"),
    "binary": ("photo.csv", bytes(range(256)) * 8, 415, "not UTF-8 text"),
    "NUL bytes": ("nul.json", b'{"artifacts": []}\x00', 415, "binary data"),
    "wrong type": ("artifacts.xlsx", b"PK\x03\x04", 415, "Only .csv and .json files"),
    "bad JSON": ("bad.json", b'{"artifacts": [{"title": "x"', 422, "not valid JSON"),
    "NaN in JSON": ("nan.json", b'{"artifacts": [{"title": "x", '
                    b'"estimated_hours_saved": NaN}]}', 422, "not valid JSON"),
    "not an export": ("list.json", b'[{"title": "x"}]', 422, "no \u201cartifacts\u201d list"),
    "empty": ("empty.csv", b"", 422, "The file is empty."),
    "no rows": ("header.csv", EXPORT_HEADER.encode(), 422, "holds no artifacts"),
    "over 50 rows": ("many.json", _file_of(51), 422, "more than 50 artifacts"),
    "just over 1 MiB": ("big.json", b" " * (1024 * 1024 + 1), 413, "larger than 1 MiB"),
    "2 MiB": ("huge.csv", b"title\r\n" + b"x" * (2 * 1024 * 1024), 413, "larger than 1 MiB"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_get_a_4xx_with_a_message(app, admin, owner, case):
    name, content, status, message = BAD_FILES[case]
    client = app.test_client()
    csrf = sign_in(client, owner)
    response = _upload(client, csrf, name, content)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status, body
    assert message in body, body
    assert_no_traceback(body)
    assert (_count(admin, owner), _pending(admin, owner)) == (0, 0)


def test_no_file_chosen(app, owner):
    client = app.test_client()
    csrf = sign_in(client, owner)
    response = client.post("/portfolio/import", content_type="multipart/form-data",
                           data={"csrf_token": csrf})
    assert response.status_code == 422
    assert "Choose a CSV or JSON file" in response.get_data(as_text=True)


def test_only_the_import_takes_more_than_64_kib(app, owner):
    client = app.test_client()
    csrf = sign_in(client, owner)
    big = {"csrf_token": csrf, "title": "x", "description": "y" * (200 * 1024)}
    assert client.post("/portfolio/artifacts", data=big).status_code == 413
    upload = _upload(client, csrf, "ok.json", _file_of(1) + b" " * (500 * 1024))
    assert upload.status_code == 200


def test_import_needs_login_and_csrf(app, owner, admin):
    stranger = app.test_client()
    anonymous = stranger.post("/portfolio/import", data={
        "csrf_token": csrf_token(stranger, "/login"), "file": (io.BytesIO(_file_of(1)), "a.json")})
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["Location"]
    client = app.test_client()
    sign_in(client, owner)
    response = client.post("/portfolio/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(_file_of(1)), "a.json")})
    assert response.status_code == 400
    assert _pending(admin, owner) == 0


def test_the_portfolio_header_links_to_import_and_insights(app, owner):
    client = app.test_client()
    sign_in(client, owner)
    page = client.get("/portfolio").get_data(as_text=True)
    assert 'href="/portfolio/import"' in page and 'href="/portfolio/insights"' in page
    assert client.get("/portfolio/import").status_code == 200
    assert artifacts.LIMIT == 50
