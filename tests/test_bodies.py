"""Request bodies (SPEC §5): 413 over 64 KiB whether or not the body is chunked (it used to be
cut at 64 KiB and saved), 415 for anything but a form (JSON bodies with non-string values gave
500s), and a sign-up the database refuses re-renders the form instead of a bare page. Over real
HTTP, so the server's own chunked decoding is what the app sees."""

from __future__ import annotations

import http.client
import json
import threading
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from tests.support import (
    CSRF_META,
    PASSWORD,
    VALID,
    assert_no_traceback,
    sign_in,
    unique_email,
)
from tests.support import make_artifact as make


@pytest.fixture(scope="module")
def server(app):
    """The app on a real HTTP server (werkzeug, threaded), as `make run` serves it."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join(timeout=5)


def _send(port, method, path, body: bytes, headers: dict, *, chunked: bool):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if chunked:
            conn.putrequest(method, path)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for start in range(0, len(body), 8192):
                piece = body[start:start + 8192]
                conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            conn.send(b"0\r\n\r\n")
        else:
            conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def signed_in(app, owner):
    client = app.test_client()
    token = sign_in(client, owner)
    cookies = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    return owner, token, {"Cookie": cookies}


def _form(token, **values) -> bytes:
    return urlencode({"csrf_token": token, **VALID, **values}).encode()


def _rows(admin, owner) -> list[str]:
    rows = admin.execute("SELECT title, description FROM work_artifacts WHERE user_id = %s",
                         (owner.user_id,)).fetchall()
    return rows


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_body_over_64_kib_is_refused_not_truncated(server, signed_in, admin, chunked):
    owner, token, cookie = signed_in
    body = _form(token, description="x" * 70_000)  # 70 KB: the finding's chunked body
    headers = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}
    status, text = _send(server, "POST", "/portfolio/artifacts", body, headers, chunked=chunked)
    assert status == 413
    assert "larger than 64 KiB" in text
    assert_no_traceback(text)
    assert _rows(admin, owner) == []  # nothing saved, not a cut-off description


def test_a_chunked_body_under_the_limit_is_read_whole(server, signed_in, admin):
    owner, token, cookie = signed_in
    description = "y" * 4_900 + "END"
    body = _form(token, description=description, title="Chunked and whole")
    headers = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}
    status, _text = _send(server, "POST", "/portfolio/artifacts", body, headers, chunked=True)
    assert status == 303
    [row] = _rows(admin, owner)
    assert row["description"] == description


# The 15 JSON bodies with non-string values that gave 500s, on every kind of form endpoint.
JSON_BODIES = [
    ("/portfolio/artifacts", {"title": 1}),
    ("/portfolio/artifacts", {"title": ["a", "b"]}),
    ("/portfolio/artifacts", {"title": {"nested": True}}),
    ("/portfolio/artifacts", {"title": None}),
    ("/portfolio/artifacts", {"title": "ok", "estimated_hours_saved": 1e308}),
    ("/portfolio/artifacts", {"title": "ok", "suggested_skill_ids": [1, 2]}),
    ("/portfolio/artifacts", {"title": "ok", "artifact_date": 20210315}),
    ("/portfolio/artifacts", {"title": "ok", "visibility": True}),
    ("/portfolio/artifacts/{id}", {"title": 2, "version": "1"}),
    ("/portfolio/artifacts/{id}", {"title": "ok", "version": 1}),
    ("/portfolio/artifacts/{id}/delete", {"x": 1}),
    ("/invites", {"n": 1}),
    ("/login", {"email": 1, "password": 2}),
    ("/signup", {"workspace": 1, "name": 2, "email": 3, "password": 4}),
    ("/logout", {"now": True}),
]


@pytest.mark.parametrize(("path", "payload"), JSON_BODIES)
def test_json_bodies_are_415_and_change_nothing(app, admin, owner, path, payload):
    client = app.test_client()
    token = sign_in(client, owner)
    entry = make(app.extensions["db"], owner, title="Untouched")
    before = admin.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"]
    invites_before = admin.execute("SELECT count(*) AS n FROM invites").fetchone()["n"]
    response = client.post(path.format(id=entry.id), data=json.dumps(payload),
                           content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 415
    assert_no_traceback(response.get_data(as_text=True))
    assert admin.execute("SELECT count(*) AS n FROM work_artifacts").fetchone()["n"] == before
    assert admin.execute("SELECT count(*) AS n FROM invites").fetchone()["n"] == invites_before
    row = admin.execute("SELECT title, version FROM work_artifacts WHERE id = %s",
                        (entry.id,)).fetchone()
    assert row == {"title": "Untouched", "version": 1}
    assert client.get("/portfolio").status_code == 200  # still signed in: logout refused too


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml",
                                          "application/octet-stream"])
def test_other_non_form_bodies_are_415(app, owner, content_type):
    client = app.test_client()
    token = sign_in(client, owner)
    response = client.open("/portfolio/artifacts", method="POST", data=b"title=x",
                           content_type=content_type, headers={"X-CSRFToken": token})
    assert response.status_code == 415


def test_htmx_delete_without_a_body_is_still_accepted(app, owner):
    client = app.test_client()
    token = sign_in(client, owner)
    entry = make(app.extensions["db"], owner)
    response = client.delete(f"/portfolio/artifacts/{entry.id}",
                             headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200


@pytest.mark.parametrize("field", ["workspace", "name", "email", "password"])
def test_nul_in_a_sign_up_field_re_renders_the_form(client, admin, field):
    email = unique_email("nul")
    token = CSRF_META.search(client.get("/signup").get_data(as_text=True)).group(1)
    data = {"workspace": "Nul Co", "name": "Nu Ll", "email": email, "password": PASSWORD,
            "csrf_token": token}
    data[field] = data[field][:2] + "\x00" + data[field][2:]
    response = client.post("/signup", data=data)
    body = response.get_data(as_text=True)
    if field == "password":  # any character may be in a password; it is never stored
        assert response.status_code == 303
        return
    assert response.status_code == 422
    assert '<form method="post" action="/signup"' in body
    assert f'id="{field}-error"' in body  # the error beside its field
    assert admin.execute("SELECT count(*) AS n FROM users WHERE email = %s",
                         (email,)).fetchone()["n"] == 0
