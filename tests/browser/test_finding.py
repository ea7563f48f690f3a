"""Finding, reading and nothing lost, pressing real keys in Chromium (SPEC §6, §10, §11): `/`
and Escape in the search box, active search with the URL pushed, the no-match state, `o` and
More/Less, `u` and the Undo button, the limit shown before any form opens, Enter on a person,
`?` on the people pages, the toast that never covers the focused field, and axe on each new
state."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.support import add_artifacts, field, row, sign_in, sign_in_by_cookie
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.support import SQL, actor_of
from workhistory.data import artifacts

pytestmark = pytest.mark.browser


def test_slash_focuses_search_which_narrows_as_you_type_and_escape_clears(portfolio, entries):
    page = portfolio
    box = page.locator("#search-q")
    page.keyboard.press("/")
    expect(box).to_be_focused()
    with page.expect_response(lambda r: "q=brav" in r.url) as answer:
        box.press_sequentially("brav")  # the word still being typed matches as a prefix
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#artifacts > li.artifact")).to_have_count(1)
    expect(row(page, entries[1])).to_be_visible()
    expect(page).to_have_url(re.compile(r"/portfolio\?q=brav$"))
    expect(page.locator("#artifacts-count")).to_have_text("3 of 50")
    expect(page.locator("#artifacts-shown")).to_have_text("· 1 shown")
    expect(box).to_be_focused()  # only the results were swapped: typing goes on
    box.press_sequentially("o dashboard")
    expect(page).to_have_url(re.compile(r"q=bravo\+dashboard$"))
    expect(page.locator("#artifacts > li.artifact")).to_have_count(1)

    page.keyboard.press("Escape")
    expect(box).to_have_value("")
    expect(page.locator("#artifacts > li.artifact")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"/portfolio$"))
    expect(page.locator("#artifacts-shown")).to_have_text("")
    expect(box).to_be_focused()
    # Shortcuts are text while typing in the box: "/" included.
    box.press_sequentially("a/b")
    expect(box).to_have_value("a/b")


def test_a_search_that_matches_nothing_offers_to_clear(portfolio, entries):
    page = portfolio
    page.keyboard.press("/")
    page.locator("#search-q").press_sequentially("unicorns")
    no_match = page.locator(".no-match")
    expect(no_match).to_be_visible()
    expect(no_match).to_contain_text("No artifact matches “unicorns”.")
    expect(page.locator("#artifacts-shown")).to_have_text("· 0 shown")
    assert_no_serious_violations(page, "no match")
    no_match.get_by_role("link", name="Clear the search and filters").click()
    expect(page.locator("#artifacts > li.artifact")).to_have_count(3)
    expect(page.locator("#search-q")).to_have_value("")
    expect(page.locator("#search-q")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/portfolio$"))


def test_filters_and_sort_follow_the_selects(page, app, live_server, db, user):
    add_artifacts(db, user, ["Alpha report", "Bravo dashboard"])
    artifacts.create_artifact(db, actor_of(user), {
        "title": "Zulu code", "artifact_type": "code", "artifact_date": date(2019, 1, 1),
        "artifact_date_precision": "year", "estimated_hours_saved": 99.0})
    sign_in_by_cookie(page.context, app, live_server, user)
    page.goto("/portfolio")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    titles = page.locator("#artifacts > li > h2")
    expect(titles).to_have_text(["Alpha report", "Bravo dashboard", "Zulu code"])
    page.locator("#filter-sort").select_option("hours")
    expect(titles).to_have_text(["Zulu code", "Alpha report", "Bravo dashboard"])
    expect(page).to_have_url(re.compile(r"\?sort=hours$"))
    page.locator("#filter-type").select_option("code")
    expect(titles).to_have_text(["Zulu code"])
    page.locator("#filter-year").select_option("2024")
    expect(page.locator(".no-match")).to_be_visible()
    page.go_back()  # the URL history is real: back shows the page as it was
    expect(titles).to_have_text(["Zulu code"])
    expect(page.locator("#filter-year")).to_have_value("")
    expect(page.locator("#filter-type")).to_have_value("code")


def test_o_and_more_expand_a_row_to_everything_and_back(page, app, live_server, db, user):
    long = "First line of a long description. " * 12 + "\nLast line: END-MARKER"
    entry, _ = artifacts.create_artifact(db, actor_of(user), {
        "title": "Long one", "description": long, "source_url": "https://example.com/x",
        "suggested_skill_ids": ["sql"], "artifact_date": date(2020, 5, 1),
        "artifact_date_precision": "month"})
    sign_in_by_cookie(page.context, app, live_server, user)
    page.goto("/portfolio")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    the_row = row(page, entry)
    more = the_row.locator("a.artifact-more")
    expect(more).to_have_attribute("aria-expanded", "false")
    expect(the_row).not_to_contain_text("END-MARKER")

    page.keyboard.press("j")
    expect(the_row).to_be_focused()
    page.keyboard.press("o")
    expect(the_row.locator(".artifact-text")).to_contain_text("END-MARKER")
    expect(the_row.locator("a.artifact-more")).to_have_attribute("aria-expanded", "true")
    expect(the_row.locator("a.artifact-more")).to_have_text("Less")
    expect(the_row).to_contain_text("Last updated")
    skill = the_row.get_by_role("link", name="SQL", exact=True)
    expect(skill).to_have_attribute("href", f"/portfolio?skill={SQL.replace(':', '%3A')}")
    expect(the_row).to_be_focused()  # focus stays on the row
    assert_no_serious_violations(page, "expanded row")
    page.keyboard.press("o")
    expect(the_row.locator("a.artifact-more")).to_have_attribute("aria-expanded", "false")
    expect(the_row).not_to_contain_text("END-MARKER")
    expect(the_row).to_be_focused()

    # Enter still edits the focused row, expanded or not.
    page.keyboard.press("o")
    expect(the_row.locator("a.artifact-more")).to_have_text("Less")
    page.keyboard.press("Enter")
    expect(field(page, "title", entry)).to_be_focused()
    page.keyboard.press("Escape")  # untouched: closes at once
    expect(the_row).to_be_focused()

    # A click (or Enter) on More keeps focus on the toggle.
    the_row.locator("a.artifact-more").click()
    less = the_row.locator("a.artifact-more")
    expect(less).to_have_text("Less")
    expect(less).to_be_focused()
    page.keyboard.press("Enter")
    expect(the_row.locator("a.artifact-more")).to_have_text("More")
    expect(the_row.locator("a.artifact-more")).to_be_focused()


def test_u_undoes_a_delete_and_the_toast_goes_when_the_window_does(portfolio, entries, db,
                                                                   user):
    page = portfolio
    page.clock.install()
    bravo = row(page, entries[1])
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("d")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(bravo).to_have_count(0)
    status = page.locator("#status")
    expect(status).to_contain_text("Deleted “Bravo dashboard”.")
    expect(status.get_by_role("button", name="Undo")).to_be_visible()
    expect(page.locator("#artifacts-count")).to_have_text("2 of 50")
    assert_no_serious_violations(page, "undo toast")

    page.keyboard.press("u")
    expect(bravo).to_be_focused()  # back where it was, with focus
    expect(status).to_have_text("Restored “Bravo dashboard”.")
    expect(page.locator("#artifacts-count")).to_have_text("3 of 50")
    titles = page.locator("#artifacts > li > h2")
    expect(titles).to_have_text(["Alpha report", "Bravo dashboard", "Charlie memo"])
    assert artifacts.get_artifact(db, actor_of(user), entries[1].id) == entries[1]

    # Delete again, and let the window pass: the offer goes with it.
    page.keyboard.press("d")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(status.get_by_role("button", name="Undo")).to_be_visible()
    page.clock.fast_forward("00:29")
    expect(status.get_by_role("button", name="Undo")).to_be_visible()
    page.clock.fast_forward("00:02")
    expect(status).to_have_text("")
    page.keyboard.press("u")
    expect(status).to_have_text("Nothing to undo.")


def test_the_undo_button_works_by_mouse_and_survives_other_requests(portfolio, entries):
    page = portfolio
    row(page, entries[0]).get_by_role("button", name=re.compile("^Delete")).click()
    page.locator("#confirm-delete").get_by_role("button", name="Delete").click()
    expect(row(page, entries[0])).to_have_count(0)
    expect(row(page, entries[1])).to_be_focused()
    page.keyboard.press("o")  # another request meanwhile: the Undo stays
    expect(row(page, entries[1]).locator("a.artifact-more")).to_have_text("Less")
    page.locator("#status").get_by_role("button", name="Undo").click()
    expect(row(page, entries[0])).to_be_visible()
    expect(page.locator("#artifacts-count")).to_have_text("3 of 50")


def test_cancel_on_a_changed_form_asks_too(portfolio, entries, db, user):
    page = portfolio
    page.keyboard.press("j")
    page.keyboard.press("e")
    description = field(page, "description", entries[0])
    description.fill("Changed by mouse")
    row(page, entries[0]).get_by_role("link", name="Cancel").click()
    dialog = page.locator("#confirm-discard")
    expect(dialog.get_by_role("button", name="Keep editing")).to_be_focused()
    assert_no_serious_violations(page, "discard dialog")
    dialog.get_by_role("button", name="Discard changes").click()
    expect(row(page, entries[0])).to_be_focused()
    assert artifacts.get_artifact(db, actor_of(user), entries[0].id).description == ""
    # A select changed back and forth is unchanged: it closes at once.
    page.keyboard.press("e")
    kind = field(page, "artifact_type", entries[0])
    kind.select_option("code")
    kind.select_option("other")
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-discard")).to_be_hidden()
    expect(row(page, entries[0])).to_be_focused()


def test_at_fifty_new_is_disabled_with_the_reason_before_any_form(page, app, live_server, db,
                                                                 user):
    entries = [artifacts.create_artifact(db, actor_of(user), {"title": f"Artifact {i}"})[0]
               for i in range(50)][::-1]  # undated: the newest first
    sign_in_by_cookie(page.context, app, live_server, user)
    page.goto("/portfolio")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    new = page.locator("#new-artifact")
    expect(new).to_have_attribute("aria-disabled", "true")
    expect(page.locator("#new-artifact-limit")).to_have_text(
        "50 of 50: the limit. Delete one to add another.")
    assert_no_serious_violations(page, "at the limit")
    new.click(force=True)  # aria-disabled: Playwright would wait for it to be enabled
    expect(page.locator("#status")).to_have_text("50 of 50: the limit. Delete one to add another.")
    page.locator("#status").evaluate("el => { el.textContent = ''; }")
    page.keyboard.press("n")
    expect(page.locator("#status")).to_have_text("50 of 50: the limit. Delete one to add another.")
    expect(page.locator("#artifact-new")).to_have_count(0)
    # A delete makes room: the button is back, and so is `n`.
    page.keyboard.press("j")
    expect(row(page, entries[0])).to_be_focused()
    page.keyboard.press("d")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#artifacts-count")).to_have_text("49 of 50")
    expect(new).not_to_have_attribute("aria-disabled", "true")
    page.keyboard.press("n")
    expect(field(page, "title", "new")).to_be_focused()


def test_enter_and_o_open_a_focused_person_and_question_mark_helps(page, user, make_colleague,
                                                                  db):
    ada = make_colleague(user.tenant_id, display_name="Ada Colleague")
    artifacts.create_artifact(db, ada.actor, {"title": "Shared", "visibility": "team"})
    sign_in(page, user)
    page.goto("/people")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    page.keyboard.press("?")
    help_dialog = page.locator("#shortcuts-dialog")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Open the focused person's portfolio")
    expect(help_dialog).not_to_contain_text("New artifact")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.locator("#people > li.person").first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/people/{ada.user_id}")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Show all of the focused artifact")
    expect(help_dialog).not_to_contain_text("Undo")
    page.keyboard.press("Escape")
    page.go_back()
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"**/people/{ada.user_id}")


def test_the_toast_never_covers_the_field_in_error_on_a_phone(portfolio, entries):
    page = portfolio
    page.set_viewport_size({"width": 390, "height": 700})
    page.keyboard.press("j")
    page.keyboard.press("e")
    link = field(page, "source_url", entries[0])
    expect(field(page, "title", entries[0])).to_be_focused()
    link.fill("javascript:alert(1)")  # a field low in the form, near the bottom of the screen
    link.scroll_into_view_if_needed()
    page.keyboard.press("Control+Enter")
    expect(link).to_be_focused()
    status = page.locator("#status")
    expect(status).to_have_text("Not saved: check the highlighted fields.")
    page.wait_for_timeout(400)  # the toast's slide-in transition
    box = link.locator("xpath=ancestor::div[contains(@class, 'field')][1]")  # label to error
    for target in (link, page.locator(f"#source_url-error-{entries[0].id}"), box):
        a, b = status.bounding_box(), target.bounding_box()
        overlap = (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
                   and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
        assert not overlap, (a, b)
    # The same for a field in the middle of the form, whose hint and error sit under it.
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")
    date_field = field(page, "artifact_date", entries[0])
    date_field.fill("0040-03-15")
    # The field just above the toast's place, as a phone user scrolling the form has it: its
    # error line will appear below it, where the toast is.
    date_field.evaluate("el => window.scrollBy(0, el.getBoundingClientRect().bottom"
                        " - window.innerHeight + 90)")
    page.keyboard.press("Control+Enter")
    expect(date_field).to_be_focused()
    expect(page.locator(f"#artifact_date-error-{entries[0].id}")).to_have_text(
        "Use a date from 1950 on.")
    page.wait_for_timeout(400)
    date_box = date_field.locator("xpath=ancestor::div[contains(@class, 'field')][1]")
    a, b = status.bounding_box(), date_box.bounding_box()
    assert not (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
                and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]), (a, b)
    # The message goes once its state does: Escape (and a confirmed discard) closes the form.
    page.keyboard.press("Escape")
    page.locator("#confirm-discard").get_by_role("button", name="Discard changes").click()
    expect(row(page, entries[0])).to_be_focused()
    expect(status).to_have_text("")
