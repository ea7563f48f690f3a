"""Sign-up, login and logout over HTTP, with CSRF on and a real database."""

from __future__ import annotations

import re

import pytest

from tests.support import PASSWORD, unique_email

TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client, path="/login") -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def signup(client, email=None, workspace="Acme", name="Ada", password=PASSWORD):
    token = csrf_token(client, "/signup")
    return client.post(
        "/signup",
        data={"workspace": workspace, "name": name, "email": email or unique_email(),
              "password": password, "csrf_token": token},
    )


def login(client, email, password=PASSWORD, next_=""):
    token = csrf_token(client, "/login")
    return client.post(
        "/login", data={"email": email, "password": password, "next": next_, "csrf_token": token}
    )


def test_signup_creates_workspace_and_user_and_signs_in(client, admin):
    email = unique_email()
    response = signup(client, email=email, workspace="Northwind")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/portfolio")
    row = admin.execute(
        "SELECT u.display_name, t.name FROM users u JOIN tenants t ON t.id = u.tenant_id"
        " WHERE u.email = %s", (email,)
    ).fetchone()
    assert row == {"display_name": "Ada", "name": "Northwind"}
    assert client.get("/portfolio").status_code == 200


def test_signup_rejects_duplicate_email_case_insensitively(client, admin):
    email = unique_email()
    assert signup(client, email=email).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client, "/signup")})
    response = signup(client, email=email.upper(), workspace="Other")
    assert response.status_code == 422
    assert "cannot be used for a new account" in response.get_data(as_text=True)
    other = admin.execute("SELECT count(*) AS n FROM tenants WHERE name = 'Other'").fetchone()
    assert other["n"] == 0


@pytest.mark.parametrize(
    "field, value",
    [("password", "short"), ("password", "x" * 129), ("email", "not-an-email"),
     ("workspace", ""), ("name", "   ")],
)
def test_signup_validation_keeps_input(client, field, value):
    data = {"workspace": "Acme", "name": "Ada", "email": unique_email(), "password": PASSWORD}
    data[field] = value
    data["csrf_token"] = csrf_token(client, "/signup")
    response = client.post("/signup", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in body
    if field != "password":  # passwords are never echoed back
        assert data["email"] in body or field == "email"


def test_login_then_logout(client, owner):
    response = login(client, owner.email)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/portfolio")
    assert client.get("/portfolio").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/signup")})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login")
    assert client.get("/portfolio").status_code in (302, 303)


def test_login_email_is_case_insensitive(client, owner):
    assert login(client, owner.email.upper()).status_code == 303


@pytest.mark.parametrize("which", ["wrong-password", "unknown-email"])
def test_wrong_credentials_get_one_generic_message(client, owner, which):
    email = owner.email if which == "wrong-password" else unique_email()
    password = "wrong password!" if which == "wrong-password" else PASSWORD
    response = login(client, email, password)
    assert 400 <= response.status_code < 500
    assert "That email and password do not match an account." in response.get_data(as_text=True)
    assert client.get("/portfolio").status_code in (302, 303)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/portfolio/artifacts.json", "/portfolio/artifacts.json"),
        ("https://evil.example/", "/portfolio"),
        ("//evil.example/", "/portfolio"),
        ("/\\evil.example/", "/portfolio"),
        ("javascript:alert(1)", "/portfolio"),
        ("/\tevil", "/portfolio"),
    ],
)
def test_login_next_is_limited_to_same_site_paths(client, owner, target, expected):
    response = login(client, owner.email, next_=target)
    assert response.status_code == 303
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("path", ["/login", "/signup", "/logout"])
def test_state_changes_without_csrf_token_are_refused(client, owner, path):
    data = {"email": owner.email, "password": PASSWORD, "workspace": "X", "name": "Y"}
    response = client.post(path, data=data)
    assert response.status_code == 400


def test_forged_csrf_token_is_refused(client, owner):
    csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert client.get("/portfolio").status_code in (302, 303)
