"""Search, filters and sort (SPEC §10) on /portfolio and on a colleague's page: web-search
syntax over title and description (phrases, exclusions, stems, accents and case ignored), the
filters and sorts, "N of 50" with "M shown", the no-match state, htmx answers that replace
the results only and push the URL, and invalid values ignored (never a 500)."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support import HTMX, main_and_oob, make_artifact, sign_in
from workhistory.data import artifacts, search

ROWS = re.compile(r'<li id="artifact-([0-9a-f-]{36})" class="artifact')


@pytest.fixture
def library(db, make_workspace):
    """A user with seven artifacts chosen so that each search and filter picks a known set."""
    user = make_workspace(name="Search Co")
    specs = {
        "forecast": dict(title="Quarterly revenue forecast", description="A driver-based model.",
                         artifact_type="analysis", artifact_date=date(2021, 3, 15),
                         estimated_hours_saved=120.0, visibility="team",
                         suggested_skill_ids=["forecasting", "excel"]),
        "forecasting": dict(title="Forecasting handbook", artifact_type="document",
                            description="How we do demand forecasting, step by step.",
                            artifact_date=date(2019, 1, 1), artifact_date_precision="year",
                            estimated_hours_saved=10.0, suggested_skill_ids=["forecasting"]),
        "creme": dict(title="Crème brûlée costing", description="Pâtisserie margins, Zürich.",
                      artifact_type="analysis", artifact_date=date(2019, 6, 1),
                      artifact_date_precision="month", estimated_hours_saved=3.5),
        "churn": dict(title="Churn memo", description="Why customers churn in the first 90 days.",
                      artifact_type="document", artifact_date=date(2020, 11, 2),
                      visibility="team", suggested_skill_ids=["sql"]),
        "phrase": dict(title="Customer churn dashboard", artifact_type="design",
                       description="A dashboard of churn by customer segment.",
                       artifact_date=date(2022, 5, 10), estimated_hours_saved=40.0),
        "apple": dict(title="apple pie recipe", artifact_type="other", description=""),
        "zebra": dict(title="Zebra crossing survey", artifact_type="process",
                      description="Counting crossings.", artifact_date=date(2018, 2, 3),
                      estimated_hours_saved=0.5),
    }
    entries = {}
    for key, values in specs.items():
        entries[key], _ = artifacts.create_artifact(db, user.actor, values)
    return user, entries


def titles(db, user, **filters) -> list[str]:
    portfolio = artifacts.list_artifacts(db, user.actor, search.Filters(**filters))
    return [e.title for e in portfolio.entries]


@pytest.mark.parametrize(("q", "expected"), [
    # Stems: "forecasts" finds "forecast" and "forecasting".
    ("forecasts", {"Quarterly revenue forecast", "Forecasting handbook"}),
    ("FORECAST", {"Quarterly revenue forecast", "Forecasting handbook"}),
    # Accents and case ignored, both ways.
    ("creme brulee", {"Crème brûlée costing"}),
    ("CRÈME", {"Crème brûlée costing"}),
    ("zurich patisserie", {"Crème brûlée costing"}),
    ("Zürich", {"Crème brûlée costing"}),
    # A phrase matches its words in that order only.
    ('"churn dashboard"', {"Customer churn dashboard"}),
    ('"dashboard churn"', set()),
    # ... stemmed: "customers churn" in a description is the phrase "customer churn".
    ('"customer churn"', {"Customer churn dashboard", "Churn memo"}),
    # Exclusions.
    ("churn -dashboard", {"Churn memo"}),
    ("-churn -forecast -crème", {"apple pie recipe", "Zebra crossing survey"}),
    # All words must match; "or" means either.
    ("churn memo", {"Churn memo"}),
    ("zebra or apple", {"Zebra crossing survey", "apple pie recipe"}),
    ("zebra or appl", {"Zebra crossing survey", "apple pie recipe"}),
    ("apple or zebra crossing", {"Zebra crossing survey", "apple pie recipe"}),
    # The word still being typed matches as a prefix (active search).
    ("forec", {"Quarterly revenue forecast", "Forecasting handbook"}),
    ("churn dash", {"Customer churn dashboard"}),
    # The description counts as much as the title.
    ("margins", {"Crème brûlée costing"}),
    ("nothing like this", set()),
    # Punctuation alone narrows nothing (and never raises).
    ("!!! ((", None),
])
def test_search_syntax(db, library, q, expected):
    user, entries = library
    found = set(titles(db, user, q=q))
    assert found == (expected if expected is not None else {e.title for e in entries.values()})


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(q=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
@example(q='a "b c" d or')
@example(q="x:* & | ! ( ) <-> '")
@example(q="or or or -")
def test_any_text_is_a_search_and_never_an_error(db, library, q):
    user, entries = library
    text = q.replace("\x00", " ")  # PostgreSQL text holds no NUL; the form turns it to a space
    found = titles(db, user, q=text)
    assert set(found) <= {e.title for e in entries.values()}


@pytest.mark.parametrize(("filters", "expected"), [
    ({"artifact_type": "analysis"}, ["Quarterly revenue forecast", "Crème brûlée costing"]),
    ({"visibility": "team"}, ["Quarterly revenue forecast", "Churn memo"]),
    ({"skill": "forecasting"}, ["Quarterly revenue forecast", "Forecasting handbook"]),
    ({"skill": "sql"}, ["Churn memo"]),
    ({"skill": "nobody-has-this"}, []),
    ({"year": 2019}, ["Crème brûlée costing", "Forecasting handbook"]),  # Jun 2019, then 2019
    ({"year": 2030}, []),
    ({"artifact_type": "analysis", "year": 2021}, ["Quarterly revenue forecast"]),
    ({"q": "forecast", "artifact_type": "document"}, ["Forecasting handbook"]),
])
def test_filters_narrow_and_combine(db, library, filters, expected):
    user, _ = library
    assert titles(db, user, **filters) == expected


def test_sorts(db, library):
    user, _ = library
    assert titles(db, user) == [  # date, newest first; a year as its first day; undated last
        "Customer churn dashboard", "Quarterly revenue forecast", "Churn memo",
        "Crème brûlée costing", "Forecasting handbook", "Zebra crossing survey",
        "apple pie recipe"]
    assert titles(db, user, sort="hours") == [  # most first, none last (then by date)
        "Quarterly revenue forecast", "Customer churn dashboard", "Forecasting handbook",
        "Crème brûlée costing", "Zebra crossing survey", "Churn memo", "apple pie recipe"]
    assert titles(db, user, sort="title") == [  # A to Z, accents and case ignored
        "apple pie recipe", "Churn memo", "Crème brûlée costing", "Customer churn dashboard",
        "Forecasting handbook", "Quarterly revenue forecast", "Zebra crossing survey"]


def test_sort_by_updated_puts_the_last_edit_first(db, library):
    user, entries = library
    artifacts.update_artifact(db, user.actor, entries["zebra"].id, {"title": "Zebra, revised"})
    assert titles(db, user, sort="updated")[0] == "Zebra, revised"


def test_totals_are_the_whole_portfolio_whatever_the_filter(db, library):
    user, _ = library
    portfolio = artifacts.list_artifacts(db, user.actor, search.Filters(q="churn"))
    assert portfolio.summary.count == 7 and portfolio.shown == 2
    assert portfolio.summary.hours_saved == 174.0
    empty = artifacts.list_artifacts(db, user.actor, search.Filters(q="nothing like this"))
    assert (empty.summary.count, empty.shown, empty.years) == (7, 0, (2022, 2021, 2020, 2019,
                                                                      2018))


def test_searches_see_only_ones_own_artifacts(db, library, make_colleague, make_workspace):
    user, _ = library
    colleague = make_colleague(user.tenant_id)
    make_artifact(db, colleague, title="Colleague forecast", visibility="team")
    stranger = make_workspace(name="Elsewhere")
    make_artifact(db, stranger, title="Stranger forecast")
    assert "Colleague forecast" not in titles(db, user, q="forecast")
    assert "Stranger forecast" not in titles(db, user, q="forecast")
    assert titles(db, stranger, q="forecast") == ["Stranger forecast"]


# --- Over HTTP ----------------------------------------------------------------------------
@pytest.fixture
def searcher(client, library):
    user, entries = library
    sign_in(client, user)
    return client, user, entries


def test_the_page_shows_n_of_50_and_m_shown_when_filtered(searcher):
    client, _user, entries = searcher
    html = client.get("/portfolio?q=churn").get_data(as_text=True)
    assert '<span id="artifacts-count">7 of 50</span>' in html
    assert re.search(r'<span id="artifacts-shown" class="shown">.*<span data-shown-count>2'
                     r'</span> shown</span>', html)
    assert set(ROWS.findall(html)) == {str(entries["churn"].id), str(entries["phrase"].id)}
    assert 'value="churn"' in html  # the box shows what was searched
    plain = client.get("/portfolio").get_data(as_text=True)
    assert '<span id="artifacts-shown" class="shown"></span>' in plain  # nothing narrowed
    assert len(ROWS.findall(plain)) == 7


def test_a_plain_get_form_works_without_javascript(searcher):
    client, _user, entries = searcher
    # What the form sends without JavaScript: every field, the empty ones too.
    html = client.get("/portfolio?q=&type=analysis&visibility=&year=2019&sort=date").get_data(
        as_text=True)
    assert ROWS.findall(html) == [str(entries["creme"].id)]
    assert '<option value="analysis" selected>' in html
    assert '<option value="2019" selected>' in html
    assert '<form id="search-form" class="filters" role="search"' in html
    assert 'method="get" action="/portfolio"' in html


def test_htmx_search_replaces_the_results_only_and_pushes_the_url(searcher):
    client, _user, entries = searcher
    response = client.get("/portfolio?q=forecast&type=&sort=hours&skill=", headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/portfolio?q=forecast&sort=hours"
    main, oob = main_and_oob(response.get_data(as_text=True))
    assert [(tag, attrs["id"]) for tag, attrs, _ in main] == [("div", "results")]
    assert set(oob) == {"artifacts-shown", "artifacts-count", "hours-saved-total",
                        "new-artifact-slot"}
    assert oob["artifacts-shown"][1].split() == ["·", "2", "shown"]
    html = response.get_data(as_text=True)
    assert ROWS.findall(html) == [str(entries["forecast"].id), str(entries["forecasting"].id)]
    assert "<html" not in html
    cleared = client.get("/portfolio?q=&type=&sort=date", headers=HTMX)
    assert cleared.headers["HX-Push-Url"] == "/portfolio"
    assert "Vary" in cleared.headers and "HX-Request" in cleared.headers["Vary"]


def test_a_search_matching_nothing_says_so_and_offers_to_clear(searcher):
    client, _user, _entries = searcher
    for headers in ({}, HTMX):
        html = client.get("/portfolio?q=unicorns&type=code", headers=headers).get_data(
            as_text=True)
        assert ROWS.findall(html) == []
        assert "Nothing matches" in html
        assert "No artifact matches “unicorns” with these filters." in html
        assert '<a class="button" href="/portfolio" data-clear-filters>Clear the search and' \
            ' filters</a>' in html
        assert "Start your work history" not in html  # that is for an empty portfolio


def test_the_skill_filter_shows_as_a_removable_chip(searcher):
    client, _user, _entries = searcher
    html = client.get("/portfolio?skill=forecasting&sort=title").get_data(as_text=True)
    assert '<input type="hidden" name="skill" value="forecasting">' in html
    assert '<a class="chip chip-filter" href="/portfolio?sort=title">Skill: forecasting' in html


# Each bad value with the number of rows the page then shows: an ignored filter narrows
# nothing (7); what is left of a search after its control characters is still a search.
BAD_VALUES = [
    ("type=bogus", 7), ("type=Code", 7), ("visibility=public", 7), ("year=19", 7),
    ("year=abcd", 7), ("year=-2019", 7), ("year=99999", 7), ("year=0000", 7), ("sort=random", 7),
    ("sort=", 7), ("skill=" + "x" * 65, 7), ("skill=a%01b", 7), ("q=" + "x" * 201, 7),
    ("q=-", 7), ("q=%26%7C%21%28%29%3A*", 7), ("q=" + quote("'\\"), 7),
    ("q=%00churn", 2), ("q=%E2%80%AEbidi", 0), ("q=%22unclosed", 0),
    ("type=analysis&type=code", 2),  # the first of a repeated field, as every form reads it
]


@pytest.mark.parametrize(("query", "shown"), BAD_VALUES)
@pytest.mark.parametrize("mode", ["plain", "htmx"])
def test_invalid_filter_values_are_ignored_never_a_500(searcher, query, shown, mode):
    client, _user, _entries = searcher
    response = client.get(f"/portfolio?{query}", headers=HTMX if mode == "htmx" else {})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert len(ROWS.findall(response.get_data(as_text=True))) == shown


def test_an_ignored_filter_shows_its_control_at_the_default(searcher):
    client, _user, _entries = searcher
    html = client.get("/portfolio?type=bogus&sort=random&year=abcd").get_data(as_text=True)
    assert len(ROWS.findall(html)) == 7
    assert '<option value="" selected>All types</option>' in html
    assert '<option value="" selected>Any year</option>' in html
    assert 'value="bogus"' not in html and "random" not in html


# --- A colleague's page ---------------------------------------------------------------------
def test_a_colleagues_page_has_the_same_search_over_team_work_only(app, db, library,
                                                                 make_colleague):
    user, entries = library
    viewer = make_colleague(user.tenant_id)
    client = app.test_client()
    sign_in(client, viewer)
    page = f"/people/{user.user_id}"
    html = client.get(page).get_data(as_text=True)
    assert set(ROWS.findall(html)) == {str(entries["forecast"].id), str(entries["churn"].id)}
    assert 'id="filter-visibility"' not in html  # everything here is team work
    assert '<form id="search-form"' in html and f'action="{page}"' in html
    found = client.get(f"{page}?q=forecast", headers=HTMX)
    assert found.headers["HX-Push-Url"] == f"{page}?q=forecast"
    assert ROWS.findall(found.get_data(as_text=True)) == [str(entries["forecast"].id)]
    # Private work never matches, whatever is asked for.
    for query in ("q=handbook", "q=creme", "visibility=private", "skill=forecasting&year=2019",
                  "type=design"):
        body = client.get(f"{page}?{query}").get_data(as_text=True)
        for private in ("forecasting", "creme", "phrase", "apple", "zebra"):
            assert str(entries[private].id) not in body, (query, private)
    nothing = client.get(f"{page}?q=unicorns").get_data(as_text=True)
    assert "Nothing matches" in nothing and f'href="{page}" data-clear-filters' in nothing
    assert re.search(r"<span data-shown-count>0</span> shown", nothing)
