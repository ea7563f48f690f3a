"""The real Content-Security-Policy is served and respected, and the page works without JS."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import BrowserProblems, add_artifacts, sign_in
from tests.support import actor_of
from workhistory.data import artifacts
from workhistory.web import security

pytestmark = pytest.mark.browser


def test_the_strict_csp_is_served_and_the_page_runs_under_it(page, user, entries):
    sign_in(page, user)
    response = page.reload()
    policy = response.headers["content-security-policy"]
    assert policy == security.CONTENT_SECURITY_POLICY
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # The scripts ran under it: htmx loaded and the keyboard module bound its listener.
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    assert page.evaluate("() => typeof window.htmx") == "object"
    # (The `page` fixture fails the test on any CSP console message or page error.)


def test_the_csp_guard_catches_a_violation(context, live_server):
    """The watcher the other tests rely on does see an inline handler the CSP blocks."""
    problems = BrowserProblems(live_server)
    page = problems.watch(context.new_page())
    page.goto("/login")
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            """() => document.body.insertAdjacentHTML(
                   "beforeend", '<img alt="" src="/static/app.css" onload="alert(1)">')"""
        )
    assert any("CSP" in problem for problem in problems.problems)


def test_create_edit_and_delete_without_javascript(new_context, live_server, db, user):
    context = new_context(base_url=live_server, java_script_enabled=False)
    problems = BrowserProblems(live_server)
    page = problems.watch(context.new_page())
    [kept] = add_artifacts(db, user, ["Existing essay"])
    sign_in(page, user)
    expect(page.locator("#shortcuts-help")).to_be_hidden()  # no shortcuts without JS

    page.get_by_role("link", name="New artifact").click()
    page.wait_for_url("**/portfolio/artifacts/new")
    page.get_by_label("Title", exact=True).fill("Plain form artifact")
    page.get_by_label("Hours saved").fill("2")
    page.get_by_role("button", name="Add artifact").click()
    page.wait_for_url("**/portfolio")
    expect(page.locator("#status")).to_have_text(re.compile("Added “Plain form artifact”"))
    expect(page.locator("#artifacts-count")).to_have_text("2 of 50")
    [created] = [
        e for e in artifacts.list_artifacts(db, actor_of(user)).entries if e.id != kept.id
    ]
    assert (created.title, created.estimated_hours_saved) == ("Plain form artifact", 2)

    # Without JavaScript a row has no controls of its own (SPEC §8: app.js adds them): its
    # title leads to the artifact's page, which has Edit and Delete.
    created_row = page.locator(f"#artifact-{created.id}")
    expect(created_row.locator("a.artifact-edit, .artifact-delete")).to_have_count(0)

    def open_artifact():
        created_row.locator("h2 > a").click()
        page.wait_for_url(f"**/portfolio/artifacts/{created.id}")

    open_artifact()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.wait_for_url(f"**/portfolio/artifacts/{created.id}/edit")
    page.get_by_label("Title", exact=True).fill("Plain form artifact, revised")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/portfolio")
    expect(created_row.locator("h2")).to_have_text("Plain form artifact, revised")
    stored = artifacts.get_artifact(db, actor_of(user), created.id)
    assert stored.title == "Plain form artifact, revised"
    assert stored.estimated_hours_saved == 2  # the fields not changed stay as they were

    # Delete goes through a confirmation page (SPEC §11), focus on Cancel.
    open_artifact()
    page.get_by_role("link", name="Delete", exact=True).click()
    page.wait_for_url(f"**/portfolio/artifacts/{created.id}/delete*")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Delete “Plain form artifact, revised”?")
    expect(page.get_by_role("link", name="Cancel")).to_be_focused()
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url("**/portfolio")
    assert len(artifacts.list_artifacts(db, actor_of(user)).entries) == 2
    open_artifact()
    page.get_by_role("link", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/portfolio")
    expect(created_row).to_have_count(0)
    expect(page.locator("#artifacts-count")).to_have_text("1 of 50")
    assert [e.id for e in artifacts.list_artifacts(db, actor_of(user)).entries] == [kept.id]

    # Undo is a plain form on the page that follows: the artifact comes back as it was.
    status = page.locator("#status")
    expect(status).to_contain_text("Deleted “Plain form artifact, revised”.")
    status.get_by_role("button", name="Undo").click()
    page.wait_for_url("**/portfolio*")
    expect(status).to_have_text("Restored “Plain form artifact, revised”.")
    expect(created_row).to_have_count(1)
    expect(page.locator("#artifacts-count")).to_have_text("2 of 50")
    assert artifacts.get_artifact(db, actor_of(user), created.id) == stored
    problems.assert_none()
