"""Plain helpers shared by every test module (fixtures live in conftest.py), one of each:
signing in, the CSRF token, htmx headers, arranging artifacts, reading the database as a
superuser, racing threads, parsing fragments, auditing markup and capturing logs."""

from __future__ import annotations

import logging
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from workhistory.data import artifacts, sessions
from workhistory.data.db import Actor
from workhistory.web import login
from workhistory.web.rules import today_utc

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parent.parent
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
REQUEST_ID = re.compile(r"[0-9a-f]{16}")
HTMX = {"HX-Request": "true"}
# A complete, valid submission of the artifact form (the version is added for updates).
VALID = {
    "title": "Quarterly churn analysis",
    "description": "Cohort model in SQL and a short memo.",
    "artifact_type": "analysis",
    "artifact_date": "2021-03-15",
    "source_url": "https://example.com/churn",
    "visibility": "team",
    "estimated_hours_saved": "12.5",
    "suggested_skill_ids": "sql, statistics",
}


def with_dbname(url: str, dbname: str) -> str:
    """Return `url` pointing at database `dbname` on the same server."""
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def actor_of(user) -> Actor:
    return Actor(tenant_id=user.tenant_id, user_id=user.user_id)


# --- Programs the suite starts (scripts/ensure_tools.py installs them) ----------------------
def find_tool(program: str) -> str:
    """The path of `program` (on PATH or in /usr/sbin). Missing is a failure, not a skip:
    `make test` installs it first."""
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if not found:
        pytest.fail(f"{program} is not installed: run `make test`, which installs it"
                    " (scripts/ensure_tools.py), or install it yourself")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 15) -> None:
    """Wait until something accepts connections on 127.0.0.1:`port`; fail if `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{proc.args[0]} did not listen on port {port}")


# --- Signing in (the one place that knows how a session is made) ---------------------------
def session_cookie(app, user, user_agent: str = "pytest") -> tuple[str, str]:
    """The session cookie (name, value) a successful login by `user` leaves in the browser:
    a real server-side session, started through the data layer."""
    token = sessions.start(app.extensions["db"], user, user_agent)
    return login.cookie_name(app), login.cookie_value(user, token)


def sign_in(client, user) -> str:
    """Make `client` the signed-in `user` as a login would (without Argon2 or rate limits);
    return the session's CSRF token."""
    client.set_cookie(*session_cookie(client.application, user))
    return csrf_token(client, "/portfolio")


def log_in(client, email: str, password: str = PASSWORD, address: str = "127.0.0.1", **kwargs):
    """Submit the real login form from `address` (the rate limits key on it)."""
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client, "/login", environ_base=environ)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
        **kwargs,
    )


def csrf_token(client, path: str = "/portfolio", **kwargs) -> str:
    """The CSRF token of `client`'s session, read from a page's meta tag as app.js does."""
    response = client.get(path, **kwargs)
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, f"no csrf-token meta on {path} ({response.status_code})"
    return match.group(1)


def htmx(token: str, **extra) -> dict:
    """Headers of an htmx request carrying the CSRF token, as app.js sends them."""
    return {**HTMX, "X-CSRFToken": token, **extra}


# --- Arranging and asserting the database ---------------------------------------------------
def make_artifact(db, user, **values):
    """Store an artifact for `user` through the data module; return the entry."""
    values.setdefault("title", "Existing artifact")
    entry, _summary = artifacts.create_artifact(db, actor_of(user), values)
    return entry


def artifact_values(**overrides) -> dict:
    """Valid column values for `artifacts.create_artifact`."""
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


def snapshot(admin, user_id=None) -> list[dict]:
    """Every artifact row (or one user's), as the database holds it, in a stable order."""
    sql = "SELECT * FROM work_artifacts"
    params: tuple = ()
    if user_id is not None:
        sql += " WHERE user_id = %s"
        params = (user_id,)
    return admin.execute(sql + " ORDER BY id", params).fetchall()


def row_of(admin, artifact_id) -> dict | None:
    return admin.execute("SELECT * FROM work_artifacts WHERE id = %s", (artifact_id,)).fetchone()


def assert_row_is_valid(row: dict) -> None:
    """The stored row satisfies SPEC §3, whatever the input was."""
    title = row["title"]
    assert 1 <= len(title) <= 200 and title == title.strip()
    assert len(row["description"]) <= 5000
    assert row["artifact_type"] in artifacts.TYPES
    assert row["visibility"] in artifacts.VISIBILITIES
    assert row["artifact_date"] is None or row["artifact_date"] <= today_utc()
    url = row["source_url"]
    assert url is None or (url.lower().startswith(("http://", "https://")) and len(url) <= 2048)
    hours = row["estimated_hours_saved"]
    assert hours is None or 0 <= hours <= 100_000
    skills = row["suggested_skill_ids"]
    assert len(skills) <= 20 and len(set(skills)) == len(skills)
    assert all(1 <= len(s) <= 64 for s in skills)


def run_together(n: int, call: Callable[[int], object]) -> list[object]:
    """Run `call(0)` ... `call(n - 1)` in n threads released at the same moment by a barrier;
    return each call's result, or the exception it raised, in call order."""
    barrier = threading.Barrier(n)

    def go(i: int) -> object:
        barrier.wait()
        try:
            return call(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the caller inspects
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n), timeout=120))


# --- Reading fragments ----------------------------------------------------------------------
class _TopLevel(HTMLParser):
    """Collect the top-level elements of an HTML fragment: (tag, attributes, inner text)."""

    VOID = {"input", "br", "img", "meta", "link", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.elements: list[tuple[str, dict, list[str]]] = []
        self.stray: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.elements.append((tag, dict(attrs), []))
        if tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        self.depth -= 1

    def handle_data(self, data):
        if self.depth == 0:
            self.stray.append(data)
        elif self.elements:
            self.elements[-1][2].append(data)


def top_level(html: str) -> list[tuple[str, dict, str]]:
    """The fragment's top-level elements as (tag, attributes, text); no stray text allowed."""
    parser = _TopLevel()
    parser.feed(html)
    parser.close()
    assert "".join(parser.stray).strip() == "", f"stray text at top level: {parser.stray!r}"
    return [(tag, attrs, "".join(text)) for tag, attrs, text in parser.elements]


def main_and_oob(html: str) -> tuple[list, dict[str, tuple[dict, str]]]:
    """Split an htmx response into its swapped elements and its out-of-band ones (by id)."""
    elements = top_level(html)
    main = [e for e in elements if "hx-swap-oob" not in e[1]]
    oob = {attrs["id"]: (attrs, text) for _tag, attrs, text in elements if "hx-swap-oob" in attrs}
    return main, oob


# --- Auditing responses and logs ------------------------------------------------------------
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
                # The page's own favicon is an image data: URI (an icon never runs code).
                if tag == "link" and names.get("rel") == "icon" and scheme.startswith(
                        "data:image/"):
                    continue
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
