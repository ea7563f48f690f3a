"""The schema as the catalog records it: forced row-level security, its policies, the runtime
role's privileges, the login function, and the exact shape of `work_artifacts` (SPEC §3)."""

from __future__ import annotations

import pytest

TENANT_TABLES = ("tenants", "users", "invites", "work_artifacts", "shares", "share_artifacts",
                 "pending_imports", "deleted_artifacts")

# Permissive policies each tenant table must carry (besides the restrictive tenant_isolation).
PERMISSIVE = {
    "tenants": {"tenants_read", "tenants_create"},
    "users": {"users_read", "users_create", "users_update_self"},
    "invites": {"invites_own"},
    "work_artifacts": {
        "artifacts_read",
        "artifacts_insert",
        "artifacts_update",
        "artifacts_delete",
    },
    "shares": {"shares_own", "shares_viewer_read"},
    "share_artifacts": {"share_artifacts_own", "share_artifacts_viewer_read"},
    "pending_imports": {"pending_imports_own"},
    # Deleted artifacts (undo, migration 0032): only their owner reads, restores or purges.
    "deleted_artifacts": {"deleted_own"},
}
# Besides tenant_isolation, the tables whose permissive policies are not keyed on the user
# carry a restrictive `share_viewer` policy (migration 0040), which narrows a share viewer
# context to what the share shows and passes at once everywhere else.
SHARE_VIEWER = frozenset({"tenants", "users", "work_artifacts"})

# SPEC §3: the 14 columns with their types, nullability and defaults, in table order.
ARTIFACT_COLUMNS = [
    ("id", "uuid", "NO", "gen_random_uuid()"),
    ("tenant_id", "uuid", "NO", None),
    ("user_id", "uuid", "NO", None),
    ("title", "text", "NO", None),
    ("description", "text", "NO", "''::text"),
    ("artifact_type", "text", "NO", "'other'::text"),
    ("artifact_date", "date", "YES", None),
    ("source_url", "text", "YES", None),
    ("visibility", "text", "NO", "'private'::text"),
    ("estimated_hours_saved", "double precision", "YES", None),
    ("suggested_skill_ids", "text[]", "NO", "'{}'::text[]"),
    ("version", "integer", "NO", "1"),
    ("created_at", "timestamp with time zone", "NO", "now()"),
    ("updated_at", "timestamp with time zone", "NO", "now()"),
]
# Later capabilities add columns after them (SPEC §3): the date's precision (§10) and the
# search vector generated from the title and description (§10).
ADDED_COLUMNS = [
    ("artifact_date_precision", "text", "NO", "'day'::text"),
    ("search_vector", "tsvector", "YES", None),
]


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_row_level_security_enabled_and_forced(admin, table):
    row = admin.execute(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass",
        (f"public.{table}",),
    ).fetchone()
    assert row == {"relrowsecurity": True, "relforcerowsecurity": True}


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_restrictive_tenant_policy_and_permissive_policies(admin, table):
    rows = admin.execute(
        "SELECT policyname, permissive, roles, cmd, qual, with_check FROM pg_policies"
        " WHERE schemaname = 'public' AND tablename = %s",
        (table,),
    ).fetchall()
    policies = {r["policyname"]: r for r in rows}

    isolation = policies.get("tenant_isolation")
    assert isolation is not None, f"{table} has no tenant_isolation policy"
    assert isolation["permissive"] == "RESTRICTIVE"
    assert isolation["cmd"] == "ALL"
    assert isolation["roles"] == ["portfolio_app"]
    column = "id" if table == "tenants" else "tenant_id"
    for expression in (isolation["qual"], isolation["with_check"]):
        assert expression.replace("(", "").replace(")", "") == f"{column} = app_current_tenant"

    # The restrictive policies are the tenant one and, where needed, the share viewer's; the
    # named permissive ones grant access.
    restrictive = {n for n, r in policies.items() if r["permissive"] == "RESTRICTIVE"}
    assert restrictive == ({"tenant_isolation", "share_viewer"} if table in SHARE_VIEWER
                           else {"tenant_isolation"})
    if table in SHARE_VIEWER:
        viewer = policies["share_viewer"]
        assert viewer["roles"] == ["portfolio_app"]
        expression = viewer["qual"] or viewer["with_check"]
        assert expression.startswith(("(( SELECT app_current_share() AS app_current_share)"
                                      " IS NULL)", "((( SELECT app_current_share()")), expression
    app_permissive = {
        n
        for n, r in policies.items()
        if r["permissive"] == "PERMISSIVE" and "portfolio_app" in r["roles"]
    }
    assert app_permissive == PERMISSIVE[table]


def test_artifact_write_policies_bind_rows_to_the_current_user(admin):
    rows = admin.execute(
        "SELECT policyname, cmd, qual, with_check FROM pg_policies"
        " WHERE tablename = 'work_artifacts' AND permissive = 'PERMISSIVE'"
    ).fetchall()
    by_name = {r["policyname"]: r for r in rows}
    assert by_name["artifacts_insert"]["cmd"] == "INSERT"
    assert "app_current_user()" in by_name["artifacts_insert"]["with_check"]
    assert by_name["artifacts_update"]["cmd"] == "UPDATE"
    assert "app_current_user()" in by_name["artifacts_update"]["qual"]
    assert "app_current_user()" in by_name["artifacts_update"]["with_check"]
    assert by_name["artifacts_delete"]["cmd"] == "DELETE"
    assert "app_current_user()" in by_name["artifacts_delete"]["qual"]
    assert "'team'" in by_name["artifacts_read"]["qual"]


def test_runtime_role_is_unprivileged(admin):
    role = admin.execute(
        "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole"
        " FROM pg_roles WHERE rolname = 'portfolio_app'"
    ).fetchone()
    assert role == {
        "rolcanlogin": False,
        "rolsuper": False,
        "rolbypassrls": False,
        "rolcreatedb": False,
        "rolcreaterole": False,
    }


@pytest.mark.parametrize(
    ("catalog", "owner_column"),
    [
        ("pg_class", "relowner"),
        ("pg_proc", "proowner"),
        ("pg_namespace", "nspowner"),
        ("pg_type", "typowner"),
    ],
)
def test_runtime_role_owns_nothing(admin, catalog, owner_column):
    owned = admin.execute(
        f"SELECT count(*) AS n FROM {catalog}"  # noqa: S608 - names from the parametrize list
        f" WHERE {owner_column} = 'portfolio_app'::regrole"
    ).fetchone()
    assert owned["n"] == 0


def test_login_lookup_is_a_narrow_security_definer(admin):
    fn = admin.execute(
        "SELECT p.prosecdef, p.proconfig, p.proacl IS NULL AS default_acl,"
        " pg_get_userbyid(p.proowner) AS owner,"
        " has_function_privilege('portfolio_app', p.oid, 'EXECUTE') AS app_can_execute,"
        " EXISTS (SELECT 1 FROM aclexplode(p.proacl) a"
        "         WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE') AS public_can_execute"
        " FROM pg_proc p WHERE p.oid = 'public.login_lookup(text)'::regprocedure"
    ).fetchone()
    assert fn["prosecdef"] is True
    assert fn["proconfig"] == ["search_path=pg_catalog, pg_temp"]
    # A NULL ACL means the default, which lets PUBLIC execute.
    assert fn["default_acl"] is False
    assert fn["public_can_execute"] is False
    assert fn["app_can_execute"] is True
    # Owned by the narrow role, not by a superuser that would bypass row-level security.
    owner = admin.execute(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (fn["owner"],)
    ).fetchone()
    assert owner == {"rolsuper": False, "rolbypassrls": False}


def test_login_lookup_returns_only_what_login_needs(admin):
    columns = admin.execute(
        "SELECT pg_get_function_result('public.login_lookup(text)'::regprocedure) AS r"
    ).fetchone()["r"]
    assert columns == ("TABLE(user_id uuid, tenant_id uuid, display_name text, password_hash text)")


def test_runtime_role_cannot_read_password_hashes(admin):
    row = admin.execute(
        "SELECT has_column_privilege('portfolio_app', 'public.users', 'password_hash', 'SELECT')"
        " AS can_read"
    ).fetchone()
    assert row["can_read"] is False


def test_work_artifacts_keeps_the_fourteen_spec_columns_first(admin):
    rows = admin.execute(
        "SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,"
        " CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END AS nullable,"
        " pg_get_expr(d.adbin, d.adrelid) AS default"
        " FROM pg_attribute a LEFT JOIN pg_attrdef d"
        "   ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE a.attrelid = 'public.work_artifacts'::regclass"
        "   AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
    ).fetchall()
    columns = [(r["name"], r["type"], r["nullable"], r["default"]) for r in rows]
    assert columns[:14] == ARTIFACT_COLUMNS
    # The generated column has no default but a generation expression.
    assert [(n, t, nullable) for n, t, nullable, _ in columns[14:]] == \
        [(n, t, nullable) for n, t, nullable, _ in ADDED_COLUMNS]
    assert columns[14][3] == ADDED_COLUMNS[0][3]


def test_deleted_artifacts_has_every_artifact_column_and_when(admin):
    """A delete copies the row whole, so a restore gives it back with nothing lost."""
    def columns(table):
        return admin.execute(
            "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (table,),
        ).fetchall()

    live = [c for c in columns("public.work_artifacts") if c["attname"] != "search_vector"]
    trash = columns("public.deleted_artifacts")
    assert sorted(map(tuple, (c.values() for c in trash))) == sorted(
        [*map(tuple, (c.values() for c in live)), ("deleted_at", "timestamp with time zone"),
         ("share_ids", "uuid[]")])


def _constraint_columns(admin, contype: str, *, referenced: str | None = None) -> list[dict]:
    return admin.execute(
        "SELECT c.conname,"
        " ARRAY(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)"
        "       JOIN pg_attribute ON attrelid = c.conrelid AND attnum = k.n ORDER BY k.i)"
        "   AS columns,"
        " ARRAY(SELECT attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)"
        "       JOIN pg_attribute ON attrelid = c.confrelid AND attnum = k.n ORDER BY k.i)"
        "   AS referenced_columns,"
        " c.confdeltype"
        " FROM pg_constraint c"
        " WHERE c.conrelid = 'public.work_artifacts'::regclass AND c.contype = %s"
        "   AND (%s::text IS NULL OR c.confrelid = %s::regclass)",
        (contype, referenced, referenced),
    ).fetchall()


def test_work_artifacts_primary_key_carries_the_tenant(admin):
    [pk] = _constraint_columns(admin, "p")
    assert pk["columns"] == ["tenant_id", "id"]


def test_work_artifacts_owner_is_a_member_of_the_workspace(admin):
    [fk] = _constraint_columns(admin, "f", referenced="public.users")
    assert fk["columns"] == ["tenant_id", "user_id"]
    assert fk["referenced_columns"] == ["tenant_id", "id"]
    assert fk["confdeltype"] == "c"  # ON DELETE CASCADE


def test_work_artifacts_indexes_are_tenant_first_but_search(admin):
    rows = admin.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid, 1, true) AS first_key"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = 'public.work_artifacts'::regclass AND NOT i.indisprimary"
    ).fetchall()
    by_name = {r["relname"]: r["first_key"] for r in rows}
    # The search vector's GIN index cannot lead with the tenant without btree_gin, which the
    # embedded server lacks; under row-level security the app's searches go through the
    # tenant-first page index instead (migration 0031, docs/PERFORMANCE.md).
    assert by_name.pop("work_artifacts_search_idx") == "search_vector"
    assert len(by_name) == 3, rows
    for row in (r for r in rows if r["relname"] in by_name):
        first = row["first_key"]
        # A plain tenant column, or a GIN expression whose keys are prefixed by the tenant.
        assert first == "tenant_id" or first.startswith("artifact_skill_keys(tenant_id,"), row


def test_every_table_with_a_tenant_column_is_isolated(admin):
    """Any tenant table, including ones added later, has RLS forced and a restrictive policy."""
    rows = admin.execute(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
        " EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'public'"
        "         AND p.tablename = c.relname AND p.policyname = 'tenant_isolation'"
        "         AND p.permissive = 'RESTRICTIVE') AS isolated"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
        "   AND (c.relname = 'tenants' OR EXISTS (SELECT 1 FROM pg_attribute a"
        "        WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))"
    ).fetchall()
    assert set(TENANT_TABLES) <= {r["relname"] for r in rows}
    for row in rows:
        assert row["relrowsecurity"] and row["relforcerowsecurity"] and row["isolated"], row


def test_every_security_definer_function_is_narrow(admin):
    """login_lookup and any later definer function: fixed search_path, not PUBLIC, no
    superuser owner (which would bypass row-level security)."""
    rows = admin.execute(
        "SELECT p.oid::regprocedure::text AS name, p.proconfig, r.rolsuper, r.rolbypassrls,"
        " p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a"
        "   WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE') AS public_can_execute"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " JOIN pg_roles r ON r.oid = p.proowner"
        " WHERE n.nspname = 'public' AND p.prosecdef"
    ).fetchall()
    assert "login_lookup(text)" in {r["name"] for r in rows}
    for row in rows:
        assert any(c.startswith("search_path=") for c in row["proconfig"] or []), row
        assert row["public_can_execute"] is False, row
        assert not row["rolsuper"] and not row["rolbypassrls"], row
