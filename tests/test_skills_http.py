"""Skills over HTTP (SPEC §9): suggestions, autocomplete, the form's skills with labels, the
exports, and the evidence pages (/portfolio/skills, /people?skill=)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from tests.support import (
    PYTHON,
    SQL,
    STATISTICS,
    VALID,
    csrf_token,
    htmx,
    make_artifact,
    sign_in,
    snapshot,
)
from workhistory.data import skills

ARTIFACTS = "/portfolio/artifacts"
TEXT = {"title": "Monthly sales dashboard", "description": "Built in Tableau on SQL queries"
        " against the warehouse, with a Python job refreshing the extracts."}


@pytest.fixture
def token(client, owner):
    return sign_in(client, owner)


def _suggest(client, token, **form):
    return client.post("/skills/suggest.json", data={**TEXT, **form},
                       headers={"X-CSRFToken": token})


def _search(client, q: str, **params) -> list[dict]:
    response = client.get("/skills.json", query_string={"q": q, **params})
    assert response.status_code == 200
    found = response.get_json()["skills"]
    assert len(found) <= 10 and all(set(s) == {"id", "label"} for s in found)
    return found


# --- Suggestions --------------------------------------------------------------------------

def test_suggestions_have_the_spec_shape_best_first(client, token, admin):
    response = _suggest(client, token)
    assert response.status_code == 200
    found = response.get_json()["suggestions"]
    assert 1 <= len(found) <= 10
    assert all(set(s) == {"id", "label", "score"} for s in found)
    scores = [s["score"] for s in found]
    assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
    labels = {r["id"]: r["label"] for r in admin.execute(
        "SELECT id, label FROM skills WHERE id = ANY(%s)", ([s["id"] for s in found],))}
    assert {s["id"]: s["label"] for s in found} == labels  # catalog ids, preferred labels
    assert {"SQL", "data visualisation software"} <= {s["label"] for s in found[:5]}


def test_suggestions_are_deterministic(client, token):
    first = _suggest(client, token).get_json()
    assert all(_suggest(client, token).get_json() == first for _ in range(3))


def test_chosen_skills_are_left_out(client, token):
    everything = [s["id"] for s in _suggest(client, token).get_json()["suggestions"]]
    chosen = [everything[0], everything[2], "my own skill"]
    rest = [s["id"] for s in _suggest(client, token, suggested_skill_ids=chosen)
            .get_json()["suggestions"]]
    assert not set(chosen) & set(rest)
    assert rest[:2] == [everything[1], everything[3]]


def test_the_fragment_holds_at_most_eight_chips(client, token):
    response = client.post("/skills/suggest", data=TEXT, headers=htmx(token))
    html = response.get_data(as_text=True)
    chips = re.findall(r'<button type="button" class="chip chip-suggestion" data-value="([^"]+)"'
                       r' data-label="([^"]+)" aria-label="Add ([^"]+)">', html)
    assert 1 <= len(chips) <= 8
    assert all(value.startswith("esco:") and label == name for value, label, name in chips)


def test_no_text_no_suggestions(client, token):
    assert _suggest(client, token, title="", description="").get_json() == {"suggestions": []}
    html = client.post("/skills/suggest", data={"title": " "}, headers=htmx(token))
    assert "chip-suggestion" not in html.get_data(as_text=True)


def test_long_text_is_read_up_to_the_bound(client, token):
    response = _suggest(client, token, description="SQL " * 15_000)
    assert response.status_code == 200 and response.get_json()["suggestions"]


@pytest.mark.parametrize("path", ["/skills/suggest", "/skills/suggest.json"])
def test_suggestions_need_the_csrf_token(client, token, path):
    assert client.post(path, data=TEXT).status_code == 400
    assert client.post(path, data=TEXT, headers={"X-CSRFToken": "forged"}).status_code == 400


@pytest.mark.parametrize("path", ["/skills/suggest", "/skills/suggest.json"])
def test_suggestions_need_a_signed_in_user(app, path):
    client = app.test_client()
    token = csrf_token(client, "/login")
    plain = client.post(path, data={**TEXT, "csrf_token": token})
    assert plain.status_code == 303 and "/login" in plain.headers["Location"]
    fragment = client.post(path, data=TEXT, headers=htmx(token))
    assert "HX-Redirect" in fragment.headers and "suggestions" not in fragment.get_data(
        as_text=True)


@pytest.mark.parametrize("path", ["/skills.json?q=sql", "/skills?q=sql", "/portfolio/skills",
                                  "/people?skill=sql"])
def test_the_skill_pages_need_a_signed_in_user(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 303 and "/login" in response.headers["Location"]


# --- Autocomplete -------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "first"), [
    ("SQL", "SQL"),  # exact label first (before "SQL Server" ...)
    ("sql", "SQL"),  # case
    ("statistics", "statistics"),
    ("pyth", "Python (computer programming)"),  # a prefix
    ("pyhton", "Python (computer programming)"),  # a typo
    ("Pythn", "Python (computer programming)"),
    ("canapes", "prepare canapés"),  # accents
    ("CANAPÉS PREPARE", "prepare canapés"),  # any order, case and accents
])
def test_autocomplete_finds(client, token, typed, first):
    found = _search(client, typed)
    assert found and found[0]["label"] == first, found[:3]


@pytest.mark.parametrize("typed", ["data analysis", "analysis data", "anal dat", "DATA Anal"])
def test_autocomplete_matches_words_in_any_order(db, owner, typed):
    found = skills.search(db, owner.actor, typed)
    assert len(found) == 10
    for skill in found:  # every word typed begins a word of the label that matched
        words = re.findall(r"[a-z]+", skill.matched.lower())
        assert all(any(w.startswith(t) for w in words) for t in typed.lower().split()), skill


def test_autocomplete_answers_with_catalog_ids_and_preferred_labels(client, token, admin):
    found = _search(client, "microsoft office excel")
    spreadsheets = admin.execute(
        "SELECT id FROM skills WHERE label = 'use spreadsheets software'").fetchone()["id"]
    assert {"id": spreadsheets, "label": "use spreadsheets software"} in found


def test_autocomplete_leaves_out_chosen_skills(client, token):
    found = _search(client, "sql", suggested_skill_ids=[SQL])
    assert SQL not in [s["id"] for s in found] and found


def test_nothing_typed_nothing_found(client, token):
    assert _search(client, "") == [] and _search(client, "   ") == []


def test_autocomplete_includes_the_workspaces_custom_skills_only(
        client, token, db, owner, make_colleague, make_workspace):
    colleague = make_colleague(owner.tenant_id)
    make_artifact(db, owner, suggested_skill_ids=["Looker dashboards"], visibility="private")
    make_artifact(db, colleague, suggested_skill_ids=["Lookup tables in dbt"], visibility="team")
    make_artifact(db, colleague, suggested_skill_ids=["Looking glass"], visibility="private")
    stranger = make_workspace("Elsewhere")
    make_artifact(db, stranger, suggested_skill_ids=["Lookout duty"], visibility="team")

    found = {s["id"] for s in _search(client, "look")}
    assert {"Looker dashboards", "Lookup tables in dbt"} <= found
    assert "Looking glass" not in found  # a colleague's private artifact: not readable
    assert "Lookout duty" not in found  # another workspace
    assert _search(client, "dbt lookup")[0] == {"id": "Lookup tables in dbt",
                                                "label": "Lookup tables in dbt"}


def test_the_fragment_has_options_and_offers_the_typed_text(client, token):
    html = client.get("/skills?q=sql", headers=htmx(token)).get_data(as_text=True)
    options = re.findall(r'role="option" aria-selected="false" data-value="([^"]+)"', html)
    assert options[0] == SQL
    assert "Add “sql” as your own skill" not in html  # the exact skill is there
    html = client.get("/skills?q=Looker+Studio", headers=htmx(token)).get_data(as_text=True)
    assert 'data-value="Looker Studio"' in html and "Add “Looker Studio” as your own" in html


def test_the_search_page_works_without_javascript(client, token):
    html = client.get("/skills?q=statistics").get_data(as_text=True)
    assert "<h1>Find a skill</h1>" in html
    assert f'href="/people?skill={STATISTICS}"' in html


# --- The form: chips, the text box, resolution, refusals ---------------------------------

def test_chips_submit_ids_and_custom_labels(client, token, admin, owner):
    data = {**VALID, "suggested_skill_ids": [SQL, "Looker", "", PYTHON]}
    response = client.post(ARTIFACTS, data=data, headers=htmx(token))
    assert response.status_code == 200
    (row,) = snapshot(admin, owner.user_id)
    assert row["suggested_skill_ids"] == [SQL, "Looker", PYTHON]
    html = response.get_data(as_text=True)
    assert re.search(r'<ul class="chips" aria-label="Skills"><li>SQL</li><li>Looker</li>'
                     r'<li>Python \(computer programming\)</li></ul>', html)
    assert "esco:" not in re.sub(r'(data-edit-url|href|hx-\w+)="[^"]*"', "", html)


def test_the_text_box_resolves_names_on_save(client, token, admin, owner):
    data = {**VALID, "csrf_token": token,
            "suggested_skill_ids": "sql, Looker, Python (computer programming), " + STATISTICS}
    assert client.post(ARTIFACTS, data=data).status_code == 303
    (row,) = snapshot(admin, owner.user_id)
    assert row["suggested_skill_ids"] == [SQL, "Looker", PYTHON, STATISTICS]


@pytest.mark.parametrize("how", ["htmx", "plain"])
def test_an_unknown_catalog_id_is_422_beside_the_field(client, token, admin, owner, how):
    bogus = "esco:00000000-0000-0000-0000-000000000000"
    data = {**VALID, "suggested_skill_ids": [SQL, bogus]}
    headers = htmx(token) if how == "htmx" else {"X-CSRFToken": token}
    response = client.post(ARTIFACTS, data=data, headers=headers)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<p class="field-error" id="suggested_skill_ids-error-new">[^<]*'
                     + re.escape(bogus), html)
    assert re.search(r'<input type="text" class="skills-text" id="suggested_skill_ids-new"'
                     r'[^>]* aria-invalid="true"[^>]* autofocus', html)
    # The chosen skills come back as chips with their labels; the unknown one is marked.
    assert '<span class="chip-label">SQL</span>' in html
    assert re.search(r'chip-invalid"><span class="chip-label">' + re.escape(bogus), html)
    assert snapshot(admin, owner.user_id) == []


def test_an_unknown_id_in_an_update_changes_nothing(client, token, db, admin, owner):
    entry = make_artifact(db, owner, suggested_skill_ids=["sql"])
    response = client.patch(f"{ARTIFACTS}/{entry.id}", headers=htmx(token), data={
        "suggested_skill_ids": ["esco:ffffffff-0000-0000-0000-000000000000"],
        "version": entry.version})
    assert response.status_code == 422
    stored = admin.execute("SELECT suggested_skill_ids, version FROM work_artifacts"
                           " WHERE id = %s", (entry.id,)).fetchone()
    assert stored == {"suggested_skill_ids": [SQL], "version": entry.version}


def test_a_long_custom_skill_is_422_and_a_long_catalog_name_is_fine(client, token, admin, owner):
    response = client.post(ARTIFACTS, data={**VALID, "suggested_skill_ids": "y" * 70},
                           headers=htmx(token))
    assert response.status_code == 422 and "64 characters" in response.get_data(as_text=True)
    long_name = "work to develop physical ability to perform at the highest level in sport"
    assert len(long_name) > 64
    response = client.post(ARTIFACTS, data={**VALID, "suggested_skill_ids": long_name},
                           headers=htmx(token))
    assert response.status_code == 200
    (row,) = snapshot(admin, owner.user_id)
    assert row["suggested_skill_ids"][0].startswith("esco:")


def test_the_edit_form_shows_labels_as_chips_and_as_text(client, token, db, owner, admin):
    comma = admin.execute("SELECT id, label FROM skills WHERE label LIKE '%,%' ORDER BY id"
                          " LIMIT 1").fetchone()
    entry = make_artifact(db, owner, suggested_skill_ids=["sql", "Looker", comma["id"]])
    html = client.get(f"{ARTIFACTS}/{entry.id}/edit", headers=htmx(token)).get_data(as_text=True)
    # Without JavaScript: labels, and the id of a label that holds the separator.
    assert f'value="SQL, Looker, {comma["id"]}"' in html
    chips = re.findall(r'<span class="chip-label">([^<]*)</span><button type="button"'
                       r' class="chip-remove" aria-label="Remove ([^"]*)">×</button><input'
                       r' type="hidden" name="suggested_skill_ids" value="([^"]*)" disabled>', html)
    assert [(label, value) for label, _name, value in chips if value] == [
        ("SQL", SQL), ("Looker", "Looker"), (comma["label"], comma["id"])]
    assert all(label == name for label, name, _ in chips)
    # Saving the untouched text box without JavaScript keeps exactly the same skills.
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    text = re.search(r'class="skills-text" id="suggested_skill_ids-[^"]+" name="suggested_skill'
                     r'_ids"[^>]* value="([^"]*)"', html).group(1).replace("&#34;", '"')
    assert client.post(f"{ARTIFACTS}/{entry.id}", data={
        "suggested_skill_ids": text, "version": version, "csrf_token": token}).status_code == 303
    stored = admin.execute("SELECT suggested_skill_ids FROM work_artifacts WHERE id = %s",
                           (entry.id,)).fetchone()["suggested_skill_ids"]
    assert stored == entry.suggested_skill_ids


def test_removing_every_chip_clears_the_skills(client, token, db, owner, admin):
    entry = make_artifact(db, owner, suggested_skill_ids=["sql"])
    response = client.patch(f"{ARTIFACTS}/{entry.id}", headers=htmx(token),
                            data={"suggested_skill_ids": "", "version": entry.version})
    assert response.status_code == 200
    assert admin.execute("SELECT suggested_skill_ids FROM work_artifacts WHERE id = %s",
                         (entry.id,)).fetchone()["suggested_skill_ids"] == []


# --- Labels everywhere a skill is shown ---------------------------------------------------

def test_rows_pages_and_exports_show_labels(client, token, db, owner, make_colleague):
    entry = make_artifact(db, owner, visibility="team",
                          suggested_skill_ids=["sql", "Looker", "apply knowledge of philosophy,"
                                               " ethics and religion"])
    page = client.get("/portfolio").get_data(as_text=True)
    assert '<ul class="chips" aria-label="Skills"><li>SQL</li><li>Looker</li>' in page
    assert "esco:" not in page
    colleague = make_colleague(owner.tenant_id)
    viewer = client.application.test_client()
    sign_in(viewer, colleague)
    shared = viewer.get(f"/people/{owner.user_id}").get_data(as_text=True)
    assert '<ul class="chips" aria-label="Skills"><li>SQL</li>' in shared
    assert "esco:" not in shared

    exported = client.get(f"{ARTIFACTS}.json").get_json()["artifacts"]
    (item,) = [a for a in exported if a["id"] == str(entry.id)]
    assert item["suggested_skill_ids"] == entry.suggested_skill_ids
    assert item["skills"] == [{"id": SQL, "label": "SQL"}, {"id": "Looker", "label": "Looker"},
                              {"id": entry.suggested_skill_ids[2],
                               "label": "apply knowledge of philosophy, ethics and religion"}]
    rows = list(csv.DictReader(io.StringIO(client.get(f"{ARTIFACTS}.csv").get_data(
        as_text=True))))
    (row,) = [r for r in rows if r["id"] == str(entry.id)]
    assert row["skills"] == "SQL; Looker; apply knowledge of philosophy, ethics and religion"
    assert row["suggested_skill_ids"] == ", ".join(entry.suggested_skill_ids)


def test_a_cached_row_follows_its_labels(app, db, owner):
    """The row cache keys on the labels too: a catalog reload that renames a skill shows."""
    entry = make_artifact(db, owner, suggested_skill_ids=["sql"])
    renamed = entry.__class__(**{**{n: getattr(entry, n) for n in entry.__slots__},
                                 "skill_labels": ("Structured queries",)})
    template = app.jinja_env.from_string("{{ row_html(entry) }}")
    with app.test_request_context():
        first = template.render(entry=entry, artifacts_url=ARTIFACTS)
        second = template.render(entry=renamed, artifacts_url=ARTIFACTS)
    assert ">SQL<" in first and ">Structured queries<" in second


# --- Evidence -----------------------------------------------------------------------------

def _expected_evidence(admin, user_id) -> list[tuple]:
    """The user's skills as plain SQL counts them, independently of the app's query."""
    rows = admin.execute(
        "SELECT suggested_skill_ids, estimated_hours_saved, artifact_date FROM work_artifacts"
        " WHERE user_id = %s", (user_id,)).fetchall()
    totals: dict[str, list] = {}
    for row in rows:
        for skill in row["suggested_skill_ids"]:
            t = totals.setdefault(skill, [0, 0.0, None])
            t[0] += 1
            t[1] += row["estimated_hours_saved"] or 0.0
            if row["artifact_date"] and (t[2] is None or row["artifact_date"] > t[2]):
                t[2] = row["artifact_date"]
    return sorted((k, *v) for k, v in totals.items())


def test_evidence_numbers_equal_the_database(client, token, db, admin, owner, make_colleague):
    make_artifact(db, owner, suggested_skill_ids=["sql", "statistics"],
                  estimated_hours_saved=10.0, artifact_date=date(2020, 1, 1))
    make_artifact(db, owner, suggested_skill_ids=["SQL", "Looker"], estimated_hours_saved=2.5,
                  artifact_date=date(2022, 6, 1))
    make_artifact(db, owner, suggested_skill_ids=["Looker"], visibility="team")
    make_artifact(db, make_colleague(owner.tenant_id), suggested_skill_ids=["sql"],
                  visibility="team", estimated_hours_saved=99.0)  # not the user's

    found = skills.evidence(db, owner.actor)
    got = sorted((e.skill.id, e.artifacts, e.hours_saved, e.latest) for e in found)
    assert got == _expected_evidence(admin, owner.user_id)
    assert [e.skill.label for e in found] == ["SQL", "Looker", "statistics"]  # ranked
    html = client.get("/portfolio/skills").get_data(as_text=True)
    assert html.index(">SQL<") < html.index(">Looker<") < html.index(">statistics<")
    sep = '<span class="summary-sep" aria-hidden="true">·</span>'
    assert f"2 artifacts {sep} 12.5 hours saved {sep} latest" in html
    assert f'href="/portfolio?skill={SQL}"' in html
    assert 'href="/portfolio?skill=Looker"' in html


def test_no_skills_yet(client, token):
    html = client.get("/portfolio/skills").get_data(as_text=True)
    assert "No skills yet" in html


def test_who_knows_counts_team_work_of_this_workspace_only(
        client, token, db, owner, make_colleague, make_workspace, admin):
    ann = make_colleague(owner.tenant_id, "Ann Alyst")
    ben = make_colleague(owner.tenant_id, "Ben Private")
    make_artifact(db, ann, suggested_skill_ids=["sql"], visibility="team",
                  estimated_hours_saved=5.0)
    make_artifact(db, ann, suggested_skill_ids=["sql"], visibility="team",
                  estimated_hours_saved=1.5)
    make_artifact(db, ann, suggested_skill_ids=["sql"], visibility="private",
                  estimated_hours_saved=100.0)
    make_artifact(db, ben, suggested_skill_ids=["sql"], visibility="private")
    make_artifact(db, owner, suggested_skill_ids=["sql"], visibility="private")
    stranger = make_workspace("Far away", display_name="Sam Stranger")
    make_artifact(db, stranger, suggested_skill_ids=["sql"], visibility="team")

    holders = skills.holders(db, owner.actor, SQL)
    assert [(h.display_name, h.artifacts, h.hours_saved) for h in holders] == [
        ("Ann Alyst", 2, 6.5)]
    expected = admin.execute(
        "SELECT count(*) AS n, sum(estimated_hours_saved) AS h FROM work_artifacts"
        " WHERE user_id = %s AND visibility = 'team' AND %s = ANY(suggested_skill_ids)",
        (ann.user_id, SQL)).fetchone()
    assert (holders[0].artifacts, holders[0].hours_saved) == (expected["n"], expected["h"])
    for value in ("sql", SQL, "SQL"):
        html = client.get("/people", query_string={"skill": value}).get_data(as_text=True)
        assert "<h1>Who knows SQL</h1>" in html and "Ann Alyst" in html
        assert "Ben Private" not in html and "Sam Stranger" not in html
        assert "100 hours" not in html and "2 team artifacts" in html


def test_who_knows_a_custom_skill_and_an_unknown_id(client, token, db, owner, make_colleague):
    ann = make_colleague(owner.tenant_id, "Ann Alyst")
    make_artifact(db, ann, suggested_skill_ids=["Looker"], visibility="team")
    html = client.get("/people?skill=Looker").get_data(as_text=True)
    assert "<h1>Who knows Looker</h1>" in html and "Ann Alyst" in html
    assert client.get("/people?skill=esco:00000000-0000-0000-0000-000000000000").status_code == 404
    html = client.get("/people?skill=nobody+has+this").get_data(as_text=True)
    assert "Nobody in your workspace" in html
