"""Insights (SPEC §12): the hours saved by type, by year and by skill and the top artifacts,
as charts drawn on the server with the same numbers in tables; the numbers are the
database's own sums, of the user's artifacts only."""

from __future__ import annotations

import math
import re
from datetime import date
from html import unescape
from html.parser import HTMLParser

import pytest

from tests.support import make_artifact, sign_in, unsafe_markup
from workhistory.web.forms import TYPE_LABELS


class _Tables(HTMLParser):
    """Every table's body rows by the table's id: [(label, detail, hours as data-hours)]."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = self._cell = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", ""), [])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = (attrs.get("data-hours"), [])

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            hours, text = self._cell
            self._row.append(hours if hours is not None else "".join(text).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1].append(data)


def _tables(html: str) -> dict[str, list[tuple[str, str, float]]]:
    parser = _Tables()
    parser.feed(html)
    return {key: [(label, detail, float(hours)) for label, detail, hours in rows]
            for key, rows in parser.tables.items()}


@pytest.fixture
def arranged(db, make_workspace, make_colleague):
    """The owner's artifacts of several types, years and skills, hours with fractions, none
    and zero, private and team; a colleague's and a stranger's that must not count."""
    owner = make_workspace("Insightful")
    rows = [
        ("Churn model", "analysis", date(2021, 3, 1), 40.5, ["sql", "forecasting"], "team"),
        ("Cohort memo", "analysis", date(2021, 9, 9), 0.25, ["sql"], "private"),
        ("Billing job", "code", date(2019, 6, 1), 120.0, ["python", "sql"], "private"),
        ("Deck", "presentation", None, 3.0, [], "team"),
        ("No estimate", "design", date(2020, 1, 1), None, ["figma"], "team"),
        ("Zero", "process", date(2018, 1, 1), 0.0, ["sql"], "team"),
        ("Checklist", "process", date(2019, 2, 2), 1.1, ["writing"], "private"),
    ]
    for title, kind, when, hours, skills, visibility in rows:
        make_artifact(db, owner, title=title, artifact_type=kind, artifact_date=when,
                      estimated_hours_saved=hours, suggested_skill_ids=skills,
                      visibility=visibility)
    make_artifact(db, make_colleague(owner.tenant_id), title="Not mine", visibility="team",
                  artifact_type="code", estimated_hours_saved=999.0,
                  suggested_skill_ids=["sql"])
    make_artifact(db, make_workspace("Elsewhere"), title="Stranger", estimated_hours_saved=7.0)
    return owner


def _page(app, user) -> str:
    client = app.test_client()
    sign_in(client, user)
    response = client.get("/portfolio/insights")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _sql(admin, user, query: str) -> list[dict]:
    return admin.execute(query, {"user_id": user.user_id}).fetchall()


def test_hours_by_type_equal_the_database(app, admin, arranged):
    tables = _tables(_page(app, arranged))
    expected = _sql(admin, arranged, (
        "SELECT artifact_type AS k, count(*) AS n, sum(estimated_hours_saved) AS h"
        " FROM work_artifacts WHERE user_id = %(user_id)s AND estimated_hours_saved > 0"
        " GROUP BY 1 ORDER BY h DESC"))
    assert tables["by-type-table"] == [(TYPE_LABELS[r["k"]], str(r["n"]), r["h"])
                                       for r in expected]
    assert [t[0] for t in tables["by-type-table"]] == ["Code", "Analysis", "Presentation",
                                                       "Process"]


def test_hours_by_year_equal_the_database(app, admin, arranged):
    tables = _tables(_page(app, arranged))
    expected = _sql(admin, arranged, (
        "SELECT extract(year FROM artifact_date)::int AS k, count(*) AS n,"
        " sum(estimated_hours_saved) AS h FROM work_artifacts WHERE user_id = %(user_id)s"
        " AND estimated_hours_saved > 0 GROUP BY 1 ORDER BY 1 DESC NULLS LAST"))
    assert tables["by-year-table"] == [
        ("Undated" if r["k"] is None else str(r["k"]), str(r["n"]), r["h"]) for r in expected]
    assert tables["by-year-table"][-1][0] == "Undated"


def test_hours_by_skill_equal_the_database(app, admin, arranged):
    tables = _tables(_page(app, arranged))
    expected = _sql(admin, arranged, (
        "SELECT s AS k, count(*) AS n, sum(estimated_hours_saved) AS h"
        " FROM work_artifacts, unnest(suggested_skill_ids) s WHERE user_id = %(user_id)s"
        " AND estimated_hours_saved > 0 GROUP BY 1 ORDER BY h DESC"))
    assert sorted(tables["by-skill-table"]) == sorted((r["k"], str(r["n"]), r["h"])
                                                      for r in expected)
    sql_row = next(t for t in tables["by-skill-table"] if t[0] == "sql")
    assert sql_row == ("sql", "3", 160.75)  # the colleague's 999 hours do not count


def test_top_artifacts_and_total_equal_the_database(app, admin, arranged):
    page = _page(app, arranged)
    tables = _tables(page)
    expected = _sql(admin, arranged, (
        "SELECT title, estimated_hours_saved AS h FROM work_artifacts"
        " WHERE user_id = %(user_id)s AND estimated_hours_saved > 0 ORDER BY h DESC LIMIT 10"))
    assert [(t[0], t[2]) for t in tables["top-table"]] == [(r["title"], r["h"])
                                                           for r in expected]
    total = _sql(admin, arranged, "SELECT sum(estimated_hours_saved) AS h FROM work_artifacts"
                                  " WHERE user_id = %(user_id)s")[0]["h"]
    assert math.isclose(total, 164.85)
    assert ("164.85 hours saved</span> by 5 of your 7 artifacts (the other 2 have no estimate,"
            " or save none)") in page


def test_charts_are_inline_svg_without_script_or_style(app, arranged):
    page = _page(app, arranged)
    assert page.count('<svg class="chart"') == 4
    assert unsafe_markup(page) == []
    for svg in re.findall(r'<svg class="chart".*?</svg>', page, re.S):
        assert 'aria-hidden="true"' in svg and "<script" not in svg
        widths = [float(w) for w in re.findall(r'class="chart-bar"[^>]*width="([0-9.]+)%"', svg)]
        assert widths and max(widths) == 100.0 and all(0 < w <= 100 for w in widths)
    # Each chart's figure names its table, which carries the same numbers.
    assert len(re.findall(r'<table class="insight-table"', page)) == 4
    assert "Billing job" in unescape(page)


def test_empty_state_when_nothing_has_hours(app, db, make_workspace):
    user = make_workspace("Blank")
    make_artifact(db, user, title="No estimate yet")
    page = _page(app, user)
    assert "No hours saved to show yet" in page and "<svg class=\"chart\"" not in page


def test_insights_need_login(app):
    response = app.test_client().get("/portfolio/insights")
    assert response.status_code == 303 and "/login" in response.headers["Location"]
