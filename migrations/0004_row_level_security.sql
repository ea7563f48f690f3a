-- Row-level security, forced (the table owner is subject to it too), with one RESTRICTIVE
-- tenant-isolation policy per table (ANDed with everything) and PERMISSIVE policies that
-- grant the runtime role what it may do. With app.tenant_id / app.user_id unset, the
-- restrictive policy compares with NULL: no row is visible and no row can be written.

-- tenants ---------------------------------------------------------------------------------
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants AS RESTRICTIVE FOR ALL TO portfolio_app
  USING (id = app_current_tenant()) WITH CHECK (id = app_current_tenant());
CREATE POLICY tenants_read ON tenants FOR SELECT TO portfolio_app USING (true);
-- Sign-up inserts its new workspace after setting app.tenant_id to the new id.
CREATE POLICY tenants_create ON tenants FOR INSERT TO portfolio_app WITH CHECK (true);
GRANT SELECT, INSERT ON tenants TO portfolio_app;

-- users -----------------------------------------------------------------------------------
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users AS RESTRICTIVE FOR ALL TO portfolio_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
-- Members of a workspace see each other (the people page).
CREATE POLICY users_read ON users FOR SELECT TO portfolio_app USING (true);
-- A user row is only ever created by its own sign-up, which sets app.user_id to the new id.
CREATE POLICY users_create ON users FOR INSERT TO portfolio_app
  WITH CHECK (id = app_current_user());
CREATE POLICY users_update_self ON users FOR UPDATE TO portfolio_app
  USING (id = app_current_user()) WITH CHECK (id = app_current_user());
-- The runtime role never reads password hashes: login reads them through login_lookup().
GRANT SELECT (id, tenant_id, email, display_name, created_at) ON users TO portfolio_app;
GRANT INSERT (id, tenant_id, email, display_name, password_hash) ON users TO portfolio_app;
GRANT UPDATE (display_name, password_hash) ON users TO portfolio_app;

-- invites ---------------------------------------------------------------------------------
ALTER TABLE invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE invites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invites AS RESTRICTIVE FOR ALL TO portfolio_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY invites_own ON invites FOR ALL TO portfolio_app
  USING (created_by = app_current_user()) WITH CHECK (created_by = app_current_user());
GRANT SELECT, INSERT, DELETE ON invites TO portfolio_app;

-- work_artifacts --------------------------------------------------------------------------
ALTER TABLE work_artifacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE work_artifacts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON work_artifacts AS RESTRICTIVE FOR ALL TO portfolio_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
-- Read: your own artifacts, and your colleagues' team artifacts.
CREATE POLICY artifacts_read ON work_artifacts FOR SELECT TO portfolio_app
  USING (user_id = app_current_user() OR visibility = 'team');
-- Write: only your own, and only as yourself.
CREATE POLICY artifacts_insert ON work_artifacts FOR INSERT TO portfolio_app
  WITH CHECK (user_id = app_current_user());
CREATE POLICY artifacts_update ON work_artifacts FOR UPDATE TO portfolio_app
  USING (user_id = app_current_user()) WITH CHECK (user_id = app_current_user());
CREATE POLICY artifacts_delete ON work_artifacts FOR DELETE TO portfolio_app
  USING (user_id = app_current_user());
GRANT SELECT, DELETE ON work_artifacts TO portfolio_app;
GRANT INSERT (id, tenant_id, user_id, title, description, artifact_type, artifact_date,
              source_url, visibility, estimated_hours_saved, suggested_skill_ids)
  ON work_artifacts TO portfolio_app;
-- Identity columns (id, tenant, owner) and the bookkeeping ones are not updatable at all.
GRANT UPDATE (title, description, artifact_type, artifact_date, source_url, visibility,
              estimated_hours_saved, suggested_skill_ids)
  ON work_artifacts TO portfolio_app;

-- login -----------------------------------------------------------------------------------
-- Login must find a user by email before any tenant is known. This is the one narrow path:
-- owned by portfolio_auth (which may read only these columns, through its own policy),
-- a fixed search_path, and executable by portfolio_app alone.
GRANT USAGE ON SCHEMA public TO portfolio_auth;
GRANT SELECT (id, tenant_id, email, display_name, password_hash) ON users TO portfolio_auth;
CREATE POLICY users_login_lookup ON users FOR SELECT TO portfolio_auth USING (true);

CREATE FUNCTION login_lookup(p_email text)
  RETURNS TABLE (user_id uuid, tenant_id uuid, display_name text, password_hash text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT u.id, u.tenant_id, u.display_name, u.password_hash
      FROM public.users u
     WHERE lower(u.email) = lower(p_email)
  $$;
ALTER FUNCTION login_lookup(text) OWNER TO portfolio_auth;
REVOKE ALL ON FUNCTION login_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION login_lookup(text) TO portfolio_app;

-- Operator look-up for `flask user create --workspace NAME`: the id of the oldest workspace
-- with exactly that name, or NULL. Returns an id only, never lists anything.
GRANT SELECT (id, name, created_at) ON tenants TO portfolio_auth;
CREATE POLICY tenants_lookup ON tenants FOR SELECT TO portfolio_auth USING (true);

CREATE FUNCTION workspace_lookup(p_name text) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT t.id FROM public.tenants t WHERE t.name = btrim(p_name) ORDER BY t.created_at LIMIT 1
  $$;
ALTER FUNCTION workspace_lookup(text) OWNER TO portfolio_auth;
REVOKE ALL ON FUNCTION workspace_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION workspace_lookup(text) TO portfolio_app;
