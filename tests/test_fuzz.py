"""Fuzzing every form and every id in a URL: the only answers are 2xx, 3xx and 4xx (never a
500, never an exception), and afterwards every stored artifact still obeys the rules of
SPEC §3, nobody has more than 50, and nobody else's data changed."""

from __future__ import annotations

import math
import re
import string
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app import create_app
from tests.support import HTMX, PASSWORD, actor_of, sign_in, unique_email
from workhistory.data import accounts, artifacts

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELDS = ["title", "description", "artifact_type", "artifact_date", "source_url", "visibility",
          "estimated_hours_saved", "suggested_skill_ids", "version"]
TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
TRICKY = [
    "", " ", "\t", "\x00", "a\x00b", "\u202e", "\ufeff", "\r\n", "NaN", "nan", "inf", "-inf",
    "Infinity", "1e309", "-0", "0", "100000", "100000.0000001", "1_000", "١٢", "0x10", "+5",
    "2021-02-30", "9999-12-31", "0001-01-01", "2021-1-1", TOMORROW, "javascript:alert(1)",
    "https://example.com", "http://[::1]:99999/", "https://" + "a" * 2100, "<script>x</script>",
    "a" * 201, "x" * 5001, "team", "private", "code", "other", "-1", "2147483648", "1",
    "sql, sql", ",".join(f"s{i}" for i in range(21)), "y" * 65, "{{ 7*7 }}", "' OR 1=1 --",
]
# No surrogates: a browser cannot send them either (they are not encodable in UTF-8).
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
value = st.one_of(text, st.sampled_from(TRICKY))
form = st.dictionaries(st.sampled_from(FIELDS), value, max_size=len(FIELDS))
ID_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@pytest.fixture(scope="module")
def fuzz_app(database_url):
    """An app whose rate limits stay out of the way, so the forms themselves are exercised."""
    generous = "100000 per minute"
    application = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "k" * 32,
         "RATELIMIT_LOGIN_PER_ADDRESS": generous, "RATELIMIT_LOGIN_PER_EMAIL": generous,
         "RATELIMIT_SIGNUP_PER_ADDRESS": generous, "RATELIMIT_JOIN_PER_ADDRESS": generous}
    )
    yield application
    application.extensions["db"].close()


@pytest.fixture(scope="module")
def world(fuzz_app):
    """A fuzzing user near the limit (48 artifacts) and a bystander in another workspace."""
    db = fuzz_app.extensions["db"]
    user = accounts.create_workspace(db, "Fuzz", unique_email("fuzz"), "Fuzz User", PASSWORD)
    for i in range(48):
        artifacts.create_artifact(db, actor_of(user), {"title": f"Seed {i}"})
    other = accounts.create_workspace(db, "Bystander", unique_email("by"), "By Stander", PASSWORD)
    theirs, _ = artifacts.create_artifact(db, actor_of(other), {"title": "Not yours"})
    client = fuzz_app.test_client()
    token = sign_in(client, user)
    return {"db": db, "user": user, "other": other, "theirs": theirs, "client": client,
            "token": token}


def own_ids(world) -> list[str]:
    entries = artifacts.list_artifacts(world["db"], actor_of(world["user"])).entries
    return [str(e.id) for e in entries]


def id_strategy(world):
    known = own_ids(world)[:5] + [str(world["theirs"].id)]
    return st.one_of(
        st.sampled_from(known),
        st.uuids().map(str),
        ID_TEXT.map(lambda s: quote(s, safe="")),
        st.sampled_from(["0", "-1", "null", "..", "%00", "%2F", "' OR 1=1 --", "a" * 500]),
    )


def check(response) -> None:
    assert 200 <= response.status_code < 500, (response.status_code, response.data[:300])


URL_CHARS = re.compile(r"https?://[^/?#\s@]+(?:[/?#]\S*)?", re.I)


def assert_invariants(admin, world) -> None:
    """Every row obeys SPEC §3 (checked here in Python, independently of forms and CHECKs),
    at most 50 per user, and the bystander's artifact is untouched."""
    today = datetime.now(UTC).date()
    rows = admin.execute("SELECT * FROM work_artifacts").fetchall()
    for row in rows:
        title = row["title"]
        assert 1 <= len(title) <= 200 and title == title.strip(" \t\r\n\f\v"), row
        assert len(row["description"]) <= 5000, row
        assert row["artifact_type"] in artifacts.TYPES, row
        assert row["visibility"] in artifacts.VISIBILITIES, row
        assert row["artifact_date"] is None or row["artifact_date"] <= today, row
        url = row["source_url"]
        if url is not None:
            assert len(url) <= 2048 and URL_CHARS.fullmatch(url), row
            assert urlsplit(url).scheme.lower() in {"http", "https"}, row
            assert not any(ord(c) < 32 or ord(c) == 127 for c in url), row
        hours = row["estimated_hours_saved"]
        assert hours is None or (math.isfinite(hours) and 0 <= hours <= 100_000), row
        skills = row["suggested_skill_ids"]
        assert len(skills) <= 20 and len(set(skills)) == len(skills), row
        assert all(1 <= len(s) <= 64 for s in skills), row
        assert row["version"] >= 1, row
    counts = admin.execute(
        "SELECT user_id, count(*) AS n FROM work_artifacts GROUP BY user_id"
    ).fetchall()
    assert all(c["n"] <= 50 for c in counts), counts
    theirs = world["theirs"]
    saved = admin.execute(
        "SELECT title, version FROM work_artifacts WHERE id = %s", (theirs.id,)
    ).fetchone()
    assert (saved["title"], saved["version"]) == (theirs.title, theirs.version)


@pytest.fixture
def admin_conn(fuzz_app):
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(fuzz_app.config["DATABASE_URL"], autocommit=True,
                         row_factory=dict_row) as conn:
        yield conn


def test_fuzz_create(world, admin_conn):
    statuses = set()

    @SETTINGS
    @given(data=form, htmx=st.booleans(), title=st.one_of(value, st.just("Valid title")))
    # Three valid creates first, so the user (at 48) surely reaches the limit whatever the
    # random examples do: the run then covers saved, invalid and limit answers every time.
    @example(data={}, htmx=False, title="Valid title")
    @example(data={}, htmx=True, title="Valid title")
    @example(data={}, htmx=True, title="Still valid")
    def run(data, htmx, title):
        data = {"title": title, **data, "csrf_token": world["token"]}
        response = world["client"].post("/portfolio/artifacts", data=data,
                                        headers=HTMX if htmx else {})
        check(response)
        statuses.add(response.status_code)
        assert_invariants(admin_conn, world)

    run()
    # The fuzzing reached the interesting outcomes: saved, invalid, and the 50 limit.
    assert {422, 409} <= statuses and statuses & {200, 303}, statuses


def test_fuzz_update(world, admin_conn):
    statuses = set()

    @SETTINGS
    @given(data=st.data(), fields=form, htmx=st.booleans(), method=st.sampled_from(["PATCH",
                                                                                  "POST"]))
    def run(data, fields, htmx, method):
        artifact_id = data.draw(id_strategy(world))
        body = {**fields, "csrf_token": world["token"]}
        response = world["client"].open(f"/portfolio/artifacts/{artifact_id}", method=method,
                                         data=body, headers=HTMX if htmx else {})
        check(response)
        statuses.add(response.status_code)
        assert_invariants(admin_conn, world)

    run()
    assert {404, 422} <= statuses and statuses & {200, 303}, statuses


def test_fuzz_ids_in_every_artifact_url(world, admin_conn):
    @SETTINGS
    @given(data=st.data(), htmx=st.booleans(), action=st.sampled_from(
        ["row", "edit", "delete", "post-delete", "colleague", "revoke"]))
    def run(data, htmx, action):
        artifact_id = data.draw(id_strategy(world))
        client = world["client"]
        headers = {**(HTMX if htmx else {}), "X-CSRFToken": world["token"]}
        base = f"/portfolio/artifacts/{artifact_id}"
        response = {
            "row": lambda: client.get(base, headers=headers),
            "edit": lambda: client.get(base + "/edit", headers=headers),
            "delete": lambda: client.delete(base, headers=headers),
            "post-delete": lambda: client.post(base + "/delete", headers=headers),
            "colleague": lambda: client.get(f"/people/{artifact_id}", headers=headers),
            "revoke": lambda: client.post(f"/invites/{artifact_id}/revoke", headers=headers),
        }[action]()
        check(response)
        assert_invariants(admin_conn, world)

    run()


AUTH_FIELDS = ["workspace", "name", "email", "password", "next"]
auth_value = st.one_of(
    text, st.sampled_from(TRICKY + ["a@b.co", "x" * 129, "//evil.example", "/portfolio"]),
    st.emails().map(str),
)
auth_form = st.dictionaries(st.sampled_from(AUTH_FIELDS), auth_value, max_size=5)


def test_fuzz_signup_login_and_join(fuzz_app, world, admin_conn):
    # Fewer examples: every sign-up and login runs one Argon2 hash.
    token_chars = st.text(string.ascii_letters + string.digits + "-_%.", min_size=1,
                          max_size=60)

    @settings(SETTINGS, max_examples=40)
    @given(fields=auth_form, action=st.sampled_from(["signup", "login", "join"]),
           join_token=token_chars)
    def run(fields, action, join_token):
        client = fuzz_app.test_client()  # anonymous
        page = "/login" if action != "signup" else "/signup"
        html = client.get(page).get_data(as_text=True)
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        path = {"signup": "/signup", "login": "/login", "join": f"/join/{join_token}"}[action]
        response = client.post(path, data={**fields, "csrf_token": csrf})
        check(response)
        if response.status_code in (302, 303):
            location = response.headers["Location"]
            assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        assert_invariants(admin_conn, world)

    run()


def test_fuzz_csrf_token(world, admin_conn):
    @SETTINGS
    @given(token=st.one_of(text, st.sampled_from(["", world["token"][:-1], "null"])))
    def run(token):
        client = world["client"]
        before = admin_conn.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"]
        response = client.post("/portfolio/artifacts", data={"title": "t", "csrf_token": token})
        assert response.status_code == 400
        assert admin_conn.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"] \
            == before

    run()
