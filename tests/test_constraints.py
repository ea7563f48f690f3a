"""Every SPEC §3 rule on `work_artifacts` is a CHECK constraint: a superuser INSERT, which no
policy or form stands in front of, is refused all the same; the boundaries are accepted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from psycopg import errors as pg_errors

from tests.support import PASSWORD, unique_email
from workhistory.data import accounts, artifacts
from workhistory.data.errors import InvalidData

NAN, INF = float("nan"), float("inf")
# Whitespace alone breaks both title rules; which one PostgreSQL reports first is its business.
BLANK_TITLE = ("work_artifacts_title_length", "work_artifacts_title_trimmed")

REJECTED = [
    # hours saved
    ("estimated_hours_saved", NAN, "work_artifacts_hours_range"),
    ("estimated_hours_saved", INF, "work_artifacts_hours_range"),
    ("estimated_hours_saved", -INF, "work_artifacts_hours_range"),
    ("estimated_hours_saved", -1.0, "work_artifacts_hours_range"),
    ("estimated_hours_saved", -0.001, "work_artifacts_hours_range"),
    ("estimated_hours_saved", 100000.5, "work_artifacts_hours_range"),
    ("estimated_hours_saved", 1e300, "work_artifacts_hours_range"),
    # type and visibility
    ("artifact_type", "video", "work_artifacts_type_known"),
    ("artifact_type", "Document", "work_artifacts_type_known"),
    ("artifact_type", "", "work_artifacts_type_known"),
    ("visibility", "public", "work_artifacts_visibility_known"),
    ("visibility", "Team", "work_artifacts_visibility_known"),
    # links
    ("source_url", "javascript:alert(1)", "work_artifacts_source_url_http"),
    ("source_url", "JavaScript://example.com/%0Aalert(1)", "work_artifacts_source_url_http"),
    ("source_url", "data:text/html,<script>alert(1)</script>", "work_artifacts_source_url_http"),
    ("source_url", "ftp://example.com/file", "work_artifacts_source_url_http"),
    ("source_url", "http://", "work_artifacts_source_url_http"),
    ("source_url", "https:///path-only", "work_artifacts_source_url_http"),
    ("source_url", "//example.com/relative", "work_artifacts_source_url_http"),
    ("source_url", "example.com", "work_artifacts_source_url_http"),
    ("source_url", "https://exa mple.com/", "work_artifacts_source_url_http"),
    ("source_url", "https://example.com/a b", "work_artifacts_source_url_http"),
    ("source_url", " https://example.com/", "work_artifacts_source_url_http"),
    ("source_url", "https://example.com/\n", "work_artifacts_source_url_http"),
    ("source_url", "", "work_artifacts_source_url_http"),
    ("source_url", "https://example.com/" + "a" * 2029, "work_artifacts_source_url_http"),
    # title
    ("title", "", "work_artifacts_title_length"),
    ("title", "   ", BLANK_TITLE),
    ("title", "\t\n", BLANK_TITLE),
    ("title", "a" * 201, "work_artifacts_title_length"),
    ("title", " padded", "work_artifacts_title_trimmed"),
    ("title", "padded ", "work_artifacts_title_trimmed"),
    ("title", "tabbed\t", "work_artifacts_title_trimmed"),
    ("title", "vertical tab\x0b", "work_artifacts_title_trimmed"),
    ("title", "\x0b\x0c", BLANK_TITLE),
    # description
    ("description", "d" * 5001, "work_artifacts_description_length"),
    # skill ids
    ("suggested_skill_ids", [f"s{i}" for i in range(21)], "work_artifacts_skill_ids_valid"),
    ("suggested_skill_ids", ["sql", "sql"], "work_artifacts_skill_ids_valid"),
    ("suggested_skill_ids", [""], "work_artifacts_skill_ids_valid"),
    ("suggested_skill_ids", ["x" * 65], "work_artifacts_skill_ids_valid"),
    ("suggested_skill_ids", ["sql", None], "work_artifacts_skill_ids_valid"),
    ("suggested_skill_ids", [["a", "b"], ["c", "d"]], "work_artifacts_skill_ids_valid"),
]

ACCEPTED = [
    ("estimated_hours_saved", 0.0),
    ("estimated_hours_saved", 100000.0),
    ("estimated_hours_saved", 0.25),
    ("estimated_hours_saved", None),
    ("artifact_type", "presentation"),
    ("visibility", "team"),
    ("source_url", "https://example.com"),
    ("source_url", "HTTP://EXAMPLE.COM/Path?q=1&r=a%20b#frag"),
    ("source_url", "https://user@example.com:8443/x"),
    ("source_url", "https://example.com/" + "a" * 2028),
    ("source_url", None),
    ("title", "a" * 200),
    ("title", "é" * 200),
    ("title", "x"),
    ("title", "inner  spaces are fine"),
    ("title", "vivid overview v"),  # no trimming of letters: E'\v' is not "v" everywhere
    ("description", "d" * 5000),
    ("description", ""),
    ("suggested_skill_ids", [f"s{i}" for i in range(20)]),
    ("suggested_skill_ids", ["x" * 64]),
    ("suggested_skill_ids", []),
    ("artifact_date", None),
    ("artifact_date", date(1990, 1, 1)),
]


@pytest.fixture(scope="module")
def user(db):
    return accounts.create_workspace(db, "Checks", unique_email(), "Chuck Checks", PASSWORD)


def _insert(admin, user, column: str, value):
    values = {"title": "valid title", column: value}
    names = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    return admin.execute(
        f"INSERT INTO work_artifacts (tenant_id, user_id, {names})"  # noqa: S608 - fixed names
        f" VALUES (%s, %s, {marks}) RETURNING id, {column} AS value",
        (user.tenant_id, user.user_id, *values.values()),
    ).fetchone()


@pytest.fixture
def clean(admin, user):
    """Remove this module's rows after each test, so the 50-per-user limit never interferes."""
    yield
    admin.execute("DELETE FROM work_artifacts WHERE user_id = %s", (user.user_id,))


def _id(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...len{len(value)}"


@pytest.mark.parametrize(("column", "value", "constraint"), REJECTED, ids=_id)
def test_superuser_insert_is_rejected(admin, user, clean, column, value, constraint):
    assert admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[
        "rolsuper"
    ]
    with pytest.raises(pg_errors.CheckViolation) as caught:
        _insert(admin, user, column, value)
    expected = constraint if isinstance(constraint, tuple) else (constraint,)
    assert caught.value.diag.constraint_name in expected


@pytest.mark.parametrize(("column", "value"), ACCEPTED, ids=_id)
def test_boundary_values_are_accepted(admin, user, clean, column, value):
    row = _insert(admin, user, column, value)
    assert row["value"] == value


def test_superuser_update_is_checked_too(admin, user, clean):
    row = _insert(admin, user, "estimated_hours_saved", 1.0)
    with pytest.raises(pg_errors.CheckViolation):
        admin.execute(
            "UPDATE work_artifacts SET estimated_hours_saved = 'NaN' WHERE id = %s", (row["id"],)
        )


def test_unrepresentable_hours_are_refused_before_the_check(admin, user, clean):
    """1e309 does not fit a double: PostgreSQL refuses the literal itself."""
    with pytest.raises(pg_errors.NumericValueOutOfRange):
        admin.execute(
            "INSERT INTO work_artifacts (tenant_id, user_id, title, estimated_hours_saved)"
            " VALUES (%s, %s, 't', '1e309')",
            (user.tenant_id, user.user_id),
        )


# The date rule is judged by the UTC calendar, whatever the session's time zone: at any time of
# day one of these zones disagrees with UTC about the date, so `current_date` would fail here.
ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


def _utc_today(admin) -> date:
    return admin.execute("SELECT (now() AT TIME ZONE 'UTC')::date AS d").fetchone()["d"]


@pytest.mark.parametrize("zone", ZONES)
def test_tomorrow_utc_is_rejected(admin, user, clean, zone):
    admin.execute("SELECT set_config('TimeZone', %s, false)", (zone,))
    tomorrow = _utc_today(admin) + timedelta(days=1)
    with pytest.raises(pg_errors.CheckViolation) as caught:
        _insert(admin, user, "artifact_date", tomorrow)
    assert caught.value.diag.constraint_name == "work_artifacts_date_not_future"


@pytest.mark.parametrize("zone", ZONES)
def test_today_utc_is_accepted(admin, user, clean, zone):
    admin.execute("SELECT set_config('TimeZone', %s, false)", (zone,))
    today = _utc_today(admin)
    assert _insert(admin, user, "artifact_date", today)["value"] == today


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("estimated_hours_saved", NAN),
        ("estimated_hours_saved", INF),
        ("source_url", "javascript:alert(1)"),
        ("title", " untrimmed"),
        ("suggested_skill_ids", ["dup", "dup"]),
    ],
    ids=_id,
)
def test_data_module_surfaces_invalid_data(db, user, clean, column, value):
    with pytest.raises(InvalidData):
        artifacts.create_artifact(db, user.actor, {"title": "valid title", column: value})
    entry, _ = artifacts.create_artifact(db, user.actor, {"title": "valid title"})
    with pytest.raises(InvalidData):
        artifacts.update_artifact(db, user.actor, entry.id, {column: value})
