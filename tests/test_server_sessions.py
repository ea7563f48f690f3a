"""Server-side sessions (SPEC §7), each attack of the first landing tried again: a cookie copied
before logout, before a password change, or held by a user who was removed; a stolen cookie
replayed past the session's lifetimes; a fixed or planted CSRF secret. Plus the account page:
the session list, logging out the others, and the password change."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import create_app
from tests.support import (
    CSRF_META,
    HTMX,
    PASSWORD,
    csrf_token,
    htmx,
    log_in,
    session_cookie,
    sign_in,
    unique_email,
)
from workhistory.data import accounts, tokens
from workhistory.web import login

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
          " Chrome/126.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _count(admin, table: str, user) -> int:
    return admin.execute(
        f"SELECT count(*) AS n FROM {table} WHERE user_id = %s",  # noqa: S608 - fixed names
        (user.user_id,),
    ).fetchone()["n"]


class _Replay:
    """A thief replaying a copy of a session cookie: every request sends the copied value,
    whatever the server answered before (a signed-out answer deletes the cookie in a real
    browser; a replaying attacker sends it again)."""

    def __init__(self, app, value: str):
        self.app, self.value = app, value

    def __getattr__(self, method):
        def call(*args, **kwargs):
            thief = self.app.test_client()
            thief.set_cookie(login.COOKIE, self.value)
            return getattr(thief, method)(*args, **kwargs)
        return call


def _copy(app, client):
    """Another browser holding a copy of `client`'s session cookie (a stolen cookie)."""
    return _Replay(app, client.get_cookie(login.COOKIE).value)


def _signed_out(response, path="/portfolio") -> bool:
    return response.status_code == 303 and response.headers["Location"].startswith("/login")


def _create(client, token, title="Written"):
    return client.post("/portfolio/artifacts", data={"csrf_token": token, "title": title})


def test_only_the_token_hash_is_stored(app, admin, owner):
    client = app.test_client()
    assert log_in(client, owner.email).status_code == 303
    value = client.get_cookie(login.COOKIE).value
    tenant, user, token = value.split(".")
    assert (tenant, user) == (str(owner.tenant_id), str(owner.user_id))
    assert tokens.well_formed(token)  # 256 random bits
    [row] = admin.execute("SELECT * FROM sessions WHERE user_id = %s", (owner.user_id,))
    assert row["token_hash"] == tokens.hash_token(token)
    text = admin.execute("SELECT row_to_json(s)::text AS t FROM sessions s").fetchall()
    assert not any(token in r["t"] for r in text)


def test_a_cookie_copied_before_logout_stops_working_at_once(app, admin, owner):
    client = app.test_client()
    assert log_in(client, owner.email).status_code == 303
    thief = _copy(app, client)
    assert thief.get("/portfolio").status_code == 200  # the copy works while the session does
    token = csrf_token(client)  # the CSRF token the session's own pages carry

    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 303
    assert _signed_out(thief.get("/portfolio"))
    assert _signed_out(thief.get("/people"))
    assert _signed_out(_create(thief, token))
    response = thief.get("/portfolio/artifacts/new", headers=HTMX)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
    assert _count(admin, "work_artifacts", owner) == 0
    assert _count(admin, "sessions", owner) == 0


def test_a_signed_out_request_loses_its_cookie(app, owner):
    client = app.test_client()
    assert log_in(client, owner.email).status_code == 303
    browser = app.test_client()
    browser.set_cookie(login.COOKIE, client.get_cookie(login.COOKIE).value)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    response = browser.get("/portfolio")
    assert _signed_out(response)
    assert any(h.startswith(f"{login.COOKIE}=;") for h in response.headers.getlist("Set-Cookie"))
    assert browser.get_cookie(login.COOKIE) is None


def test_a_removed_user_reads_and_writes_nothing(app, admin, owner, make_colleague):
    colleague = make_colleague(owner.tenant_id)
    from tests.support import make_artifact

    make_artifact(app.extensions["db"], owner, title="Team work", visibility="team")
    browser = app.test_client()
    token = sign_in(browser, colleague)
    assert "Team work" in browser.get(f"/people/{owner.user_id}").get_data(as_text=True)
    client = _copy(app, browser)

    admin.execute("DELETE FROM users WHERE id = %s", (colleague.user_id,))
    for path in ("/people", f"/people/{owner.user_id}", "/portfolio", "/account",
                 "/portfolio/artifacts.json"):
        response = client.get(path)
        assert _signed_out(response), path
        assert "Team work" not in response.get_data(as_text=True)
    assert _signed_out(_create(client, token))  # not a 500
    assert _count(admin, "work_artifacts", colleague) == 0


def test_a_session_ends_after_seven_idle_days(app, admin, owner):
    client = app.test_client()
    sign_in(client, owner)
    admin.execute("UPDATE sessions SET last_seen = now() - interval '7 days 1 minute'"
                  " WHERE user_id = %s", (owner.user_id,))
    assert _signed_out(client.get("/portfolio"))


def test_use_never_extends_the_thirty_days(app, admin, owner):
    client = app.test_client()
    sign_in(client, owner)
    admin.execute("UPDATE sessions SET created_at = now() - interval '29 days 23 hours',"
                  " last_seen = now() - interval '2 minutes' WHERE user_id = %s",
                  (owner.user_id,))
    assert client.get("/portfolio").status_code == 200  # used: last_seen bumped ...
    [row] = admin.execute("SELECT created_at, last_seen, now() AS now FROM sessions"
                          " WHERE user_id = %s", (owner.user_id,))
    assert row["now"] - row["last_seen"] < timedelta(minutes=1)
    assert row["now"] - row["created_at"] > timedelta(days=29)  # ... but not created_at
    admin.execute("UPDATE sessions SET created_at = now() - interval '30 days 1 minute'"
                  " WHERE user_id = %s", (owner.user_id,))
    assert _signed_out(client.get("/portfolio"))


def test_last_seen_is_bumped_at_most_once_a_minute(app, admin, owner):
    client = app.test_client()
    sign_in(client, owner)
    admin.execute("UPDATE sessions SET last_seen = now() - interval '30 seconds'"
                  " WHERE user_id = %s", (owner.user_id,))
    before = admin.execute("SELECT last_seen FROM sessions WHERE user_id = %s",
                           (owner.user_id,)).fetchone()["last_seen"]
    client.get("/portfolio")
    after = admin.execute("SELECT last_seen FROM sessions WHERE user_id = %s",
                          (owner.user_id,)).fetchone()["last_seen"]
    assert after == before


def test_a_forged_tenant_or_user_in_the_cookie_is_no_session(app, owner, make_workspace):
    stranger = make_workspace(name="Elsewhere")
    client = app.test_client()
    sign_in(client, owner)
    _tenant, _user, token = client.get_cookie(login.COOKIE).value.split(".")
    for tenant, user in ((stranger.tenant_id, stranger.user_id),
                         (owner.tenant_id, stranger.user_id),
                         (stranger.tenant_id, owner.user_id)):
        forged = app.test_client()
        forged.set_cookie(login.COOKIE, f"{tenant}.{user}.{token}")
        assert _signed_out(forged.get("/portfolio"))
    junk = app.test_client()
    junk.set_cookie(login.COOKIE, "not-a-session")
    assert _signed_out(junk.get("/portfolio"))


def test_login_rotates_the_session(app, admin, owner, make_workspace):
    other = make_workspace(name="Second")
    client = app.test_client()
    assert log_in(client, owner.email).status_code == 303
    first = _copy(app, client)
    # The same browser logs in as someone else (its login form, while signed in).
    token = csrf_token(client, "/portfolio")
    response = client.post("/login", data={"email": other.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 303
    assert _signed_out(first.get("/portfolio"))  # the session before it ended
    assert _count(admin, "sessions", owner) == 0
    assert "Second" in client.get("/account").get_data(as_text=True)


def test_the_session_is_checked_in_the_round_trip_that_enters_the_workspace(app, owner,
                                                                            monkeypatch):
    database = app.extensions["db"]
    statements = []
    client = app.test_client()
    sign_in(client, owner)
    real_begin = database._begin

    def spy(actor):
        statements.append(actor)
        return real_begin(actor)

    monkeypatch.setattr(database, "_begin", spy)
    assert client.get("/portfolio").status_code == 200
    # One transaction for the whole page, and it was the session's: no separate look-up.
    assert len(statements) == 1 and statements[0].session is not None


def test_csrf_secret_is_bound_to_the_session(app, owner):
    """A state cookie planted with a CSRF secret the attacker knows does not make their
    token valid in the victim's signed-in session."""
    attacker = app.test_client()
    attacker_token = csrf_token(attacker, "/login")
    planted = attacker.get_cookie("state").value
    victim = app.test_client()
    sign_in(victim, owner)
    victim.set_cookie("state", planted)
    response = _create(victim, attacker_token, "Forged")
    assert response.status_code == 400
    # The victim's own page carries a token that works, and it changes with the session.
    own = csrf_token(victim)
    assert _create(victim, own, "Mine").status_code == 303
    again = app.test_client()
    sign_in(again, owner)
    assert csrf_token(again) != own


def test_the_session_cookie_is_host_only_and_secure_when_configured(runtime_url, owner,
                                                                   monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    application = create_app({"TESTING": True, "DATABASE_URL": runtime_url,
                              "SECRET_KEY": "k" * 32})
    try:
        client = application.test_client()
        page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
        response = client.post("/login", base_url="https://localhost",
                               headers={"Referer": "https://localhost/login"}, data={
            "email": owner.email, "password": PASSWORD,
            "csrf_token": CSRF_META.search(page).group(1)})
        assert response.status_code == 303
        cookies = response.headers.getlist("Set-Cookie")
        [session] = [c for c in cookies if c.startswith("__Host-session=")]
        for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert flag in session
        assert "Domain" not in session
        assert all(c.startswith("__Host-") for c in cookies)  # the state cookie too
        page = client.get("/portfolio", base_url="https://localhost")
        assert page.status_code == 200
    finally:
        application.extensions["db"].close()


def test_there_is_no_remember_me_cookie(app, owner):
    client = app.test_client()
    response = log_in(client, owner.email)
    names = [c.split("=")[0] for c in response.headers.getlist("Set-Cookie")]
    assert sorted(set(names)) == sorted({login.COOKIE, "state"} & set(names))
    assert "remember_token" not in names
    with client.session_transaction() as state:
        assert "_user_id" not in state  # no identity in Flask's signed cookie


# --- the account page ---------------------------------------------------------------------


def _browser(app, user, agent):
    client = app.test_client()
    name, value = session_cookie(app, user, agent)
    client.set_cookie(name, value)
    return client


def test_account_lists_own_sessions_with_the_current_one_marked(app, owner, make_workspace):
    stranger = make_workspace(name="Stranger")
    _browser(app, stranger, "curl/8.5.0")
    laptop = _browser(app, owner, CHROME)
    _browser(app, owner, FIREFOX)
    body = laptop.get("/account").get_data(as_text=True)
    assert "Chrome on Windows" in body and "Firefox on Linux" in body
    assert "curl" not in body  # never another user's sessions
    current = re.search(r'<li id="session-[^"]+" class="session session-current">(.*?)</li>',
                        body, re.S).group(1)
    assert "Chrome on Windows" in current and "This browser" in current
    assert body.count("This browser") == 1
    assert owner.email in body


@pytest.mark.parametrize("hx", [False, True], ids=["plain", "htmx"])
def test_log_out_one_other_session(app, admin, owner, hx):
    laptop, phone = _browser(app, owner, CHROME), _browser(app, owner, FIREFOX)
    token = csrf_token(laptop, "/account")
    phone_id = admin.execute("SELECT id FROM sessions WHERE user_agent = %s AND user_id = %s",
                             (FIREFOX, owner.user_id)).fetchone()["id"]
    headers = htmx(token) if hx else {}
    response = laptop.post(f"/account/sessions/{phone_id}/end", data={"csrf_token": token},
                           headers=headers)
    assert response.status_code == (200 if hx else 303)
    if hx:
        assert 'id="sessions"' in response.get_data(as_text=True)
    assert _signed_out(phone.get("/portfolio"))
    assert laptop.get("/portfolio").status_code == 200


def test_another_users_session_cannot_be_ended(app, admin, owner, make_colleague):
    colleague = make_colleague(owner.tenant_id)
    theirs = _browser(app, colleague, FIREFOX)
    their_id = admin.execute("SELECT id FROM sessions WHERE user_id = %s",
                             (colleague.user_id,)).fetchone()["id"]
    laptop = _browser(app, owner, CHROME)
    token = csrf_token(laptop, "/account")
    mine = admin.execute("SELECT id FROM sessions WHERE user_id = %s",
                         (owner.user_id,)).fetchone()["id"]
    for target in (their_id, mine, "not-a-uuid"):
        response = laptop.post(f"/account/sessions/{target}/end", data={"csrf_token": token})
        assert response.status_code == 404
    assert theirs.get("/portfolio").status_code == 200
    assert laptop.get("/portfolio").status_code == 200


def test_log_out_all_other_sessions(app, owner):
    laptop = _browser(app, owner, CHROME)
    others = [_browser(app, owner, FIREFOX) for _ in range(3)]
    response = laptop.post("/account/sessions/end-others",
                           data={"csrf_token": csrf_token(laptop, "/account")})
    assert response.status_code == 303
    assert "Logged out 3 other sessions." in laptop.get("/account").get_data(as_text=True)
    assert all(_signed_out(o.get("/portfolio")) for o in others)
    assert laptop.get("/portfolio").status_code == 200


def _change(client, current, new):
    return client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account"), "current_password": current,
        "new_password": new})


def test_a_password_change_ends_every_other_session(app, admin, owner):
    laptop, thief = _browser(app, owner, CHROME), _browser(app, owner, FIREFOX)
    response = _change(laptop, PASSWORD, "a brand new passphrase")
    assert response.status_code == 303
    assert _signed_out(thief.get("/portfolio"))  # the replayed cookie is dead
    assert "Password changed. 1 other session logged out." in laptop.get(
        "/account").get_data(as_text=True)
    assert laptop.get("/portfolio").status_code == 200  # this browser stays signed in
    db = app.extensions["db"]
    assert accounts.authenticate(db, owner.email, PASSWORD) is None
    assert accounts.authenticate(db, owner.email, "a brand new passphrase") is not None


@pytest.mark.parametrize(("current", "new", "field"), [
    ("wrong password", "a brand new passphrase", "current_password"),
    (PASSWORD, "short", "new_password"),
    ("", "a brand new passphrase", "current_password"),
])
def test_a_refused_password_change_changes_nothing(app, owner, current, new, field):
    laptop, other = _browser(app, owner, CHROME), _browser(app, owner, FIREFOX)
    response = _change(laptop, current, new)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{field}" name="{field}"' in body and 'aria-invalid="true"' in body
    assert other.get("/portfolio").status_code == 200
    assert accounts.authenticate(laptop.application.extensions["db"], owner.email,
                                 PASSWORD) is not None


def test_guessing_the_current_password_is_rate_limited(app, owner, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_PER_EMAIL", "3 per minute")
    laptop = _browser(app, owner, CHROME)
    statuses = [_change(laptop, f"guess {i}", "a brand new passphrase").status_code
                for i in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert _change(laptop, PASSWORD, "a brand new passphrase").status_code == 429


def test_the_account_page_needs_a_session(client):
    assert _signed_out(client.get("/account"))
    token = csrf_token(client, "/login")
    response = client.post("/account/sessions/end-others", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/login"


def test_sign_up_starts_a_server_session(app, admin):
    client = app.test_client()
    token = CSRF_META.search(client.get("/signup").get_data(as_text=True)).group(1)
    email = unique_email()
    response = client.post("/signup", data={"workspace": "Fresh", "name": "Fay", "email": email,
                                            "password": PASSWORD, "csrf_token": token},
                           headers={"User-Agent": FIREFOX})
    assert response.status_code == 303
    row = admin.execute("SELECT s.user_agent FROM sessions s JOIN users u ON u.id = s.user_id"
                        " WHERE u.email = %s", (email,)).fetchone()
    assert row == {"user_agent": FIREFOX}
