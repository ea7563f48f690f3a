"""A lean page (SPEC §8): the 50-row portfolio's HTML is at most 45 KB before compression.
The DOM half of the rule (at most 2,000 nodes, counted in Chromium after load) is in
tests/browser/test_preload.py, next to the edit forms fetched ahead."""

from __future__ import annotations

from datetime import date, timedelta

from tests.support import make_artifact, sign_in

LIMIT = 45_000  # bytes ("45 KB": decimal, the stricter reading; 45 KiB is 46,080)
TYPES = ["document", "code", "analysis", "presentation", "design", "process", "other"]


def fill(db, owner, count: int = 50) -> None:
    """`count` artifacts like the benchmark's (bench/server.py): long descriptions, a link on
    every other one, three skills each."""
    for i in range(count):
        make_artifact(
            db, owner,
            title=f"Quarterly analysis {i}: churn drivers in the SMB segment",
            description="Cohort analysis and a short write-up of what drove churn in the"
                        " first 90 days, with the SQL kept for reuse. " * 2,
            artifact_type=TYPES[i % len(TYPES)],
            artifact_date=None if i % 10 == 9 else date(2021, 1, 1) + timedelta(days=i),
            source_url=f"https://wiki.example.com/analyses/{i}" if i % 2 else None,
            visibility="team" if i % 3 else "private",
            estimated_hours_saved=2.5 * (i % 17),
            suggested_skill_ids=["sql", "cohort-analysis", f"skill-{i % 7}"],
        )


def test_the_50_row_portfolio_is_at_most_45_kb(client, db, owner):
    fill(db, owner)
    sign_in(client, owner)
    response = client.get("/portfolio", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    html = response.get_data()
    assert html.count(b'<li id="artifact-') == 50
    assert len(html) <= LIMIT, f"{len(html):,} bytes"
    # What keeps it so: no per-row controls (one template for the page), no whitespace
    # between rows, and the shortcuts dialog fetched when first opened.
    assert html.count(b'<template id="row-actions">') == 1
    assert b"artifact-edit" not in html.split(b'<template id="row-actions">')[0]
    assert b"</li>\n" not in html.split(b'<ol id="artifacts"')[1].split(b"</ol>")[0]
    assert b'id="shortcuts-dialog"' not in html


def test_the_shortcuts_dialog_is_fetched_on_its_own(client, owner):
    sign_in(client, owner)
    page = client.get("/portfolio").get_data(as_text=True)
    assert 'data-dialog-url="/help/shortcuts/portfolio"' in page
    dialog = client.get("/help/shortcuts/portfolio").get_data(as_text=True)
    assert '<dialog id="shortcuts-dialog"' in dialog and "Edit the focused artifact" in dialog
    people = client.get("/help/shortcuts/people").get_data(as_text=True)
    assert "Open the focused person" in people and "Edit the focused" not in people
    assert client.get("/help/shortcuts/nope").status_code == 404


def test_the_shortcuts_dialog_needs_a_session(client):
    response = client.get("/help/shortcuts/portfolio")
    assert response.status_code in (302, 303, 401)
