"""The artifact form's skills in Chromium (SPEC §9): chips with labels, the combobox (ARIA 1.2
pattern: arrows, Enter, Escape that closes the list without leaving the form, Backspace that
removes the last chip), suggestions while typing that never take focus, and the same field
without JavaScript. The evidence page moves with j/k and opens with Enter."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.support import BrowserProblems, row, sign_in, sign_in_by_cookie
from tests.support import PYTHON, SQL, actor_of, make_artifact
from workhistory.data import artifacts

pytestmark = pytest.mark.browser


@pytest.fixture
def skilled(db, user):
    """An artifact of `user` with two skills: a catalog one (stored as its id) and their own."""
    return make_artifact(db, user, title="Warehouse load job", artifact_date=None,
                         description="Nightly extract into the warehouse.",
                         suggested_skill_ids=["sql", "Looker"])


@pytest.fixture
def editing(page, app, live_server, user, skilled):
    """The signed-in portfolio with `skilled` open for editing (the picker enhanced)."""
    sign_in_by_cookie(page.context, app, live_server, user)
    page.goto("/portfolio")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    row(page, skilled).locator("a.artifact-edit").click()
    expect(box(page, skilled)).to_be_enabled()
    return page


def box(page, entry):
    return page.locator(f"#skill-search-{entry.id}")


def chips(page, entry):
    return page.locator(f"#skill-chips-{entry.id} > li")


def stored(db, user, entry):
    return artifacts.get_artifact(db, actor_of(user), entry.id)


def save(page, entry):
    page.keyboard.press("Control+Enter")
    expect(row(page, entry)).to_be_focused()


def test_chips_show_labels_and_each_has_a_remove_button(editing, skilled, db, user):
    page = editing
    expect(chips(page, skilled)).to_have_text(["SQL×", "Looker×"])
    expect(page.locator(f"#suggested_skill_ids-{skilled.id}")).to_be_hidden()  # the no-JS box
    remove = page.get_by_role("button", name="Remove SQL")
    expect(remove).to_be_visible()
    remove.click()
    expect(chips(page, skilled)).to_have_text(["Looker×"])
    expect(page.get_by_role("button", name="Remove Looker")).to_be_focused()
    expect(page.locator("#status")).to_have_text("Removed “SQL”.")
    save(page, skilled)
    assert stored(db, user, skilled).suggested_skill_ids == ["Looker"]
    expect(row(page, skilled).locator(".chips > li")).to_have_text(["Looker"])


def test_the_combobox_keys(editing, skilled, db, user):
    page = editing
    search = box(page, skilled)
    listbox = page.locator(f"#skill-options-{skilled.id}")
    search.focus()
    expect(search).to_have_attribute("role", "combobox")
    expect(search).to_have_attribute("aria-expanded", "false")
    search.press_sequentially("pyth")
    expect(search).to_have_attribute("aria-expanded", "true")
    expect(listbox).to_be_visible()
    first = listbox.get_by_role("option").first
    expect(first).to_have_text("Python (computer programming)")

    page.keyboard.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(search).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")  # adds the option; the form is not submitted
    expect(chips(page, skilled)).to_have_text(["SQL×", "Looker×", "Python (computer programming)×"])
    expect(search).to_have_value("")
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(search).to_be_focused()
    expect(row(page, skilled)).to_have_class(re.compile("artifact-editing"))

    # Text that matches nothing exactly is added as typed with Enter.
    search.press_sequentially("Looker Studio")
    expect(listbox.get_by_role("option").last).to_have_text("Add “Looker Studio” as your own skill")
    page.keyboard.press("Enter")
    expect(chips(page, skilled).last).to_have_text("Looker Studio×")

    # Backspace in the empty box removes the last chip, one per press.
    page.keyboard.press("Backspace")
    expect(chips(page, skilled)).to_have_count(3)
    page.keyboard.press("Backspace")
    expect(chips(page, skilled)).to_have_text(["SQL×", "Looker×"])
    expect(search).to_be_focused()

    search.press_sequentially("pyth")
    expect(listbox).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    save(page, skilled)
    assert stored(db, user, skilled).suggested_skill_ids == [SQL, "Looker", PYTHON]
    expect(row(page, skilled).locator(".chips > li")).to_have_text(
        ["SQL", "Looker", "Python (computer programming)"])


def test_escape_closes_the_list_and_only_then_cancels_the_form(editing, skilled, db, user):
    page = editing
    search = box(page, skilled)
    search.focus()
    search.press_sequentially("statis")
    expect(search).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(page.locator(f"#skill-options-{skilled.id}")).to_be_hidden()
    expect(search).to_be_focused()  # still in the form, the text kept
    expect(search).to_have_value("statis")
    expect(row(page, skilled)).to_have_class(re.compile("artifact-editing"))
    page.keyboard.press("Escape")  # the list is closed: now the form's own Escape
    expect(row(page, skilled)).to_be_focused()
    expect(row(page, skilled)).not_to_have_class(re.compile("artifact-editing"))
    assert stored(db, user, skilled).version == skilled.version


def test_suggestions_appear_while_typing_and_never_take_focus(editing, skilled, db, user):
    page = editing
    title = page.locator(f"#title-{skilled.id}")
    title.focus()
    page.keyboard.press("End")
    title.press_sequentially(" with Python and statistics", delay=30)
    suggestion = page.get_by_role("button", name="Add statistics")
    expect(suggestion).to_be_visible(timeout=20_000)  # the first call also builds the engine
    expect(title).to_be_focused()
    expect(title).to_have_value("Warehouse load job with Python and statistics")
    # A chosen skill is never suggested, and the area says how many there are, politely.
    expect(page.locator(f"#skill-suggestions-{skilled.id} [data-value='{SQL}']")).to_have_count(0)
    note = page.locator(f"#skill-suggestions-note-{skilled.id}")
    expect(note).to_have_attribute("aria-live", "polite")
    expect(note).to_have_text(re.compile(r"^\d+ skills? suggested for this text\.$"))

    suggestion.click()
    expect(chips(page, skilled).last).to_have_text("statistics×")
    expect(suggestion).to_have_count(0)
    # By keyboard: Tab to the next suggestion and Enter adds it; focus moves to the next one.
    next_one = page.locator(f"#skill-suggestions-{skilled.id} .chip-suggestion").first
    name = next_one.get_attribute("data-label")
    next_one.focus()
    page.keyboard.press("Enter")
    expect(chips(page, skilled).last).to_have_text(f"{name}×")
    save(page, skilled)
    saved = stored(db, user, skilled)
    assert saved.skill_labels[:3] == ("SQL", "Looker", "statistics")
    assert saved.skill_labels[3] == name


def test_typing_in_the_combobox_is_never_interrupted_by_suggestions(editing, skilled):
    page = editing
    description = page.locator(f"#description-{skilled.id}")
    description.focus()
    page.keyboard.press("End")
    description.press_sequentially(" Tableau dashboards.")
    search = box(page, skilled)
    search.focus()
    search.press_sequentially("forecast", delay=60)
    expect(page.locator(f"#skill-suggestions-{skilled.id} .chip-suggestion").first).to_be_visible(
        timeout=20_000)
    expect(search).to_be_focused()
    expect(search).to_have_value("forecast")


def test_the_picker_passes_axe(editing, skilled):
    page = editing
    search = box(page, skilled)
    search.focus()
    search.press_sequentially("sql")
    expect(search).to_have_attribute("aria-expanded", "true")
    page.emulate_media(reduced_motion="reduce")
    results = Axe().run(page)
    serious = [(v["id"], [n["target"] for n in v["nodes"]]) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_skills_without_javascript(new_context, live_server, db, user, skilled):
    context = new_context(base_url=live_server, java_script_enabled=False)
    problems = BrowserProblems(live_server)
    page = problems.watch(context.new_page())
    sign_in(page, user)
    row(page, skilled).locator("h2 > a").click()  # the artifact's page has Edit (no JS)
    page.wait_for_url(f"**/portfolio/artifacts/{skilled.id}")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.wait_for_url(f"**/portfolio/artifacts/{skilled.id}/edit")
    text = page.get_by_role("textbox", name=re.compile("^Skills"))
    expect(text).to_have_value("SQL, Looker")
    expect(page.locator(".skill-picker")).to_be_hidden()

    text.fill("SQL, Looker, statistics, esco:00000000-0000-0000-0000-000000000000")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(f"#suggested_skill_ids-error-{skilled.id}")).to_contain_text(
        "is not a skill in the catalog")
    expect(text).to_have_value(
        "SQL, Looker, statistics, esco:00000000-0000-0000-0000-000000000000")
    assert stored(db, user, skilled).suggested_skill_ids == [SQL, "Looker"]

    text.fill("SQL, Looker, python")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/portfolio")
    assert stored(db, user, skilled).suggested_skill_ids == [SQL, "Looker", PYTHON]
    expect(row(page, skilled).locator(".chips > li")).to_have_text(
        ["SQL", "Looker", "Python (computer programming)"])
    problems.assert_none()


def test_the_evidence_page_moves_with_j_k_and_opens_with_enter(page, app, live_server, db, user):
    make_artifact(db, user, suggested_skill_ids=["sql", "Looker"], estimated_hours_saved=3.0)
    make_artifact(db, user, suggested_skill_ids=["sql"])
    sign_in_by_cookie(page.context, app, live_server, user)
    page.goto("/portfolio")
    page.get_by_role("link", name="Skills", exact=True).click()
    page.wait_for_url("**/portfolio/skills")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    rows = page.locator("#skills > li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("a.row-open")).to_have_text("SQL")
    page.keyboard.press("j")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/portfolio\?skill=esco"))
