"""Invites: created by a member, shown once, stored only as a hash, joined exactly once, within
7 days, revocable by their creator; joining lands in the inviting workspace; the two
SECURITY DEFINER functions behind joining are narrow."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support import HTMX, PASSWORD, csrf_token, run_together, sign_in, unique_email
from workhistory.data import invites
from workhistory.data.errors import DuplicateEmail, NotFound
from workhistory.web import login

LINK = re.compile(r'value="(https?://[^"]+/join/([A-Za-z0-9_-]+))"')


def _create_over_http(client, user, *, hx: bool = False) -> str:
    """Create an invite as `user` through POST /invites; return the token shown."""
    token = sign_in(client, user)
    headers = {**HTMX, "X-CSRFToken": token} if hx else {}
    response = client.post("/invites", data={"csrf_token": token}, headers=headers)
    assert response.status_code == 201
    match = LINK.search(response.get_data(as_text=True))
    assert match, "the new invite link is shown"
    return match.group(2)


def _join(client, token, email=None, name="New Person", password=PASSWORD, address="10.1.0.1"):
    environ = {"REMOTE_ADDR": address}
    csrf = csrf_token(client, f"/join/{token}", environ_base=environ)  # error pages have it too
    return client.post(
        f"/join/{token}",
        data={"name": name, "email": email or unique_email("joiner"), "password": password,
              "csrf_token": csrf},
        environ_base=environ,
    )


def _users_named(admin, email):
    return admin.execute(
        "SELECT id, tenant_id, display_name FROM users WHERE lower(email) = lower(%s)", (email,)
    ).fetchall()


def _invite_row(admin, token):
    return admin.execute(
        "SELECT * FROM invites WHERE token_hash = %s", (hashlib.sha256(token.encode()).hexdigest(),)
    ).fetchone()


# --- creating and listing ---------------------------------------------------------------------


@pytest.mark.parametrize("hx", [False, True], ids=["plain", "htmx"])
def test_created_invite_is_shown_once_and_stored_only_as_a_hash(app, admin, owner, hx):
    client = app.test_client()
    token = _create_over_http(client, owner, hx=hx)
    # 256 bits from token_urlsafe(32); at least the 128 the contract asks for.
    assert len(token) == 43

    row = _invite_row(admin, token)
    assert row is not None
    assert row["tenant_id"] == owner.tenant_id and row["created_by"] == owner.user_id
    assert row["used_by"] is None and row["used_at"] is None
    assert timedelta(days=7) - timedelta(minutes=1) < row["expires_at"] - row["created_at"]
    assert row["expires_at"] - row["created_at"] <= timedelta(days=7)
    # The token itself appears nowhere in the stored row, in any column.
    text = admin.execute(
        "SELECT row_to_json(i)::text AS t FROM invites i WHERE id = %s", (row["id"],)
    ).fetchone()["t"]
    assert token not in text

    # The page shows the open invite afterwards, but never its link again.
    page = client.get("/people").get_data(as_text=True)
    assert f'id="invite-{row["id"]}"' in page
    assert token not in page


def test_each_invite_gets_a_fresh_token(db, owner):
    tokens = {invites.create_invite(db, owner.actor).token for _ in range(5)}
    assert len(tokens) == 5


def test_open_invites_are_the_creators_own(app, db, owner, make_colleague):
    colleague = make_colleague(owner.tenant_id)
    mine = invites.create_invite(db, owner.actor).invite
    assert [i.id for i in invites.list_open_invites(db, owner.actor)][:1] == [mine.id]
    assert mine.id not in {i.id for i in invites.list_open_invites(db, colleague.actor)}
    client = app.test_client()
    sign_in(client, colleague)
    assert str(mine.id) not in client.get("/people").get_data(as_text=True)


def test_creating_an_invite_needs_login_and_csrf(app, admin, owner):
    client = app.test_client()
    before = admin.execute("SELECT count(*) AS n FROM invites").fetchone()["n"]
    anonymous = client.post("/invites")
    assert anonymous.status_code in (303, 400)
    sign_in(client, owner)
    assert client.post("/invites").status_code == 400
    assert admin.execute("SELECT count(*) AS n FROM invites").fetchone()["n"] == before


# --- joining ---------------------------------------------------------------------------------


def test_join_works_once_and_lands_in_the_inviting_workspace(app, admin, make_workspace):
    inviter = make_workspace(name="Inviting Co")
    other = make_workspace(name="Other Co")
    token = _create_over_http(app.test_client(), inviter)
    _create_over_http(app.test_client(), other)  # an invite elsewhere changes nothing

    client = app.test_client()
    page = client.get(f"/join/{token}")
    assert page.status_code == 200
    assert "Join Inviting Co" in page.get_data(as_text=True)
    assert '="None"' not in page.get_data(as_text=True)  # no attribute rendered from a None

    email = unique_email("joiner")
    response = _join(client, token, email=email, name="Jo Iner")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/portfolio")
    [user] = _users_named(admin, email)
    assert user["tenant_id"] == inviter.tenant_id and user["display_name"] == "Jo Iner"
    row = _invite_row(admin, token)
    assert row["used_by"] == user["id"] and row["used_at"] is not None

    # Signed in as the new member of the inviting workspace, who sees the inviter.
    people = client.get("/people")
    assert people.status_code == 200
    body = people.get_data(as_text=True)
    assert "Jo Iner" in body and inviter.display_name in body
    assert str(other.user_id) not in body

    # The token is spent: GET and POST answer 404 and nobody else joins.
    assert app.test_client().get(f"/join/{token}").status_code == 404
    second = unique_email("second")
    assert _join(app.test_client(), token, email=second).status_code == 404
    assert _users_named(admin, second) == []


def test_expired_invite_is_404(app, admin, owner):
    token = _create_over_http(app.test_client(), owner)
    admin.execute(
        "UPDATE invites SET expires_at = now() - interval '1 second' WHERE token_hash = %s",
        (invites.hash_token(token),),
    )
    client = app.test_client()
    assert client.get(f"/join/{token}").status_code == 404
    email = unique_email("late")
    assert _join(client, token, email=email).status_code == 404
    assert _users_named(admin, email) == []
    assert _invite_row(admin, token)["used_by"] is None


def test_revoked_invite_is_404(app, admin, owner):
    client = app.test_client()
    token = _create_over_http(client, owner)
    invite_id = _invite_row(admin, token)["id"]
    csrf = csrf_token(client, "/people")
    response = client.post(f"/invites/{invite_id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert _invite_row(admin, token) is None
    assert app.test_client().get(f"/join/{token}").status_code == 404
    email = unique_email("revoked")
    assert _join(app.test_client(), token, email=email).status_code == 404
    assert _users_named(admin, email) == []


def test_revoke_over_htmx_returns_the_panel_and_announces(app, admin, owner):
    client = app.test_client()
    token = _create_over_http(client, owner)
    invite_id = _invite_row(admin, token)["id"]
    csrf = csrf_token(client, "/people")
    response = client.post(
        f"/invites/{invite_id}/revoke", headers={**HTMX, "X-CSRFToken": csrf}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="invites"')
    assert f'id="invite-{invite_id}"' not in body
    assert 'id="status" hx-swap-oob="innerHTML"' in body and "revoked" in body


def test_only_the_creator_can_revoke(app, admin, owner, make_colleague, make_workspace):
    token = _create_over_http(app.test_client(), owner)
    invite_id = _invite_row(admin, token)["id"]
    for intruder in (make_colleague(owner.tenant_id), make_workspace(name="Elsewhere")):
        client = app.test_client()
        csrf = sign_in(client, intruder)
        response = client.post(f"/invites/{invite_id}/revoke", data={"csrf_token": csrf})
        assert response.status_code == 404
    client = app.test_client()
    csrf = sign_in(client, owner)
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert client.post(f"/invites/{bad}/revoke", data={"csrf_token": csrf}).status_code == 404
    assert _invite_row(admin, token)["used_by"] is None
    assert app.test_client().get(f"/join/{token}").status_code == 200


def test_a_used_invite_cannot_be_revoked(db, owner):
    new = invites.create_invite(db, owner.actor)
    invites.redeem(db, new.token, unique_email("used"), "Used Once", PASSWORD)
    with pytest.raises(NotFound):
        invites.revoke_invite(db, owner.actor, new.invite.id)


@pytest.mark.parametrize(
    "token",
    [secrets.token_urlsafe(32), "short", "x" * 43, "A" * 200, "%00", "..%2F..%2Flogin"],
)
def test_unknown_or_malformed_tokens_are_404(app, token):
    client = app.test_client()
    assert client.get(f"/join/{token}").status_code == 404
    assert _join(client, token).status_code == 404


def test_join_with_an_existing_email_keeps_the_invite_open(app, admin, owner):
    token = _create_over_http(app.test_client(), owner)
    client = app.test_client()
    response = _join(client, token, email=owner.email.upper())
    assert response.status_code == 422
    assert "cannot be used for a new account" in response.get_data(as_text=True)
    assert _invite_row(admin, token)["used_by"] is None
    assert _join(client, token).status_code == 303


def test_join_refuses_invalid_input_and_keeps_the_invite_open(app, admin, owner):
    token = _create_over_http(app.test_client(), owner)
    response = _join(app.test_client(), token, email="not-an-email", password="short")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in body and 'class="field-error"' in body
    assert _invite_row(admin, token)["used_by"] is None


def test_join_needs_csrf(app, admin, owner):
    token = _create_over_http(app.test_client(), owner)
    email = unique_email("nocsrf")
    response = app.test_client().post(
        f"/join/{token}", data={"name": "No Token", "email": email, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert _users_named(admin, email) == []
    assert _invite_row(admin, token)["used_by"] is None


def test_join_starts_a_fresh_session(app, owner, make_workspace):
    """Whoever was signed in before, the browser is the new member afterwards."""
    token = _create_over_http(app.test_client(), owner)
    client = app.test_client()
    previous = make_workspace(name="Previous Co", display_name="Pre Vious")
    sign_in(client, previous)
    before = client.get_cookie(login.COOKIE).value
    with client.session_transaction() as session:
        session["planted"] = "value"
    assert _join(client, token, name="Fresh Member").status_code == 303
    with client.session_transaction() as session:
        assert "planted" not in session
    after = client.get_cookie(login.COOKIE).value
    assert after != before and after.startswith(f"{owner.tenant_id}.")
    assert "Fresh Member" in client.get("/account").get_data(as_text=True)
    # The previous member's session ended with the join: its cookie signs nobody in.
    old = app.test_client()
    old.set_cookie(login.COOKIE, before)
    assert old.get("/portfolio").status_code == 303


def test_join_is_rate_limited_per_address(app, owner, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_JOIN_PER_ADDRESS", "3 per hour")
    token = _create_over_http(app.test_client(), owner)
    client = app.test_client()
    statuses = [
        _join(client, token, email="bad", address="10.66.0.1").status_code for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    # Another address is not affected, and the invite still works from there.
    assert _join(app.test_client(), token, address="10.66.0.2").status_code == 303


def test_concurrent_redemptions_of_one_token_let_exactly_one_in(db, admin, owner):
    token = invites.create_invite(db, owner.actor).token
    attempts = 8
    emails = [unique_email(f"race{n}") for n in range(attempts)]
    outcomes = run_together(
        attempts, lambda n: invites.redeem(db, token, emails[n], f"Racer {n}", PASSWORD)
    )

    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, invites.InviteNotFound) for o in losers), losers
    [winner] = winners
    stored = admin.execute(
        "SELECT id, tenant_id FROM users WHERE lower(email) = ANY(%s)",
        ([e.lower() for e in emails],),
    ).fetchall()
    assert stored == [{"id": winner.user_id, "tenant_id": owner.tenant_id}]
    assert _invite_row(admin, token)["used_by"] == winner.user_id


def test_redeem_with_a_duplicate_email_rolls_back(db, admin, owner):
    token = invites.create_invite(db, owner.actor).token
    with pytest.raises(DuplicateEmail):
        invites.redeem(db, token, owner.email, "Copy Cat", PASSWORD)
    assert _invite_row(admin, token)["used_by"] is None


# --- the database side ------------------------------------------------------------------------


@pytest.mark.parametrize("function", ["invite_lookup(text)", "invite_claim(text)"])
def test_join_functions_are_narrow_security_definers(admin, function):
    fn = admin.execute(
        "SELECT p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner) AS owner,"
        " has_function_privilege('portfolio_app', p.oid, 'EXECUTE') AS app_can_execute,"
        " p.proacl IS NOT NULL AND NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) a"
        "   WHERE a.grantee = 0) AS public_revoked"
        " FROM pg_proc p WHERE p.oid = %s::regprocedure",
        (f"public.{function}",),
    ).fetchone()
    assert fn == {
        "prosecdef": True,
        "proconfig": ["search_path=pg_catalog, pg_temp"],
        "owner": "portfolio_auth",
        "app_can_execute": True,
        "public_revoked": True,
    }


def test_lookup_returns_only_the_workspace(admin):
    result = admin.execute(
        "SELECT pg_get_function_result('public.invite_lookup(text)'::regprocedure) AS r"
    ).fetchone()["r"]
    assert result == "TABLE(tenant_id uuid, workspace_name text)"


def test_runtime_role_cannot_mark_invites_used(admin):
    row = admin.execute(
        "SELECT has_table_privilege('portfolio_app', 'public.invites', 'UPDATE') AS ok"
    ).fetchone()
    assert row["ok"] is False
    auth = admin.execute(
        "SELECT has_column_privilege('portfolio_auth', 'public.invites', 'created_by', 'SELECT')"
        " AS created_by, has_column_privilege('portfolio_auth', 'public.invites', 'tenant_id',"
        " 'UPDATE') AS move_tenant"
    ).fetchone()
    assert auth == {"created_by": False, "move_tenant": False}


def test_claim_needs_the_workspace_and_new_user_context(database_url, db, owner):
    """Called directly as portfolio_app without a context, or from another workspace, the
    claim function marks nothing: the token is not enough on its own."""
    token = invites.create_invite(db, owner.actor).token
    token_hash = invites.hash_token(token)
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        conn.execute(
            "SELECT set_config('role', 'portfolio_app', true),"
            " set_config('app.tenant_id', '', true), set_config('app.user_id', '', true)"
        )
        assert conn.execute("SELECT invite_claim(%s) AS id", (token_hash,)).fetchone() == {
            "id": None
        }
        [row] = conn.execute(
            "SELECT tenant_id FROM invite_lookup(%s)", (token_hash,)
        ).fetchall()
        assert row["tenant_id"] == owner.tenant_id
        # Direct reads as the runtime role without a context see no invite at all.
        assert conn.execute("SELECT count(*) AS n FROM invites").fetchone()["n"] == 0
        conn.rollback()
    assert invites.find_open_invite(db, token).tenant_id == owner.tenant_id


def test_colleagues_cannot_read_each_others_invites_as_portfolio_app(
    database_url, db, owner, make_colleague
):
    colleague = make_colleague(owner.tenant_id)
    invites.create_invite(db, owner.actor)
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        conn.execute(
            "SELECT set_config('role', 'portfolio_app', true),"
            " set_config('app.tenant_id', %s, true), set_config('app.user_id', %s, true)",
            (str(colleague.tenant_id), str(colleague.user_id)),
        )
        assert conn.execute("SELECT count(*) AS n FROM invites").fetchone()["n"] == 0
        conn.rollback()


# --- the cap and the rate limit (SPEC §7) ---------------------------------------------------


def test_the_twenty_first_open_invite_is_refused(app, admin, owner):
    client = app.test_client()
    token = sign_in(client, owner)
    statuses = [client.post("/invites", data={"csrf_token": token}).status_code
                for _ in range(21)]
    assert statuses == [201] * 20 + [409]
    assert "20 open invite links" in client.post(
        "/invites", data={"csrf_token": token}).get_data(as_text=True)
    assert admin.execute("SELECT count(*) AS n FROM invites WHERE created_by = %s",
                         (owner.user_id,)).fetchone()["n"] == 20
    # Revoking one makes room again.
    some = admin.execute("SELECT id FROM invites WHERE created_by = %s LIMIT 1",
                         (owner.user_id,)).fetchone()["id"]
    client.post(f"/invites/{some}/revoke", data={"csrf_token": token})
    assert client.post("/invites", data={"csrf_token": token}).status_code == 201


@pytest.mark.slow
def test_concurrent_invites_never_pass_twenty(db, admin, owner):
    from workhistory.data.errors import LimitReached

    results = run_together(30, lambda i: invites.create_invite(db, owner.actor))
    assert sum(isinstance(r, invites.NewInvite) for r in results) == 20
    assert sum(isinstance(r, LimitReached) for r in results) == 10
    assert admin.execute("SELECT count(*) AS n FROM invites WHERE created_by = %s",
                         (owner.user_id,)).fetchone()["n"] == 20


def test_used_and_expired_invites_do_not_count(db, admin, owner):
    for _ in range(20):
        invites.create_invite(db, owner.actor)
    admin.execute("UPDATE invites SET expires_at = now() - interval '1 second'"
                  " WHERE created_by = %s", (owner.user_id,))
    invites.create_invite(db, owner.actor)  # the expired ones are not open


def test_creating_invites_is_rate_limited_per_user(app, owner, make_colleague, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_INVITES_PER_USER", "3 per hour")
    client = app.test_client()
    token = sign_in(client, owner)
    statuses = [client.post("/invites", data={"csrf_token": token}).status_code
                for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    colleague = app.test_client()  # per user: another member is not blocked
    assert colleague.post("/invites", data={
        "csrf_token": sign_in(colleague, make_colleague(owner.tenant_id))}).status_code == 201
