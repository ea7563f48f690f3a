"""Session secrets and cookies: a private random key on disk, safe cookie flags, and a fresh
session at login so nothing planted before it survives."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

import app as app_module
from app import create_app
from tests.support import CSRF_META, csrf_token, log_in
from workhistory.web import login


def test_instance_secret_is_random_private_and_stable(tmp_path):
    path = tmp_path / "secret_key"
    first = app_module._instance_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 64 and int(first, 16)
    assert app_module._instance_secret(path) == first  # kept across restarts
    assert app_module._instance_secret(tmp_path / "other") != first  # random, not a constant


def test_app_without_secret_key_uses_the_instance_file(database_url, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    application = create_app({"TESTING": True, "DATABASE_URL": database_url})
    try:
        path = Path(application.instance_path) / "secret_key"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert application.config["SECRET_KEY"] == path.read_text().strip()
    finally:
        application.extensions["db"].close()


def _session_cookie(response) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{login.COOKIE}="):
            return header
    raise AssertionError("no session cookie set")


def test_cookie_flags(client, owner):
    cookie = _session_cookie(log_in(client, owner.email))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "; Secure" not in cookie  # only with SESSION_COOKIE_SECURE=1 (see headers tests)


@pytest.mark.parametrize("via", ["login", "signup"])
def test_session_is_replaced_when_signing_in(app, owner, via):
    """What a fixation attacker plants before login (any key, the CSRF token) is gone after."""
    from tests.support import PASSWORD, unique_email

    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "attacker"
    page = client.get(f"/{via}")
    token_before = CSRF_META.search(page.get_data(as_text=True)).group(1)
    with client.session_transaction() as session:
        csrf_before = session["csrf_token"]
        state_before = client.get_cookie("state").value
    if via == "login":
        response = client.post(
            "/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token_before}
        )
    else:
        response = client.post(
            "/signup",
            data={"workspace": "Fix", "name": "Fi Xed", "email": unique_email(),
                  "password": PASSWORD, "csrf_token": token_before},
        )
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != csrf_before
        assert "_user_id" not in session  # identity is never in Flask's cookie
    assert client.get_cookie(login.COOKIE) is not None
    page = client.get("/portfolio")
    assert page.status_code == 200
    assert CSRF_META.search(page.get_data(as_text=True)).group(1) != token_before

    # The state cookie from before the login is not a logged-in session.
    old = app.test_client()
    old.set_cookie("state", state_before)
    response = old.get("/portfolio")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")


def test_logout_ends_the_session(client, owner):
    assert log_in(client, owner.email).status_code == 303
    token = CSRF_META.search(client.get("/portfolio").get_data(as_text=True)).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/portfolio").status_code == 303
    assert client.get_cookie(login.COOKIE) is None


def test_anonymous_page_request_goes_to_login_with_next(client):
    response = client.get("/portfolio/artifacts/new?x=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/portfolio/artifacts/new?x%3D1"


def test_anonymous_post_goes_to_login_without_next(client):
    # Following `next` would replay a POST as a GET: land on the portfolio instead.
    response = client.post("/portfolio/artifacts", data={"title": "x"},
                           headers={"X-CSRFToken": csrf_token(client, "/login")})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize(
    ("current_url", "expected"),
    [
        ("http://localhost/portfolio?sort=1", "/login?next=/portfolio?sort%3D1"),
        ("https://evil.example/phish", "/login"),  # never another site's page as `next`
        ("", "/login"),
    ],
)
def test_anonymous_htmx_request_gets_hx_redirect(client, current_url, expected):
    headers = {"HX-Request": "true", "HX-Current-URL": current_url}
    response = client.get("/portfolio/artifacts/new", headers=headers)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == expected
    # Never the login page as a fragment to swap into a row.
    assert response.get_data(as_text=True) == ""
