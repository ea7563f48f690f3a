"""Helpers for the hardening tests: signed-in clients, CSRF tokens, and a markup audit."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

from tests.support import PASSWORD

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
REQUEST_ID = re.compile(r"[0-9a-f]{16}")
HTMX = {"HX-Request": "true"}


def csrf_token(client, path: str = "/login", **kwargs) -> str:
    """The CSRF token of `client`'s session, read from a page's meta tag as app.js does."""
    response = client.get(path, **kwargs)
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, f"no csrf-token meta on {path} ({response.status_code})"
    return match.group(1)


def log_in(client, email: str, password: str = PASSWORD, address: str = "127.0.0.1", **kwargs):
    """Submit the login form from `address` (the rate limits key on it)."""
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client, environ_base=environ)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
        **kwargs,
    )


def sign_in(client, user) -> str:
    """Make `client` the signed-in `user` through its session (no Argon2, no rate limit),
    exactly as the login view leaves it; return the session's CSRF token."""
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["display_name"] = user.display_name
    return csrf_token(client, "/portfolio")


def artifact_values(**overrides) -> dict:
    values = {
        "title": "Quarterly churn analysis",
        "description": "Cohort model in SQL.",
        "artifact_type": "analysis",
        "visibility": "private",
        "estimated_hours_saved": 12.5,
        "suggested_skill_ids": ["sql"],
    }
    values.update(overrides)
    return values


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@contextmanager
def captured_log(name: str) -> Iterator[list[str]]:
    """The messages logged on logger `name` inside the block (whatever pytest's plugins)."""
    handler = _Lines()
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def assert_no_traceback(body: str) -> None:
    for marker in ("Traceback", 'File "', "most recent call last", "psycopg", "werkzeug"):
        assert marker not in body, f"{marker!r} leaked into an error response"


class _MarkupAudit(HTMLParser):
    """Collects markup that a strict CSP would block or that only an injection produces."""

    def __init__(self, foreign: frozenset[str]):
        super().__init__(convert_charrefs=True)
        self.foreign = foreign
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): (value or "") for name, value in attrs}
        if tag == "script":
            self._in_script = True
            if not names.get("src"):
                self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag in self.foreign:
            self.problems.append(f"<{tag}> element")
        for name, value in names.items():
            if name.startswith("on"):
                self.problems.append(f"{name}= attribute on <{tag}>")
            if name == "style":
                self.problems.append(f"style= attribute on <{tag}>")
            if name.startswith("hx-on"):
                self.problems.append(f"{name} attribute on <{tag}>")
            if name in {"href", "src", "action", "formaction", "hx-get", "hx-post"}:
                scheme = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    self.problems.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("inline script content")


# Elements our templates never produce (inline <svg> icons exist, so svg is judged by its
# attributes like everything else).
INJECTED_ELEMENTS = frozenset({"iframe", "object", "embed", "img", "base", "frame", "math"})


def unsafe_markup(html: str, foreign: frozenset[str] = frozenset()) -> list[str]:
    """Every inline script or style, event-handler or `hx-on` attribute and `javascript:`
    link in `html`, plus any element named in `foreign` (what only an injection produces)."""
    audit = _MarkupAudit(foreign)
    audit.feed(html)
    audit.close()
    return audit.problems
