"""Workspaces, users and login, and the operator commands `user create`, `db upgrade`, `demo`."""

from __future__ import annotations

import pytest

from tests.support import PASSWORD, unique_email
from workhistory import demo, migrate
from workhistory.data import accounts, people
from workhistory.data.errors import DuplicateEmail


def _users_with_email(admin, email: str) -> list[dict]:
    return admin.execute(
        "SELECT id, tenant_id, email, display_name, password_hash FROM users"
        " WHERE lower(email) = lower(%s)",
        (email,),
    ).fetchall()


def _tenants_named(admin, name: str) -> list[dict]:
    return admin.execute("SELECT id FROM tenants WHERE name = %s", (name,)).fetchall()


# --- library ------------------------------------------------------------------------------


def test_create_workspace_stores_a_hashed_password(db, admin):
    email = unique_email("founder")
    user = accounts.create_workspace(db, "  Founders  ", email, " Fay Founder ", PASSWORD)
    [row] = _users_with_email(admin, email)
    assert (row["id"], row["tenant_id"]) == (user.user_id, user.tenant_id)
    assert row["display_name"] == user.display_name == "Fay Founder"
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]
    assert (user.actor.tenant_id, user.actor.user_id) == (user.tenant_id, user.user_id)


def test_authenticate_with_the_right_password(db):
    email = unique_email("login")
    created = accounts.create_workspace(db, "Login Co", email, "Lee Login", PASSWORD)
    user = accounts.authenticate(db, email, PASSWORD)
    assert user is not None
    assert (user.user_id, user.tenant_id, user.display_name) == (
        created.user_id,
        created.tenant_id,
        "Lee Login",
    )


def test_authenticate_ignores_email_case_and_surrounding_spaces(db):
    email = unique_email("MixedCase")
    created = accounts.create_workspace(db, "Case Co", email, "Cas Case", PASSWORD)
    for variant in (email.upper(), email.lower(), f"  {email}  "):
        user = accounts.authenticate(db, variant, PASSWORD)
        assert user is not None and user.user_id == created.user_id, variant


@pytest.mark.parametrize(
    "password", ["wrong password", PASSWORD.upper(), PASSWORD + " ", "", "x" * 200]
)
def test_authenticate_wrong_password_is_none(db, password):
    email = unique_email("wrong")
    accounts.create_workspace(db, "Wrong Co", email, "Will Wrong", PASSWORD)
    assert accounts.authenticate(db, email, password) is None


def test_authenticate_unknown_email_is_none(db):
    assert accounts.authenticate(db, unique_email("nobody"), PASSWORD) is None


@pytest.mark.parametrize(("length", "ok"), [(7, False), (8, True), (128, True), (129, False)])
def test_password_length_rules(db, admin, length, ok):
    password = "p" * length
    email = unique_email("pw")
    if ok:
        accounts.create_workspace(db, "Pw Co", email, "Pat Pw", password)
        assert accounts.authenticate(db, email, password) is not None
    else:
        with pytest.raises(ValueError, match="8-128"):
            accounts.create_workspace(db, "Pw Co", email, "Pat Pw", password)
        assert _users_with_email(admin, email) == []


def test_add_user_joins_the_workspace(db, owner, admin):
    email = unique_email("joiner")
    joined = accounts.add_user(db, owner.tenant_id, email, "Jo Joiner", PASSWORD)
    assert joined.tenant_id == owner.tenant_id
    assert _users_with_email(admin, email)[0]["tenant_id"] == owner.tenant_id
    members = people.list_people(db, owner.actor)
    assert [m.user_id for m in members] == [owner.user_id, joined.user_id]  # by name: Ada, Jo
    with pytest.raises(ValueError):
        accounts.add_user(db, owner.tenant_id, unique_email(), "Short Pw", "short")


def test_duplicate_email_whatever_the_case(db, owner, admin):
    email = unique_email("taken")
    accounts.add_user(db, owner.tenant_id, email, "First Taker", PASSWORD)
    with pytest.raises(DuplicateEmail):
        accounts.add_user(db, owner.tenant_id, email.upper(), "Second Taker", PASSWORD)
    with pytest.raises(DuplicateEmail):
        accounts.create_workspace(db, "Orphan Risk", f" {email} ", "Third Taker", PASSWORD)
    assert len(_users_with_email(admin, email)) == 1
    # The workspace insert was rolled back with the user insert: no empty workspace remains.
    assert _tenants_named(admin, "Orphan Risk") == []


def test_workspaces_named_lists_every_exact_match(db):
    name = f"Findable {unique_email()}"
    first = accounts.create_workspace(db, name, unique_email(), "Fin Find", PASSWORD)
    second = accounts.create_workspace(db, name, unique_email(), "Fin Two", PASSWORD)
    assert accounts.workspaces_named(db, f"  {name} ") == [first.tenant_id, second.tenant_id]
    assert accounts.workspaces_named(db, name[:-1]) == []


# --- CLI ----------------------------------------------------------------------------------


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_user_create_creates_a_workspace_and_joins_one_by_id(runner, app, admin):
    workspace = f"CLI Works {unique_email()}"
    first, second = unique_email("cli-first"), unique_email("cli-second")
    result = runner.invoke(
        args=["user", "create", "--workspace", workspace, "--email", first, "--name", "First"],
        input="first-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created workspace" in result.output
    [tenant] = _tenants_named(admin, workspace)
    result = runner.invoke(
        args=["user", "create", "--workspace-id", str(tenant["id"]), "--email", second,
              "--name", "Second"],
        input="second-password\n",
    )
    assert result.exit_code == 0, result.output
    assert f"joined workspace {tenant['id']}" in result.output
    for email in (first, second):
        assert _users_with_email(admin, email)[0]["tenant_id"] == tenant["id"]
    db = app.extensions["db"]
    assert accounts.authenticate(db, second, "second-password").tenant_id == tenant["id"]


def test_user_create_never_joins_a_squatted_name(runner, app, admin):
    """The attack: someone signs up "Globex Corp" first; the operator's `--workspace "Globex
    Corp"` used to put the real employee into the squatter's workspace."""
    name = f"Globex Corp {unique_email()}"
    squatter = accounts.create_workspace(app.extensions["db"], name, unique_email("squat"),
                                         "Mallory", PASSWORD)
    employee = unique_email("employee")
    result = runner.invoke(
        args=["user", "create", "--workspace", name, "--email", employee, "--name", "Emp"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code != 0
    assert "already exists" in result.output and str(squatter.tenant_id) in result.output
    assert "--workspace-id" in result.output
    assert _users_with_email(admin, employee) == []
    assert len(_tenants_named(admin, name)) == 1


@pytest.mark.parametrize("args", [
    [],  # neither
    ["--workspace", "A", "--workspace-id", "00000000-0000-0000-0000-000000000000"],  # both
    ["--workspace-id", "not-a-uuid"],
])
def test_user_create_needs_exactly_one_workspace_option(runner, admin, args):
    email = unique_email("cli-opt")
    result = runner.invoke(args=["user", "create", *args, "--email", email, "--name", "N"],
                           input=PASSWORD + "\n")
    assert result.exit_code != 0
    assert _users_with_email(admin, email) == []


def test_user_create_refuses_an_unknown_workspace_id(runner, admin):
    email = unique_email("cli-unknown")
    result = runner.invoke(
        args=["user", "create", "--workspace-id", "00000000-0000-4000-8000-000000000000",
              "--email", email, "--name", "N"], input=PASSWORD + "\n")
    assert result.exit_code != 0 and "no workspace" in result.output
    assert _users_with_email(admin, email) == []


def test_user_create_applies_the_form_rules_to_names(runner, admin):
    email = unique_email("cli-bidi")
    result = runner.invoke(
        args=["user", "create", "--workspace", f"Bidi {email}", "--email", email,
              "--name", "Ad\u202emin"], input=PASSWORD + "\n")
    assert result.exit_code != 0 and "invisible" in result.output
    assert _users_with_email(admin, email) == []


@pytest.mark.parametrize(
    ("password", "message"),
    [("short\n", "8 to 128"), ("", "8 to 128")],
    ids=["short", "missing"],
)
def test_user_create_refuses_a_bad_password(runner, admin, password, message):
    email = unique_email("cli-bad")
    workspace = f"Never Made {email}"
    result = runner.invoke(
        args=["user", "create", "--workspace", workspace, "--email", email, "--name", "Bad"],
        input=password,
    )
    assert result.exit_code != 0
    assert message in result.output
    assert _users_with_email(admin, email) == []
    assert _tenants_named(admin, workspace) == []


def test_user_create_refuses_a_duplicate_email(runner, owner, admin):
    email = unique_email("cli-dup")
    base_args = ["user", "create", "--workspace", "Dup Space", "--email", email]
    assert runner.invoke(args=[*base_args, "--name", "A"], input=PASSWORD).exit_code == 0
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--workspace",
            "Other Dup Space",
            "--email",
            email.upper(),
            "--name",
            "B",
        ],
        input=PASSWORD,
    )
    assert result.exit_code != 0
    assert "cannot be used for a new account" in result.output
    assert len(_users_with_email(admin, email)) == 1
    assert _tenants_named(admin, "Other Dup Space") == []


def test_db_upgrade_is_idempotent(runner, admin):
    landed = admin.execute("SELECT name, applied_at FROM schema_migrations ORDER BY name")
    landed = landed.fetchall()
    assert [r["name"] for r in landed] == sorted(
        p.name for p in migrate.MIGRATIONS_DIR.glob("*.sql")
    )
    for _ in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "applied 0 migration(s)" in result.output
    again = admin.execute("SELECT name, applied_at FROM schema_migrations ORDER BY name")
    assert again.fetchall() == landed


def test_demo_seeds_eight_artifacts_once(runner, app, admin):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert f"Seeded the demo workspace with {len(demo.DEMO_ARTIFACTS)} artifacts" in result.output
    assert demo.DEMO_EMAIL in result.output

    user = accounts.authenticate(app.extensions["db"], demo.DEMO_EMAIL, demo.DEMO_PASSWORD)
    assert user is not None

    def demo_count() -> int:
        return admin.execute(
            "SELECT count(*) AS n FROM work_artifacts WHERE user_id = %s", (user.user_id,)
        ).fetchone()["n"]

    assert demo_count() == 8
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "already exists" in result.output
    assert demo_count() == 8


def test_demo_first_start_never_seeds_an_external_database(runner, admin):
    result = runner.invoke(args=["demo", "--first-start"])
    assert result.exit_code == 0, result.output
    assert "not seeded" in result.output
