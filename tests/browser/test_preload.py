"""Edit forms that open without waiting (SPEC §8): a row's edit form is fetched ahead once the
row has had focus or hover for a moment, and `e`/Enter/Edit swap it in at once, but only while
the row is at the version the form was made from. Real Chromium, real requests."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import field, row
from tests.support import actor_of
from workhistory.data import artifacts

pytestmark = pytest.mark.browser


def _edit_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url)
            if request.url.endswith("/edit") else None)
    return seen


def _focus_and_preload(page, entry, key: str = "j"):
    """Press `key` to focus `entry`'s row and wait until its form has been fetched ahead."""
    edit_url = f"/portfolio/artifacts/{entry.id}/edit"
    with page.expect_response(lambda response: response.url.endswith(edit_url)) as preload:
        page.keyboard.press(key)
    assert preload.value.status == 200
    expect(row(page, entry)).to_be_focused()


def _open_preloaded_and_type(page, entry, text: str):
    """Focus `entry`'s row until its form is fetched ahead, open it with `e`, type `text` as
    the title; return the title field (the form not yet saved)."""
    _focus_and_preload(page, entry)
    page.keyboard.press("e")
    title = field(page, "title", entry)
    expect(title).to_be_focused()
    page.keyboard.press("Control+a")
    title.press_sequentially(text)
    return title


def test_a_form_fetched_ahead_opens_without_a_request(portfolio, entries):
    page = portfolio
    edits = _edit_requests(page)
    _focus_and_preload(page, entries[0])
    assert len(edits) == 1
    page.wait_for_timeout(300)  # focus staying on the row fetches nothing more
    assert len(edits) == 1

    page.keyboard.press("e")
    title = field(page, "title", entries[0])
    expect(title).to_be_focused()  # htmx's autofocus, as for a form it fetched itself
    expect(title).to_have_value("Alpha report")
    assert len(edits) == 1  # the form fetched ahead, nothing asked at the key press


def test_hovering_a_row_fetches_its_form_ahead_and_edit_uses_it(portfolio, entries):
    page = portfolio
    edits = _edit_requests(page)
    bravo = row(page, entries[1])
    with page.expect_response(lambda r: r.url.endswith(f"/{entries[1].id}/edit")):
        bravo.locator("h2").hover()
    bravo.locator("a.artifact-edit").click()
    expect(field(page, "title", entries[1])).to_have_value("Bravo dashboard")
    assert len(edits) == 1


def test_a_form_fetched_ahead_is_never_used_once_the_row_changed(portfolio, entries, db, user):
    page = portfolio
    alpha = row(page, entries[0])
    _focus_and_preload(page, entries[0])
    expect(alpha).to_have_attribute("data-v", str(entries[0].version))

    # Someone else saves the artifact; the page's row is then re-rendered at the new version
    # (More and Less fetch it afresh) while the old form is still held.
    changed, _summary = artifacts.update_artifact(
        db, actor_of(user), entries[0].id, {"title": "Alpha report, changed elsewhere"})
    edits = _edit_requests(page)
    page.keyboard.press("o")
    expect(alpha.locator("a.artifact-more")).to_have_text("Less")
    page.keyboard.press("o")
    expect(alpha.locator("a.artifact-more")).to_have_text("More")
    expect(alpha).to_have_attribute("data-v", str(changed.version))
    expect(alpha).to_be_focused()

    page.keyboard.press("e")
    title = field(page, "title", entries[0])
    expect(title).to_be_focused()
    expect(title).to_have_value("Alpha report, changed elsewhere")
    expect(alpha.locator("input[name='version']")).to_have_value(str(changed.version))
    assert edits, "the form made from the old version was used"


def test_a_form_fetched_ahead_is_not_used_after_a_save_in_the_page(portfolio, entries, db, user):
    page = portfolio
    alpha = row(page, entries[0])
    title = _open_preloaded_and_type(page, entries[0], "Alpha report v2")
    page.keyboard.press("Control+Enter")
    expect(alpha).to_be_focused()
    expect(alpha.locator("h2")).to_have_text("Alpha report v2")

    page.keyboard.press("e")
    expect(title).to_be_focused()
    expect(title).to_have_value("Alpha report v2")
    saved = artifacts.get_artifact(db, actor_of(user), entries[0].id)
    expect(alpha.locator("input[name='version']")).to_have_value(str(saved.version))


def test_the_saved_row_fetches_its_new_form_ahead(portfolio, entries, db, user):
    """A save lands focus on the row it swapped in; that row's form at the new version is
    fetched ahead as for any focused row, so the next `e` does not wait either."""
    page = portfolio
    alpha = row(page, entries[0])
    title = _open_preloaded_and_type(page, entries[0], "Alpha report v3")
    edit_url = f"/portfolio/artifacts/{entries[0].id}/edit"
    with page.expect_response(lambda response: response.url.endswith(edit_url)) as ahead:
        page.keyboard.press("Control+Enter")
        expect(alpha).to_be_focused()
    assert ahead.value.status == 200
    saved = artifacts.get_artifact(db, actor_of(user), entries[0].id)
    expect(alpha).to_have_attribute("data-v", str(saved.version))

    edits = _edit_requests(page)
    page.keyboard.press("e")
    expect(title).to_be_focused()
    expect(title).to_have_value("Alpha report v3")
    expect(alpha.locator("input[name='version']")).to_have_value(str(saved.version))
    assert edits == []  # the form fetched ahead after the save, nothing asked at the key
