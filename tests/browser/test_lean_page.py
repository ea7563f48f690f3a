"""A lean page (SPEC §8), in Chromium after load: the 50-row portfolio has at most 2,000 DOM
nodes (all nodes, text included), with every row's controls cloned in and labelled."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in_by_cookie
from tests.test_page_size import fill

pytestmark = pytest.mark.browser

COUNT_NODES = """() => {
  const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
  let n = 0;
  while (walker.nextNode()) n++;
  return n;
}"""


def test_the_50_row_portfolio_has_at_most_2000_nodes(page, app, live_server, db, user):
    fill(db, user)
    sign_in_by_cookie(page.context, app, live_server, user)
    page.goto("/portfolio")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    rows = page.locator("#artifacts > li.artifact")
    expect(rows).to_have_count(50)
    # Every row got its controls, named with its title (app.js, from the page's template).
    expect(page.locator("#artifacts > li.artifact > .artifact-actions")).to_have_count(50)
    first = rows.first
    title = first.locator("h2").inner_text()
    expect(first.get_by_role("link", name=f"Edit “{title}”")).to_have_count(1)
    expect(first.get_by_role("button", name=f"Delete “{title}”")).to_have_count(1)
    expect(first).to_have_attribute("aria-labelledby", first.locator("h2").get_attribute("id"))
    nodes = page.evaluate(COUNT_NODES)
    assert nodes <= 2000, nodes
