"""axe-core audits of the portfolio page in each state a keyboard user meets."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.support import field, row, sign_in

pytestmark = pytest.mark.browser

AXE = Axe()
BLOCKING = {"serious", "critical"}


def assert_no_serious_violations(page: Page, state: str) -> None:
    """Audit ``page`` once every running CSS transition has ended.

    axe computes contrast from the colours it sees, so a toast caught half-way through its
    0.3 s fade-in reads as low contrast (a flaky failure CI met); the end state is what a
    user reads and what is audited.
    """
    page.evaluate(
        "() => Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)))"
    )
    results = AXE.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in blocking
    ]
    assert report == [], f"axe violations in the {state} state"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_view_edit_invalid_and_dialog_states_pass_axe(portfolio, entries, scheme):
    page = portfolio
    # Reduced motion: axe must see settled colours, not the status region halfway through
    # its fade (the stylesheet drops the transition for this setting).
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    alpha = row(page, entries[0])
    page.keyboard.press("j")
    expect(alpha).to_be_focused()
    # The controls the shortcuts drive say so to assistive technology.
    expect(page.locator("#new-artifact")).to_have_attribute("aria-keyshortcuts", "n")
    expect(alpha.locator("a.artifact-edit")).to_have_attribute("aria-keyshortcuts", "e")
    expect(alpha.locator("button.artifact-delete")).to_have_attribute(
        "aria-keyshortcuts", "d Delete"
    )
    expect(page.locator("#shortcuts-help")).to_have_attribute("aria-keyshortcuts", "?")
    assert_no_serious_violations(page, "view")

    page.keyboard.press("e")
    title = field(page, "title", entries[0])
    expect(title).to_be_focused()
    expect(alpha.locator("button.save")).to_have_attribute(
        "aria-keyshortcuts", "Control+Enter Meta+Enter"
    )
    expect(alpha.locator("a.cancel")).to_have_attribute("aria-keyshortcuts", "Escape")
    assert_no_serious_violations(page, "edit")

    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")
    page.keyboard.press("Control+Enter")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_be_focused()
    assert_no_serious_violations(page, "422")

    # The refused input was never saved: Escape asks before throwing it away (SPEC §11).
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-discard")).to_be_visible()
    assert_no_serious_violations(page, "discard dialog")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(row(page, entries[0])).to_be_focused()
    page.keyboard.press("d")
    expect(page.locator("#confirm-delete")).to_be_visible()
    assert_no_serious_violations(page, "delete dialog")
    page.keyboard.press("Escape")

    page.keyboard.press("?")
    expect(page.locator("#shortcuts-dialog")).to_be_visible()
    assert_no_serious_violations(page, "help dialog")


def test_new_form_and_empty_page_pass_axe(page, user):
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, user)
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    assert_no_serious_violations(page, "empty")
    page.keyboard.press("n")
    expect(field(page, "title", "new")).to_be_focused()
    assert_no_serious_violations(page, "new form")
