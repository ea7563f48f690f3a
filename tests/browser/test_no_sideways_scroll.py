"""No page scrolls sideways at 390 or 1280 pixels (SPEC §10), whatever the content: a
200-character word in a title, a 2,000-character URL, a 64-character skill id, a long name,
a long search. Every page state is measured in Chromium: scrollWidth <= clientWidth."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import field, row, sign_in_by_cookie
from tests.support import actor_of
from workhistory.data import artifacts

pytestmark = pytest.mark.browser

WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 4  # 180 characters, no break
URL = "https://example.com/" + "a-very-long-path-segment/" * 78  # about 1,970 characters
SKILL = "s" * 64


def assert_no_sideways_scroll(page: Page, state: str) -> None:
    widths = page.evaluate("""() => ({
        doc: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
        body: [document.body.scrollWidth, document.body.clientWidth],
        wide: [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                       && getComputedStyle(e).position !== 'fixed'
                       && !e.closest('.visually-hidden'))
          .slice(0, 3).map(e => e.tagName + '.' + e.className),
    })""")
    assert widths["doc"][0] <= widths["doc"][1], (state, widths)
    assert widths["body"][0] <= widths["body"][1], (state, widths)


@pytest.fixture
def long_content(db, user, make_colleague):
    own, _ = artifacts.create_artifact(db, actor_of(user), {
        "title": "Report " + WORD, "description": f"See {URL} and {WORD}\n\n{WORD}",
        "source_url": URL, "suggested_skill_ids": [SKILL, "sql"], "visibility": "team",
        "estimated_hours_saved": 99999.5})
    colleague = make_colleague(user.tenant_id, display_name="Name" + "x" * 96)
    theirs, _ = artifacts.create_artifact(db, colleague.actor, {
        "title": WORD, "description": WORD, "source_url": URL,
        "suggested_skill_ids": [SKILL], "visibility": "team"})
    return own, colleague, theirs


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_state_scrolls_sideways(page, app, live_server, db, user, long_content,
                                        width):
    own, colleague, theirs = long_content
    page.set_viewport_size({"width": width, "height": 800})
    sign_in_by_cookie(page.context, app, live_server, user)
    page.goto("/portfolio")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    assert_no_sideways_scroll(page, "portfolio")

    the_row = row(page, own)
    page.keyboard.press("j")
    page.keyboard.press("o")
    expect(the_row.locator("a.artifact-more")).to_have_text("Less")
    assert_no_sideways_scroll(page, "expanded row")
    page.keyboard.press("o")
    expect(the_row.locator("a.artifact-more")).to_have_text("More")

    page.keyboard.press("e")
    title = field(page, "title", own)
    expect(title).to_be_focused()
    assert_no_sideways_scroll(page, "edit form")
    field(page, "estimated_hours_saved", own).fill(WORD)
    page.keyboard.press("Control+Enter")
    expect(field(page, "estimated_hours_saved", own)).to_have_attribute("aria-invalid", "true")
    assert_no_sideways_scroll(page, "422 form")
    # A conflict: the saved values (the long URL among them) beside the form.
    artifacts.update_artifact(db, actor_of(user), own.id, {"description": WORD + " v2"})
    field(page, "estimated_hours_saved", own).fill("3")
    page.keyboard.press("Control+Enter")
    expect(the_row.locator(".conflict-notice")).to_be_visible()
    assert_no_sideways_scroll(page, "conflict")
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-discard")).to_be_visible()
    assert_no_sideways_scroll(page, "discard dialog")
    page.locator("#confirm-discard").get_by_role("button", name="Discard changes").click()
    expect(the_row).to_be_focused()

    page.keyboard.press("d")
    expect(page.locator("#confirm-delete")).to_be_visible()
    assert_no_sideways_scroll(page, "delete dialog")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#status").get_by_role("button", name="Undo")).to_be_visible()
    assert_no_sideways_scroll(page, "undo toast")
    page.keyboard.press("u")
    expect(the_row).to_be_focused()

    page.keyboard.press("/")
    page.locator("#search-q").press_sequentially("zz" + WORD[:58])
    expect(page.locator(".no-match")).to_be_visible()
    assert_no_sideways_scroll(page, "no match")
    page.keyboard.press("Escape")
    expect(the_row).to_be_visible()
    the_row.focus()  # out of the box, where "?" is just a character
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-dialog")).to_be_visible()
    assert_no_sideways_scroll(page, "help dialog")
    page.keyboard.press("Escape")

    for path, state in [
        (f"/portfolio/artifacts/{own.id}", "artifact page"),
        (f"/portfolio/artifacts/{own.id}/delete", "delete confirmation page"),
        (f"/portfolio/artifacts/{own.id}/edit", "edit page"),
        ("/people", "people"),
        (f"/people/{colleague.user_id}", "colleague"),
        (f"/people/{colleague.user_id}/artifacts/{theirs.id}", "colleague's artifact page"),
        (f"/people/{colleague.user_id}?q=zz{WORD[:50]}", "colleague no match"),
        (f"/portfolio?skill={SKILL}", "skill filter chip"),
    ]:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
        assert_no_sideways_scroll(page, state)
    page.goto(f"/people/{colleague.user_id}")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    page.keyboard.press("j")
    page.keyboard.press("o")
    expect(row(page, theirs).locator("a.artifact-more")).to_have_text("Less")
    assert_no_sideways_scroll(page, "colleague's expanded row")
