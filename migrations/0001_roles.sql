-- Runtime roles. Roles are cluster-wide, so creating them must tolerate a role that another
-- database on the same server (or a concurrent runner) already created.
--   portfolio_app  : every runtime query runs as this role, entered per transaction with
--                    set_config('role', ...). Not a superuser, no BYPASSRLS, owns nothing.
--   portfolio_auth : owns only the SECURITY DEFINER login lookup; can read the few user
--                    columns login needs, through its own policy, and nothing else.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['portfolio_app', 'portfolio_auth'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format(
          'CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;  -- created meanwhile by another runner
      END;
    END IF;
    -- A non-superuser login role (a managed PostgreSQL) must be a member to enter the role.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
      EXECUTE format('GRANT %I TO %I', r, current_user);
    END IF;
  END LOOP;
END
$$;

-- The settings row-level security reads. STABLE (never IMMUTABLE: a cached plan would then
-- serve one tenant's rows to another); NULLIF because an ended transaction leaves '' behind.
CREATE FUNCTION app_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION app_current_user() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;

GRANT USAGE ON SCHEMA public TO portfolio_app;
