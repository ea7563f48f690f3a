"""Results reach the status region, including failures only the browser sees."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import field, row
from tests.support import actor_of
from workhistory.data import artifacts

pytestmark = pytest.mark.browser


def test_a_conflict_is_announced_and_escape_discards_to_the_saved_row(
    portfolio, entries, db, user
):
    page = portfolio
    alpha = row(page, entries[0])
    expect(page.locator("#hours-saved-total")).to_have_text("0 hours saved")
    page.keyboard.press("j")
    page.keyboard.press("e")
    title = field(page, "title", entries[0])
    expect(title).to_be_focused()
    # Someone else (another tab) saves first, hours included.
    artifacts.update_artifact(
        db, actor_of(user), entries[0].id,
        {"title": "Alpha (theirs)", "estimated_hours_saved": 2.5}, entries[0].version,
    )
    page.keyboard.press("Control+a")
    title.press_sequentially("Alpha (mine)")
    page.keyboard.press("Control+Enter")

    notice = alpha.locator(".conflict-notice")
    expect(notice).to_be_focused()
    expect(page.locator("#status")).to_have_text(re.compile("changed since you opened it"))
    expect(field(page, "title", entries[0])).to_have_value("Alpha (mine)")  # input kept
    expect(page.locator("#hours-saved-total")).to_have_text("2.5 hours saved")  # the truth
    # Escape would throw away input that was never saved: it asks first (SPEC §11).
    page.keyboard.press("Escape")
    dialog = page.locator("#confirm-discard")
    expect(dialog.get_by_role("button", name="Keep editing")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Discard changes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(alpha).to_be_focused()
    expect(alpha.locator("h2")).to_have_text("Alpha (theirs)")
    expect(page.locator("#hours-saved-total")).to_have_text("2.5 hours saved")
    expect(page.locator("#artifacts-count")).to_have_text("3 of 50")
    stored = artifacts.get_artifact(db, actor_of(user), entries[0].id)
    assert stored.title == "Alpha (theirs)"


def test_discard_mine_after_a_conflict_shows_the_true_totals(portfolio, entries, db, user):
    """The path the issue found wrong: a conflict, then the "Discard mine" button."""
    page = portfolio
    alpha = row(page, entries[0])
    page.keyboard.press("j")
    page.keyboard.press("e")
    hours = field(page, "estimated_hours_saved", entries[0])
    expect(field(page, "title", entries[0])).to_be_focused()
    artifacts.update_artifact(db, actor_of(user), entries[0].id,
                              {"estimated_hours_saved": 1158.5}, entries[0].version)
    hours.fill("1156.5")
    page.keyboard.press("Control+Enter")
    expect(alpha.locator(".conflict-notice")).to_be_focused()
    alpha.get_by_role("link", name="Discard mine").click()  # says what it does: no question
    expect(alpha).to_be_focused()
    expect(page.locator("#confirm-discard")).to_be_hidden()
    expect(page.locator("#hours-saved-total")).to_have_text("1,158.5 hours saved")
    assert artifacts.owner_totals(db, actor_of(user)).hours_saved == 1158.5


def test_an_expired_csrf_token_is_announced_with_a_reload(portfolio, entries, db, user):
    page = portfolio
    page.evaluate(
        """() => document.querySelector('meta[name="csrf-token"]')
                  .setAttribute("content", "expired-token")"""
    )
    bravo = row(page, entries[1])
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("d")
    expect(page.locator("#confirm-delete button[value=cancel]")).to_be_focused()
    page.keyboard.press("Tab")
    with page.expect_response(lambda r: r.request.method == "DELETE") as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 400
    status = page.locator("#status")
    expect(status).to_contain_text("This page has expired, so nothing was changed.")
    expect(status.get_by_role("button", name="Reload the page")).to_be_visible()
    expect(bravo).to_be_visible()
    expect(bravo).to_be_focused()  # nothing was removed, so focus stays put
    assert len(artifacts.list_artifacts(db, actor_of(user)).entries) == 3


def test_a_network_failure_is_announced(portfolio, entries):
    page = portfolio
    page.route("**/portfolio/artifacts/**", lambda route: route.abort())
    page.keyboard.press("j")
    expect(row(page, entries[0])).to_be_focused()  # the next key acts on the focused row
    page.keyboard.press("e")
    expect(page.locator("#status")).to_have_text(re.compile("could not be reached"))
    expect(row(page, entries[0])).to_be_focused()
    expect(row(page, entries[0])).not_to_have_class(re.compile("artifact-editing"))
