"""Helpers shared by the portfolio HTTP tests: signing a test client in, the CSRF token, htmx
headers, arranging artifacts through the data module, and reading the database as a superuser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import artifacts
from forms import today_utc
from tests.support import actor_of

TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
HX = {"HX-Request": "true"}
# A complete, valid submission of the artifact form (the version is added for updates).
VALID = {
    "title": "Quarterly churn analysis",
    "description": "Cohort model in SQL and a short memo.",
    "artifact_type": "analysis",
    "artifact_date": "2021-03-15",
    "source_url": "https://example.com/churn",
    "visibility": "team",
    "estimated_hours_saved": "12.5",
    "suggested_skill_ids": "sql, statistics",
}


def sign_in(client, user) -> str:
    """Sign `client` in as `user` (as a login would) and return its CSRF token."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["display_name"] = user.display_name
    return csrf_token(client)


def csrf_token(client, path: str = "/portfolio") -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def htmx(token: str, **extra) -> dict:
    return {**HX, "X-CSRFToken": token, **extra}


def make_artifact(db, user, **values):
    """Store an artifact for `user` through the data module; return the entry."""
    values.setdefault("title", "Existing artifact")
    entry, _summary = artifacts.create_artifact(db, actor_of(user), values)
    return entry


def snapshot(admin, user_id=None) -> list[dict]:
    """Every artifact row (or one user's), as the database holds it, in a stable order."""
    sql = "SELECT * FROM work_artifacts"
    params: tuple = ()
    if user_id is not None:
        sql += " WHERE user_id = %s"
        params = (user_id,)
    return admin.execute(sql + " ORDER BY id", params).fetchall()


def row_of(admin, artifact_id) -> dict | None:
    return admin.execute("SELECT * FROM work_artifacts WHERE id = %s", (artifact_id,)).fetchone()


def assert_row_is_valid(row: dict) -> None:
    """The stored row satisfies SPEC §3, whatever the input was."""
    title = row["title"]
    assert 1 <= len(title) <= 200 and title == title.strip()
    assert len(row["description"]) <= 5000
    assert row["artifact_type"] in artifacts.TYPES
    assert row["visibility"] in artifacts.VISIBILITIES
    assert row["artifact_date"] is None or row["artifact_date"] <= today_utc()
    url = row["source_url"]
    assert url is None or (url.lower().startswith(("http://", "https://")) and len(url) <= 2048)
    hours = row["estimated_hours_saved"]
    assert hours is None or 0 <= hours <= 100_000
    skills = row["suggested_skill_ids"]
    assert len(skills) <= 20 and len(set(skills)) == len(skills)
    assert all(1 <= len(s) <= 64 for s in skills)


class _TopLevel(HTMLParser):
    """Collect the top-level elements of an HTML fragment: (tag, attributes, inner text)."""

    VOID = {"input", "br", "img", "meta", "link", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.elements: list[tuple[str, dict, list[str]]] = []
        self.stray: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.elements.append((tag, dict(attrs), []))
        if tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        self.depth -= 1

    def handle_data(self, data):
        if self.depth == 0:
            self.stray.append(data)
        elif self.elements:
            self.elements[-1][2].append(data)


def top_level(html: str) -> list[tuple[str, dict, str]]:
    """The fragment's top-level elements as (tag, attributes, text); no stray text allowed."""
    parser = _TopLevel()
    parser.feed(html)
    parser.close()
    assert "".join(parser.stray).strip() == "", f"stray text at top level: {parser.stray!r}"
    return [(tag, attrs, "".join(text)) for tag, attrs, text in parser.elements]


def main_and_oob(html: str) -> tuple[list, dict[str, tuple[dict, str]]]:
    """Split an htmx response into its swapped elements and its out-of-band ones (by id)."""
    elements = top_level(html)
    main = [e for e in elements if "hx-swap-oob" not in e[1]]
    oob = {attrs["id"]: (attrs, text) for _tag, attrs, text in elements if "hx-swap-oob" in attrs}
    return main, oob
