"""Names, titles and links hold no invisible tricks (SPEC §7): bidi overrides, zero-width-only
titles and ESC in display names were stored; `https://evil.com\\.good.com/` was stored and shown
as if it were good.com. Refused by the forms (beside the field) and by the database (CHECK),
and a link shows the host the browser really opens."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as pg_errors

from tests.support import PASSWORD, VALID, csrf_token, make_artifact, sign_in, unique_email

HIDDEN = {
    "bidi override": "Invoice \u202egnp.exe",
    "bidi isolate": "Report \u2066x\u2069",
    "zero-width only": "\u200b\u200b\u200b",
    "zero-width inside": "pay\u200bpal",
    "escape": "Ada \x1b[31mred",
    "BOM": "\ufeffTitle",
    "hangul filler only": "\u3164",
}
KEPT = {"ZWJ emoji": "Family 👨\u200d👩\u200d👧", "ZWNJ Persian": "می\u200cخواهم",
        "accents": "Zoë Ångström"}


@pytest.mark.parametrize("text", HIDDEN.values(), ids=HIDDEN.keys())
def test_a_title_with_hidden_characters_is_refused_beside_the_field(app, admin, owner, text):
    client = app.test_client()
    token = sign_in(client, owner)
    response = client.post("/portfolio/artifacts", data={**VALID, "title": text,
                                                         "csrf_token": token})
    assert response.status_code == 422
    assert 'id="title-new-error"' in response.get_data(as_text=True) or \
        "title" in response.get_data(as_text=True)
    assert admin.execute("SELECT count(*) AS n FROM work_artifacts WHERE user_id = %s",
                         (owner.user_id,)).fetchone()["n"] == 0


@pytest.mark.parametrize("text", KEPT.values(), ids=KEPT.keys())
def test_joiners_and_accents_are_kept(app, admin, owner, text):
    client = app.test_client()
    token = sign_in(client, owner)
    response = client.post("/portfolio/artifacts", data={**VALID, "title": text,
                                                         "csrf_token": token})
    assert response.status_code == 303
    assert admin.execute("SELECT title FROM work_artifacts WHERE user_id = %s",
                         (owner.user_id,)).fetchone()["title"] == text


@pytest.mark.parametrize("field", ["workspace", "name"])
@pytest.mark.parametrize("text", HIDDEN.values(), ids=HIDDEN.keys())
def test_sign_up_names_with_hidden_characters_are_refused(client, admin, field, text):
    email = unique_email("hidden")
    environ = {"REMOTE_ADDR": f"10.88.{len(email) % 200}.{abs(hash(email)) % 250 + 1}"}
    data = {"workspace": "Acme", "name": "Ada", "email": email, "password": PASSWORD,
            "csrf_token": csrf_token(client, "/signup", environ_base=environ), field: text}
    response = client.post("/signup", data=data, environ_base=environ)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert admin.execute("SELECT count(*) AS n FROM users WHERE email = %s",
                         (email,)).fetchone()["n"] == 0


@pytest.mark.parametrize("text", HIDDEN.values(), ids=HIDDEN.keys())
def test_the_database_refuses_them_too(admin, owner, text):
    """Whatever path writes (a script, a superuser), the CHECK constraints hold."""
    for statement, params in [
        ("INSERT INTO work_artifacts (tenant_id, user_id, title) VALUES (%s, %s, %s)",
         (owner.tenant_id, owner.user_id, text.strip(" "))),
        ("UPDATE users SET display_name = %s WHERE id = %s", (text, owner.user_id)),
        ("UPDATE tenants SET name = %s WHERE id = %s", (text, owner.tenant_id)),
    ]:
        with pytest.raises(pg_errors.CheckViolation):
            admin.execute(statement, params)


BAD_URLS = [
    "https://evil.com\\.good.com/",
    "https://evil.com\\@good.com/",
    "https://good.com/a b",
    "https://good.com/a\u00a0b",
    "https://go\u200bod.com/",
    "https://good.com/\u202e",
    "https://0x7f.1/",
    "https://1.2.3/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_links_a_browser_would_read_differently_are_refused(app, admin, owner, url):
    client = app.test_client()
    token = sign_in(client, owner)
    response = client.post("/portfolio/artifacts", data={**VALID, "source_url": url,
                                                         "csrf_token": token})
    assert response.status_code == 422
    assert admin.execute("SELECT count(*) AS n FROM work_artifacts WHERE user_id = %s",
                         (owner.user_id,)).fetchone()["n"] == 0


@pytest.mark.parametrize("url", BAD_URLS[:6])
def test_the_database_refuses_those_links(admin, owner, url):
    with pytest.raises(pg_errors.CheckViolation):
        admin.execute("INSERT INTO work_artifacts (tenant_id, user_id, title, source_url)"
                      " VALUES (%s, %s, 'x', %s)", (owner.tenant_id, owner.user_id, url))


@pytest.mark.parametrize(("url", "shown"), [
    ("https://good.com/path?q=1", "good.com"),
    ("https://xn--80ak6aa92e.com/login", "аррӏе.com (xn--80ak6aa92e.com)"),  # look-alike
    ("https://bücher.example/", "bücher.example (xn--bcher-kva.example)"),
    ("http://127.0.0.1:8080/x", "127.0.0.1"),
])
def test_a_link_shows_the_host_the_browser_opens(app, owner, url, shown):
    make_artifact(app.extensions["db"], owner, title="Linked", source_url=url)
    client = app.test_client()
    sign_in(client, owner)
    body = client.get("/portfolio").get_data(as_text=True)
    assert f'rel="nofollow">{shown}<span class="link-path">' in body


def test_migration_0012_cleans_existing_rows_before_it_checks_them(pg_server, deploy_roles):
    """Rows stored before 0012 (bidi overrides, zero-width-only titles, ESC, backslash links)
    are cleaned, so the constraints are validated instead of failing the migration."""
    import shutil
    import tempfile
    import uuid
    from pathlib import Path

    from workhistory import migrate, roles

    owner = deploy_roles[0]
    name = f"portfolio_m12_{uuid.uuid4().hex[:8]}"
    roles.create_database(pg_server, owner, name)
    before = Path(tempfile.mkdtemp())
    try:
        for path in sorted(migrate.MIGRATIONS_DIR.glob("*.sql")):
            if path.name < "0012":
                shutil.copy(path, before / path.name)
        owner_url = roles.url_for(pg_server, user=owner, dbname=name)
        migrate.upgrade(owner_url, before)
        url = roles.url_for(pg_server, dbname=name)
        with psycopg.connect(url, autocommit=True) as conn:
            tenant = conn.execute("INSERT INTO tenants (name) VALUES (%s) RETURNING id",
                                  ("Acme\u202e",)).fetchone()[0]
            user = conn.execute(
                "INSERT INTO users (tenant_id, email, display_name, password_hash)"
                " VALUES (%s, 'x@example.com', %s, 'h') RETURNING id",
                (tenant, "Ada\x1b[31m")).fetchone()[0]
            for title, link in [("\u200b\u200b", None), ("Two\nlines", None),
                                ("Link", "https://evil.com\\.good.com/")]:
                conn.execute("INSERT INTO work_artifacts (tenant_id, user_id, title, source_url)"
                             " VALUES (%s, %s, %s, %s)", (tenant, user, title, link))
        assert "0012_visible_names.sql" in migrate.upgrade(owner_url)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT name FROM tenants").fetchone()[0] == "Acme"
            assert conn.execute("SELECT display_name FROM users").fetchone()[0] == "Ada [31m"
            rows = conn.execute("SELECT title, source_url FROM work_artifacts ORDER BY title")
            assert rows.fetchall() == [("Link", None), ("Two lines", None),
                                       ("Untitled artifact", None)]
            forced = conn.execute("SELECT bool_and(relforcerowsecurity) FROM pg_class"
                                  " WHERE relname IN ('tenants', 'users', 'work_artifacts')")
            assert forced.fetchone()[0] is True
            valid = conn.execute("SELECT bool_and(convalidated) FROM pg_constraint"
                                 " WHERE conname LIKE '%visible' OR conname LIKE '%url_plain'")
            assert valid.fetchone()[0] is True
    finally:
        shutil.rmtree(before, ignore_errors=True)
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
