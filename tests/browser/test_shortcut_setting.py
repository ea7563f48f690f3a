"""The switch for single-key shortcuts (WCAG 2.1.4): off means off, and it is remembered."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import field, row

pytestmark = pytest.mark.browser


def test_single_key_shortcuts_can_be_switched_off_and_stay_off(portfolio, entries):
    page = portfolio
    alpha, bravo = row(page, entries[0]), row(page, entries[1])
    help_dialog = page.locator("#shortcuts-dialog")
    switch = help_dialog.get_by_label("Single-key shortcuts")

    page.keyboard.press("?")
    expect(help_dialog.get_by_role("button", name="Close")).to_be_focused()
    expect(switch).to_be_checked()
    page.keyboard.press("Shift+Tab")
    expect(switch).to_be_focused()
    page.keyboard.press("Space")
    expect(switch).not_to_be_checked()
    expect(page.locator("#status")).to_have_text("Single-key shortcuts off.")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    def single_keys_do_nothing():
        expect(page.locator("body")).to_be_focused()
        for key in ["j", "k", "n", "?"]:
            page.keyboard.press(key)
        expect(page.locator("body")).to_be_focused()
        # Reach a row another way: its own keys still do nothing, but Enter, the arrows and
        # Delete act on the focused row (they are not character keys).
        alpha.focus()
        for key in ["e", "d", "j"]:
            page.keyboard.press(key)
        expect(alpha).to_be_focused()
        expect(page.locator("dialog[open]")).to_have_count(0)
        expect(page.locator("#artifacts > li.artifact-editing")).to_have_count(0)
        page.keyboard.press("ArrowDown")
        expect(bravo).to_be_focused()

    single_keys_do_nothing()
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    single_keys_do_nothing()

    # Back on, from the help button (? is off): the keys work again.
    page.locator("#shortcuts-help").click()
    expect(switch).not_to_be_checked()
    switch.check()
    expect(page.locator("#status")).to_have_text("Single-key shortcuts on.")
    page.keyboard.press("Escape")
    alpha.focus()
    page.keyboard.press("e")
    expect(field(page, "title", entries[0])).to_be_focused()
