"""The people page and a colleague's portfolio in Chromium: j/k move between rows, the
colleague's rows are read-only (editing shortcuts do nothing), the private artifact never
shows, and axe finds no serious or critical violation on either page."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.support import sign_in
from tests.support import PASSWORD
from workhistory.data import artifacts, invites

pytestmark = pytest.mark.browser


@pytest.fixture
def colleague(db, user, make_colleague):
    """A colleague of the signed-in user with three team artifacts and one private one."""
    ada = make_colleague(user.tenant_id, display_name="Ada Colleague")
    entries = []
    for offset, title in enumerate(["Alpha shared", "Bravo shared", "Charlie shared"]):
        values = {"title": title, "visibility": "team", "artifact_date": date(2024, 6, 30 - offset)}
        entries.append(artifacts.create_artifact(db, ada.actor, values)[0])
    artifacts.create_artifact(db, ada.actor, {"title": "Hidden private", "visibility": "private"})
    return SimpleNamespace(user_id=ada.user_id, entries=entries)


def _ready(page):
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")


def _serious_violations(page) -> list:
    # Reduced motion: the status toast's fade-in would otherwise be measured mid-transition.
    page.emulate_media(reduced_motion="reduce")
    results = Axe().run(page)
    return [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_people_page_rows_move_with_j_k_and_open_a_colleague(page, user, colleague):
    sign_in(page, user)
    page.goto("/people")
    _ready(page)
    people = page.locator("#people > li.person")
    expect(people).to_have_count(2)
    first, second = people.nth(0), people.nth(1)  # by name: Ada, then Kay

    page.keyboard.press("j")
    expect(first).to_be_focused()
    page.keyboard.press("j")
    expect(second).to_be_focused()
    page.keyboard.press("j")  # the last row stays put
    expect(second).to_be_focused()
    page.keyboard.press("k")
    expect(first).to_be_focused()

    # From the focused row, Tab reaches its link and Enter opens that colleague's page.
    page.keyboard.press("Tab")
    expect(first.locator("a.person-name")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/people/{colleague.user_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Colleague")


def test_colleague_portfolio_is_keyboard_navigable_and_read_only(page, user, colleague):
    sign_in(page, user)
    page.goto(f"/people/{colleague.user_id}")
    _ready(page)
    rows = page.locator("#artifacts > li.artifact")
    expect(rows).to_have_count(3)
    expect(page.get_by_text("Hidden private")).to_have_count(0)
    alpha, bravo, charlie = (page.locator(f"#artifact-{e.id}") for e in colleague.entries)

    page.keyboard.press("j")
    expect(alpha).to_be_focused()
    page.keyboard.press("j")
    expect(bravo).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(charlie).to_be_focused()
    page.keyboard.press("k")
    expect(bravo).to_be_focused()

    # Editing shortcuts do nothing here: no form, no dialog, no request, focus stays.
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    for key in ("e", "Enter", "d", "Delete", "n"):
        page.keyboard.press(key)
        expect(bravo).to_be_focused()
    expect(page.locator(".artifact-editing, #artifact-new")).to_have_count(0)
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(page.locator("a.artifact-edit, .artifact-delete")).to_have_count(0)
    assert requests == []
    expect(page).to_have_url(re.compile(rf"/people/{colleague.user_id}$"))


def test_people_and_colleague_pages_pass_the_accessibility_audit(page, user, colleague):
    sign_in(page, user)
    page.goto("/people")
    _ready(page)
    page.keyboard.press("j")  # audit the focused-row styles too
    expect(page.locator("#people > li.person").first).to_be_focused()
    assert _serious_violations(page) == []
    page.get_by_role("button", name="Create invite link").click()
    expect(page.get_by_label("New invite link")).to_be_focused()
    expect(page.locator("#status")).to_contain_text("Invite link created")
    assert _serious_violations(page) == []

    page.goto(f"/people/{colleague.user_id}")
    _ready(page)
    page.keyboard.press("j")
    expect(page.locator(f"#artifact-{colleague.entries[0].id}")).to_be_focused()
    assert _serious_violations(page) == []


def test_revoking_an_invite_keeps_focus_in_the_panel(page, user):
    sign_in(page, user)
    page.goto("/people")
    _ready(page)
    page.get_by_role("button", name="Create invite link").click()
    link = page.get_by_label("New invite link")
    expect(link).to_be_focused()
    expect(link).to_have_value(re.compile(r"/join/[A-Za-z0-9_-]{43}$"))
    page.get_by_role("button", name=re.compile("^Revoke")).click()
    expect(page.locator("#open-invites")).to_be_focused()
    expect(page.locator("#status")).to_contain_text("Invite revoked")
    expect(page.get_by_role("button", name=re.compile("^Revoke"))).to_have_count(0)
    expect(page.get_by_label("New invite link")).to_have_count(0)


def test_joining_through_an_invite_link(page, db, user):
    """The join page passes the audit, starts in its first field, and lands on /portfolio."""
    token = invites.create_invite(db, user.actor).token
    page.goto(f"/join/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Keyboard Co")
    expect(page.get_by_label("Your name")).to_be_focused()
    assert _serious_violations(page) == []
    page.keyboard.type("Nia Newcomer")
    page.keyboard.press("Tab")
    page.keyboard.type(f"nia-{token[:8].lower()}@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/portfolio")
    page.goto("/people")
    expect(page.locator("#people > li.person")).to_have_count(2)
    expect(page.locator("#people")).to_contain_text("Nia Newcomer")
