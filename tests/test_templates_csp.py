"""Nothing in the templates or static files needs `unsafe-inline` or `unsafe-eval`: no inline
script or style, no event-handler attributes, no `hx-on`, no eval. Checked on the sources
(every template and static file but the vendored htmx) and on the rendered pages."""

from __future__ import annotations

import json
import re

import pytest

from tests.support import HTMX, ROOT, actor_of, sign_in, unsafe_markup
from workhistory.data import artifacts

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
STATIC = sorted(
    path
    for path in (ROOT / "static").rglob("*")
    if path.is_file() and not path.name.startswith("htmx-") and path.suffix != ".sri"
)

HTML_RULES = {
    "inline <script> content": re.compile(r"<script\b[^>]*>(?!\s*</script>)", re.I),
    "<script> without src": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"[\s\"']style\s*=", re.I),
    "on*= event handler": re.compile(r"[\s\"']on[a-z]+\s*=", re.I),
    "hx-on attribute": re.compile(r"\b(?:data-)?hx-on\b", re.I),
    "javascript: URL": re.compile(r"javascript\s*:", re.I),
    "hx-trigger filter": re.compile(r"hx-trigger\s*=\s*[\"'][^\"']*\[", re.I),
}
SCRIPT_RULES = {
    "eval(": re.compile(r"\beval\s*\("),
    "new Function": re.compile(r"\bnew\s+Function\s*\(|\bFunction\s*\(\s*[\"'`]"),
    "string timer": re.compile(r"\bset(?:Timeout|Interval)\s*\(\s*[\"'`]"),
    "setAttribute on*/style": re.compile(
        r"setAttribute\s*\(\s*[\"'`](?:on[a-z]+|style)[\"'`]", re.I
    ),
    "inline <script> markup": re.compile(r"<script\b", re.I),
    "javascript: URL": re.compile(r"javascript\s*:", re.I),
}
STYLE_RULES = {
    "external url()": re.compile(r"url\(\s*[\"']?(?:https?:)?//", re.I),
    "@import of another origin": re.compile(r"@import\s+(?:url\()?\s*[\"']?(?:https?:)?//", re.I),
    "expression()": re.compile(r"expression\s*\(", re.I),
}


def violations(text: str, suffix: str) -> list[str]:
    rules = {".js": SCRIPT_RULES, ".css": STYLE_RULES}.get(suffix, HTML_RULES)
    return [name for name, pattern in rules.items() if pattern.search(text)]


@pytest.mark.parametrize(
    ("snippet", "suffix"),
    [
        ("<script>alert(1)</script>", ".html"),
        ("<script >\n  go()\n</script>", ".html"),
        ('<script type="module"></script>', ".html"),
        ("<style>p{}</style>", ".html"),
        ('<p style="color:red">', ".html"),
        ("<a class=x\nstyle='x'>", ".html"),
        ('<button onclick="go()">', ".html"),
        ('<body onload="x">', ".html"),
        ('<div hx-on:click="x">', ".html"),
        ('<div hx-on::after-request="x">', ".html"),
        ('<a href="javascript:void(0)">', ".html"),
        ('<input hx-trigger="keyup[key==\'e\']">', ".html"),
        ("eval('x')", ".js"),
        ("new Function('return 1')", ".js"),
        ("setTimeout('go()', 10)", ".js"),
        ("el.setAttribute('onclick', 'x')", ".js"),
        ('el.setAttribute("style", "x")', ".js"),
        ("@import url(https://fonts.example.com/a.css);", ".css"),
        ("body { background: url(//cdn.example.com/a.png) }", ".css"),
    ],
)
def test_the_scanner_catches_each_violation(snippet, suffix):
    assert violations(snippet, suffix), snippet


@pytest.mark.parametrize(
    ("snippet", "suffix"),
    [
        ('<script src="/static/app.js" defer></script>', ".html"),
        ('<a class="button" data-edit-url="/x" aria-keyshortcuts="e">one = two</a>', ".html"),
        ("el.style.display = 'none'; el.dataset.onwards = 1", ".js"),
        ("body { background: url(data:image/png;base64,AAAA) }", ".css"),
    ],
)
def test_the_scanner_accepts_clean_code(snippet, suffix):
    assert violations(snippet, suffix) == []


def test_there_are_templates_and_static_files_to_scan():
    names = {p.name for p in TEMPLATES}
    assert {"base.html", "page.html", "_htmx.html", "_row.html"} <= names
    assert any(p.suffix == ".js" for p in STATIC) and any(p.suffix == ".css" for p in STATIC)


@pytest.mark.parametrize("path", TEMPLATES + STATIC, ids=lambda p: str(p.relative_to(ROOT)))
def test_source_file_needs_no_unsafe_csp(path):
    assert violations(path.read_text(encoding="utf-8"), path.suffix) == []


def test_htmx_is_configured_for_a_strict_csp():
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    match = re.search(r"<meta name=\"htmx-config\" content='([^']+)'", base)
    assert match, "base.html has no htmx-config meta"
    config = json.loads(match.group(1))
    # Indicator styles are an injected inline <style>; eval and script tags need unsafe-*.
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    # Settling a style attribute is setAttribute("style", ...): refused by the CSP.
    assert "style" not in config["attributesToSettle"]
    htmx_tag = re.search(r"<script[^>]*htmx-[0-9.]+\.min\.js[^>]*>", base).group(0)
    assert "integrity=" in htmx_tag


@pytest.fixture
def rendered(app, owner, db):
    """Every kind of page and fragment, with artifacts, as a signed-in user sees them."""
    actor = actor_of(owner)
    entry, _ = artifacts.create_artifact(
        db, actor,
        {"title": "Report", "source_url": "https://example.com/r", "artifact_date": None,
         "suggested_skill_ids": ["sql", "python"], "visibility": "team"},
    )
    artifacts.create_artifact(db, actor, {"title": "Second"})
    client = app.test_client()
    anonymous = app.test_client()
    bodies = {
        "login": anonymous.get("/login"),
        "signup": anonymous.get("/signup"),
    }
    token = sign_in(client, owner)
    base = f"/portfolio/artifacts/{entry.id}"
    stale = {"csrf_token": token, "title": "Mine", "version": "1"}
    artifacts.update_artifact(db, actor, entry.id, {"description": "theirs"})
    bodies.update(
        {
            "page": client.get("/portfolio"),
            "new page": client.get("/portfolio/artifacts/new"),
            "new fragment": client.get("/portfolio/artifacts/new", headers=HTMX),
            "row": client.get(base, headers=HTMX),
            "edit page": client.get(base + "/edit"),
            "edit fragment": client.get(base + "/edit", headers=HTMX),
            "invalid fragment": client.patch(
                base, data={"csrf_token": token, "title": ""}, headers=HTMX
            ),
            "conflict fragment": client.patch(base, data=stale, headers=HTMX),
            "conflict page": client.post(base, data=stale),
            "404 page": client.get("/missing"),
            "404 fragment": client.get("/missing", headers=HTMX),
            "400 page": client.post("/portfolio/artifacts", data={}),
        }
    )
    return bodies


def test_rendered_pages_need_no_unsafe_csp(rendered):
    expected = {"conflict fragment": 409, "conflict page": 409, "invalid fragment": 422,
                "404 page": 404, "404 fragment": 404, "400 page": 400}
    for name, response in rendered.items():
        assert response.status_code == expected.get(name, 200), name
        assert unsafe_markup(response.get_data(as_text=True)) == [], name
