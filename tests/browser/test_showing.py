"""Showing it, in real Chromium (SPEC §12): a share link made from the keyboard and without
JavaScript, the résumé and the portfolio printed to PDF (at most two pages for ten
artifacts, no navigation or buttons on paper), and axe on the new pages."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in_by_cookie
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.support import actor_of
from workhistory.data import artifacts, shares

pytestmark = pytest.mark.browser

TEN = [
    ("Churn model and retention memo", "analysis", 40.0, ["sql", "cohort-analysis", "writing"]),
    ("Invoice reconciliation script", "code", 120.0, ["python", "pandas"]),
    ("Onboarding checklist for new analysts", "process", 16.5, ["documentation"]),
    ("Board deck: 2022 product review", "presentation", 8.0, ["storytelling"]),
    ("Design system colour tokens", "design", 30.0, ["accessibility", "design-systems"]),
    ("Weekly KPI dashboard", "analysis", 52.0, ["sql", "tableau"]),
    ("Data retention policy", "document", 6.0, ["compliance", "writing"]),
    ("ETL for the CRM export", "code", 75.5, ["python", "sql", "airflow"]),
    ("Pricing experiment analysis", "analysis", 12.0, ["statistics", "sql"]),
    ("Incident runbook", "process", 9.0, ["operations", "documentation"]),
]


def _pages(pdf: bytes) -> int:
    """The number of pages of a PDF Chromium printed (its page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


@pytest.fixture
def ten(db, user) -> list:
    made = []
    for i, (title, kind, hours, skills) in enumerate(TEN):
        entry, _ = artifacts.create_artifact(db, actor_of(user), {
            "title": title, "artifact_type": kind, "estimated_hours_saved": hours,
            "suggested_skill_ids": skills, "visibility": "team",
            "artifact_date": date(2024 - i // 2, 1 + i, 10),
            "description": f"{title}: what it was, who used it and what it replaced, in a"
                           " sentence or two, as people write them for a portfolio.",
            "source_url": f"https://wiki.example.com/work/{i}" if i % 2 else None})
        made.append(entry)
    return made


def test_the_resume_of_ten_artifacts_prints_on_at_most_two_pages(page, db, user, ten):
    new = shares.create_share(db, actor_of(user), "print", "team", None, [])
    page.emulate_media(color_scheme="dark")  # paper is light whatever the screen
    page.goto(f"/s/{new.token}")
    expect(page.get_by_role("heading", name="Kay Board")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert 1 <= _pages(pdf) <= 2
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    for item in page.locator(".resume-item").all():
        assert item.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    # Links keep their address on paper: shown as text already, so not repeated after it.
    link = page.locator(".resume-link a").first
    expect(link).to_have_text(re.compile(r"wiki\.example\.com/work/\d"))
    assert link.evaluate("e => getComputedStyle(e, '::after').content") == "none"


def test_the_portfolio_prints_without_navigation_or_buttons(portfolio, ten):
    page = portfolio
    page.reload()
    pdf = page.pdf(format="A4")
    assert 1 <= _pages(pdf) <= 2
    page.emulate_media(media="print")
    for hidden in (".site-header", ".page-actions", ".artifact-actions", "#status"):
        assert page.locator(hidden).first.is_hidden(), hidden
    expect(page.locator(".artifact").first).to_be_visible()


def test_a_share_link_made_from_the_keyboard(page, app, live_server, user, ten):
    sign_in_by_cookie(page.context, app, live_server, user)
    page.goto("/shares")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    label = page.get_by_label("Label")
    label.focus()
    label.press_sequentially("Hiring panel")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Stops working")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("All my team artifacts")).to_be_focused()
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys
    chosen = page.get_by_label("Only the artifacts I choose")
    expect(chosen).to_be_checked()
    page.keyboard.press("Tab")
    first = page.locator(".share-choice-list input").first  # the newest: TEN[1]
    expect(first).to_be_focused()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    page.get_by_role("button", name="Create link").focus()
    page.keyboard.press("Enter")
    link = page.locator("#share-link")
    expect(link).to_be_focused()
    expect(page.locator("#status")).to_contain_text("shown only once")
    url = link.input_value()
    assert_no_serious_violations(page, "share created")
    other = page.context.browser.new_context()
    try:
        viewer = other.new_page()
        viewer.goto(url)
        expect(viewer.get_by_role("heading", name=TEN[1][0])).to_be_visible()
        assert viewer.locator(".resume-item").count() == 1
    finally:
        other.close()


def test_sharing_and_importing_work_without_javascript(new_context, live_server, app, user,
                                                        ten, db, browser_problems):
    context = new_context(base_url=live_server, java_script_enabled=False)
    page = browser_problems.watch(context.new_page())
    sign_in_by_cookie(context, app, live_server, user)
    page.goto("/shares")
    page.get_by_label("Label").fill("No script")
    page.get_by_role("button", name="Create link").click()
    expect(page.locator("#share-link")).to_have_value(re.compile(r"/s/[A-Za-z0-9_-]{43}$"))
    page.get_by_role("button", name="Revoke “No script”").click()
    expect(page.locator(".share-revoked")).to_have_count(1)

    page.goto("/portfolio/import")
    payload = {"artifacts": [{"title": "From the old CV", "artifact_type": "document"}]}
    page.set_input_files("#import-file", files=[{"name": "cv.json", "mimeType":
                                                 "application/json",
                                                 "buffer": json.dumps(payload).encode()}])
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-message")).to_contain_text("1 artifact is ready to import")
    page.get_by_role("button", name="Import 1 artifact").click()
    expect(page).to_have_url(re.compile(r"/portfolio$"))
    expect(page.get_by_role("heading", name="From the old CV")).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_insights_resume_and_import_preview_pass_axe(page, app, live_server, db, user, ten,
                                                     scheme):
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    sign_in_by_cookie(page.context, app, live_server, user)
    page.goto("/portfolio/insights")
    expect(page.locator("svg.chart")).to_have_count(4)
    assert_no_serious_violations(page, "insights")
    page.goto("/portfolio/import")
    bad = {"artifacts": [{"title": "", "artifact_date": "2019-02-30"}]}
    page.set_input_files("#import-file", files=[{"name": "bad.json", "mimeType":
                                                 "application/json",
                                                 "buffer": json.dumps(bad).encode()}])
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".import-row-invalid")).to_have_count(1)
    assert_no_serious_violations(page, "import preview with errors")
    new = shares.create_share(db, actor_of(user), "axe", "team", None, [])
    page.goto(f"/s/{new.token}")
    assert_no_serious_violations(page, "résumé")
