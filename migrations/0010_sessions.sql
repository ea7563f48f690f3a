-- Server-side sessions (SPEC §7). The browser holds a random token; only its SHA-256 is
-- stored, so a leaked table yields no usable cookie. A session lives at most 30 days from its
-- start and 7 days from its last use; deleting the row (logout, "log out other sessions", a
-- password change, the user's removal through the cascade) ends it on the next request.
CREATE TABLE sessions (
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL,
  user_id     uuid NOT NULL,
  token_hash  text NOT NULL CONSTRAINT sessions_token_hash_key UNIQUE
                CONSTRAINT sessions_token_hash_shape CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  user_agent  text NOT NULL DEFAULT ''
                CONSTRAINT sessions_user_agent_length CHECK (char_length(user_agent) <= 512),
  created_at  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
-- A user's sessions, most recently used first (the account page).
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id, last_seen DESC);

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions AS RESTRICTIVE FOR ALL TO portfolio_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
-- A user sees, starts and ends only their own sessions.
CREATE POLICY sessions_own ON sessions FOR ALL TO portfolio_app
  USING (user_id = app_current_user()) WITH CHECK (user_id = app_current_user());
-- Never the token hash: a session is found by its hash only through session_resume().
GRANT SELECT (id, tenant_id, user_id, user_agent, created_at, last_seen) ON sessions
  TO portfolio_app;
GRANT INSERT (tenant_id, user_id, token_hash, user_agent) ON sessions TO portfolio_app;
GRANT DELETE ON sessions TO portfolio_app;

-- portfolio_auth, the owner of the narrow definer functions, finds a session by its hash,
-- bumps its last use and deletes it by its hash (logout, rotation at login); nothing else.
GRANT SELECT (id, tenant_id, user_id, token_hash, created_at, last_seen) ON sessions
  TO portfolio_auth;
GRANT UPDATE (last_seen) ON sessions TO portfolio_auth;
GRANT DELETE ON sessions TO portfolio_auth;
CREATE POLICY sessions_resume_read ON sessions FOR SELECT TO portfolio_auth USING (true);
CREATE POLICY sessions_resume_touch ON sessions FOR UPDATE TO portfolio_auth
  USING (true) WITH CHECK (true);
CREATE POLICY sessions_resume_end ON sessions FOR DELETE TO portfolio_auth USING (true);

-- The session whose token has this hash, if it is still alive: its id, workspace, user and
-- the user's display name; no row for an unknown, ended or expired one (idle 7 days,
-- absolute 30 days). Its last use is bumped at most once a minute, skipping a row another
-- transaction is bumping right now rather than waiting for it. The caller enters the
-- workspace from this answer (workhistory/data/db.py), never from what the browser sent.
CREATE FUNCTION session_resume(p_token_hash text)
  RETURNS TABLE (session_id uuid, tenant_id uuid, user_id uuid, display_name text)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  s record;
BEGIN
  SELECT x.id, x.tenant_id, x.user_id, x.last_seen INTO s
    FROM public.sessions x
   WHERE x.token_hash = p_token_hash
     AND x.last_seen > now() - interval '7 days'
     AND x.created_at > now() - interval '30 days';
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF s.last_seen < now() - interval '1 minute' THEN
    UPDATE public.sessions x SET last_seen = now()
     WHERE (x.tenant_id, x.id) IN (
       SELECT y.tenant_id, y.id FROM public.sessions y
        WHERE y.tenant_id = s.tenant_id AND y.id = s.id
          AND y.last_seen < now() - interval '1 minute'
          FOR UPDATE SKIP LOCKED);
  END IF;
  RETURN QUERY
    SELECT s.id, s.tenant_id, s.user_id, u.display_name
      FROM public.users u
     WHERE u.tenant_id = s.tenant_id AND u.id = s.user_id;
END
$$;
ALTER FUNCTION session_resume(text) OWNER TO portfolio_auth;
REVOKE ALL ON FUNCTION session_resume(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION session_resume(text) TO portfolio_app;

-- End the session whose token has this hash, whoever's it is: knowing the token is the
-- authority (logout, and the rotation at login that ends the browser's previous session).
-- Expired sessions of the same user go with it. Returns whether a live session ended.
CREATE FUNCTION session_end(p_token_hash text) RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    WITH ended AS (
      DELETE FROM public.sessions WHERE token_hash = p_token_hash
      RETURNING tenant_id, user_id, last_seen, created_at
    ), expired AS (
      DELETE FROM public.sessions x USING ended e
       WHERE x.tenant_id = e.tenant_id AND x.user_id = e.user_id
         AND x.token_hash <> p_token_hash
         AND (x.last_seen <= now() - interval '7 days'
              OR x.created_at <= now() - interval '30 days')
    )
    SELECT EXISTS (SELECT 1 FROM ended
                    WHERE last_seen > now() - interval '7 days'
                      AND created_at > now() - interval '30 days')
  $$;
ALTER FUNCTION session_end(text) OWNER TO portfolio_auth;
REVOKE ALL ON FUNCTION session_end(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION session_end(text) TO portfolio_app;
