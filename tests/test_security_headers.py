"""Every response carries the security headers: pages, fragments, errors, redirects, static
files and downloads, for every route in the URL map and every method it accepts."""

from __future__ import annotations

import pytest

from app import create_app
from tests.support import HTMX, REQUEST_ID, actor_of, sign_in
from workhistory.data import artifacts

REQUIRED = {
    "default-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            assert words[0] not in directives, f"{words[0]} given twice"
            directives[words[0]] = words[1:]
    return directives


def assert_hardened(response, where: str = "", referrer: str = "same-origin") -> None:
    """`referrer`: share pages (/s/...) send the stricter `no-referrer` (SPEC §12)."""
    where = f"{where} -> {response.status_code}"
    directives = csp_directives(response)
    for name, sources in REQUIRED.items():
        assert directives.get(name) == sources, f"{where}: {name} is {directives.get(name)}"
    for name, sources in directives.items():
        for bad in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:",
                    "https:", "blob:", "'wasm-unsafe-eval'"):
            assert bad not in sources, f"{where}: {name} allows {bad}"
        if name != "img-src":
            assert "data:" not in sources, f"{where}: {name} allows data:"
    # Script and style fall back to default-src 'self' when absent; if present, only 'self'.
    for name in ("script-src", "style-src", "script-src-elem", "style-src-attr"):
        assert directives.get(name, ["'self'"]) == ["'self'"], f"{where}: {name}"
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == referrer, where
    assert REQUEST_ID.fullmatch(headers.get("X-Request-ID", "")), where
    assert "Strict-Transport-Security" not in headers, f"{where}: HSTS without Secure cookies"


@pytest.fixture
def signed_in(app, owner, db):
    """A signed-in client, its CSRF token, and one of its artifacts."""
    entry, _ = artifacts.create_artifact(db, actor_of(owner), {"title": "Churn model"})
    client = app.test_client()
    token = sign_in(client, owner)
    return client, token, entry, owner


def _url_for_rule(rule, entry, owner) -> str:
    values = {}
    for name in rule.arguments:
        values[name] = {
            "artifact_id": str(entry.id),
            "user_id": str(owner.user_id),
            "filename": "htmx-2.0.11.min.js",
        }.get(name, "not-a-real-token-0123456789")
    return rule.build(values, append_unknown=False)[1]


def test_every_route_and_method_is_hardened(app, signed_in):
    client, _token, entry, owner = signed_in
    anonymous = app.test_client()
    statuses = set()
    checked = 0
    for rule in app.url_map.iter_rules():
        url = _url_for_rule(rule, entry, owner)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for who, c in (("signed in", client), ("anonymous", anonymous)):
                for headers in ({}, HTMX):
                    # No CSRF token: state-changing methods must refuse (400) and change
                    # nothing, and the refusal must be hardened like everything else.
                    response = c.open(url, method=method, headers=headers)
                    assert_hardened(response, f"{who} {method} {url} {headers}",
                                    "no-referrer" if url.startswith("/s/") else "same-origin")
                    statuses.add(response.status_code)
                    checked += 1
    assert checked > 40
    # The sweep met pages, redirects, login redirects for htmx and CSRF refusals.
    assert {200, 303, 400, 401} <= statuses, statuses
    assert artifacts.get_artifact(app.extensions["db"], actor_of(owner), entry.id).version == 1


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "content_type"),
    [
        ("GET", "/portfolio", {}, 200, "text/html"),
        ("GET", "/portfolio", HTMX, 200, "text/html"),
        ("GET", "/portfolio/artifacts/new", HTMX, 200, "text/html"),
        ("GET", "/portfolio/artifacts.json", {}, 200, "application/json"),
        ("GET", "/static/htmx-2.0.11.min.js", {}, 200, "text/javascript"),
        ("GET", "/healthz", {}, 200, "text/plain"),
        ("GET", "/readyz", {}, 200, "text/plain"),
        ("GET", "/portfolio/artifacts/00000000-0000-0000-0000-000000000000", {}, 404, "text/html"),
        ("GET", "/portfolio/artifacts/not-an-id", HTMX, 404, "text/html"),
        ("GET", "/no/such/page", {}, 404, "text/html"),
        ("PUT", "/portfolio", {}, 405, "text/html"),
        ("POST", "/portfolio/artifacts", {}, 400, "text/html"),
        ("POST", "/portfolio/artifacts", HTMX, 400, "text/html"),
    ],
)
def test_each_kind_of_response_is_hardened(signed_in, method, path, headers, status,
                                           content_type):
    client = signed_in[0]
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == status
    assert response.mimetype == content_type
    assert_hardened(response, f"{method} {path}")


def test_oversized_body_refusal_is_hardened(signed_in):
    client, token = signed_in[:2]
    response = client.post(
        "/portfolio/artifacts", data={"csrf_token": token, "description": "x" * 70_000}
    )
    assert response.status_code == 413
    assert_hardened(response, "413")


def test_request_ids_are_fresh_for_every_response(client):
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(20)}
    assert len(ids) == 20


def test_a_client_cannot_choose_its_request_id(client):
    # A client-chosen id could forge or collide with log lines; ours is always made here.
    response = client.get("/healthz", headers={"X-Request-ID": "forged-id"})
    assert response.headers["X-Request-ID"] != "forged-id"
    assert REQUEST_ID.fullmatch(response.headers["X-Request-ID"])


def test_dynamic_responses_are_not_cached(signed_in):
    client = signed_in[0]
    assert "no-store" in client.get("/portfolio").headers["Cache-Control"]
    assert "no-store" not in client.get("/static/htmx-2.0.11.min.js").headers.get(
        "Cache-Control", ""
    )


@pytest.fixture
def secure_app(database_url, monkeypatch):
    # Through the environment, as production sets it.
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    application = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "k" * 32}
    )
    yield application
    application.extensions["db"].close()


def test_hsts_and_secure_cookie_when_configured(secure_app):
    client = secure_app.test_client()
    for path in ("/login", "/healthz", "/static/htmx-2.0.11.min.js", "/missing"):
        response = client.get(path, base_url="https://localhost")
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 31536000
    first = secure_app.test_client().get("/login", base_url="https://localhost")
    cookie = first.headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_hsts_and_no_secure_flag_by_default(client):
    response = client.get("/login")
    assert "Strict-Transport-Security" not in response.headers
    assert "; Secure" not in response.headers["Set-Cookie"]
