"""One structured log line per request, with what an operator needs and no secrets."""

from __future__ import annotations

import json

import pytest

from app import create_app
from tests.support import HTMX, captured_log, csrf_token, log_in, sign_in
from workhistory.web import security


@pytest.fixture
def access_lines():
    with captured_log(security.access_log.name) as lines:
        yield lines


def test_one_json_line_per_request_with_the_fields(client, access_lines):
    response = client.get("/healthz")
    assert len(access_lines) == 1
    record = json.loads(access_lines[0])
    assert record["request_id"] == response.headers["X-Request-ID"]
    assert (record["method"], record["path"], record["status"]) == ("GET", "/healthz", 200)
    assert isinstance(record["duration_ms"], float) and record["duration_ms"] >= 0
    assert record["user_id"] is None


def test_signed_in_requests_carry_the_user_id(app, owner, access_lines):
    client = app.test_client()
    sign_in(client, owner)
    access_lines.clear()
    client.get("/portfolio/artifacts/not-an-id", headers=HTMX)
    record = json.loads(access_lines[-1])
    assert record["status"] == 404
    assert record["user_id"] == str(owner.user_id)


def test_errors_are_logged_with_their_status(client, access_lines):
    client.post("/login", data={"email": "x"})  # no CSRF token
    assert json.loads(access_lines[-1])["status"] == 400


def test_no_password_form_body_or_query_string_is_logged(client, owner, access_lines):
    secret = "Tr0ub4dor&3-never-log-me"
    log_in(client, owner.email, secret)
    client.get("/login?next=/portfolio&reset_token=QUERY-SECRET-123")
    text = "\n".join(access_lines)
    for leaked in (secret, "QUERY-SECRET-123", "reset_token", owner.email, "csrf"):
        assert leaked not in text
    assert all(json.loads(line)["path"] in {"/login"} for line in access_lines)


def test_secret_path_segments_are_redacted(database_url, access_lines):
    application = create_app({"TESTING": True, "DATABASE_URL": database_url,
                              "SECRET_KEY": "k" * 32})

    @application.get("/test-only/<token>")
    def with_token(token):
        return "ok"

    try:
        application.test_client().get("/test-only/INVITE-TOKEN-abcdef")
        application.test_client().get("/join/REAL-INVITE-TOKEN-0123456789")
    finally:
        application.extensions["db"].close()
    text = "\n".join(access_lines)
    assert "INVITE-TOKEN" not in text
    assert json.loads(access_lines[0])["path"] == "/test-only/[redacted]"
    assert json.loads(access_lines[1])["path"] == "/join/[redacted]"


def test_csrf_tokens_in_headers_are_not_logged(app, owner, access_lines):
    client = app.test_client()
    token = sign_in(client, owner)
    client.delete("/portfolio/artifacts/x", headers={**HTMX, "X-CSRFToken": token})
    assert token not in "\n".join(access_lines)
    assert csrf_token(client, "/portfolio") not in "\n".join(access_lines)
