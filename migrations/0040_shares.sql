-- Share links (SPEC §12). The owner gets a token once; only its SHA-256 is stored. Anyone with
-- the link reads a résumé of exactly the shared artifacts: all of the owner's `team` artifacts
-- (scope 'team'), or a chosen set of them (scope 'chosen', rows in share_artifacts).
--
-- How a share is read: the public page resolves the token through share_open() (the one
-- SECURITY DEFINER path, like session_resume() of 0010) and then reads as a *share viewer*:
-- `portfolio_app` with app.tenant_id = the share's workspace (from share_open's answer, never
-- from the request), app.user_id EMPTY and app.share_id = the share. So:
--   * the restrictive tenant policies still confine everything to that one workspace;
--   * every owner and write policy compares user_id with an empty user: nothing is writable;
--   * the policies that are not keyed on the user (a workspace's team artifacts, its members,
--     creating a workspace) are narrowed by the RESTRICTIVE `share_viewer` policies below:
--     only the share's artifacts, no user row at all (so no email), no new workspace.
-- Outside a share viewer context (app.share_id empty) those restrictive policies pass at once:
-- `(SELECT app_current_share()) IS NULL` is an init plan, evaluated once per statement.

CREATE FUNCTION app_current_share() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.share_id', true), '')::uuid $$;

CREATE TABLE shares (
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id        uuid NOT NULL,
  label          text NOT NULL
                   CONSTRAINT shares_label_length CHECK (char_length(btrim(label)) BETWEEN 1 AND 100)
                   CONSTRAINT shares_label_visible
                     CHECK (NOT text_has_hidden(label) AND text_has_visible(label)),
  scope          text NOT NULL CONSTRAINT shares_scope_known CHECK (scope IN ('team', 'chosen')),
  token_hash     text NOT NULL CONSTRAINT shares_token_hash_key UNIQUE
                   CONSTRAINT shares_token_hash_shape CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  expires_at     timestamptz,  -- NULL: never expires
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  last_opened_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT shares_expiry_after_creation CHECK (expires_at > created_at)
);
-- The owner's links, newest first (the /shares page, the open-link count).
CREATE INDEX shares_owner_idx ON shares (tenant_id, user_id, created_at DESC);

-- The artifacts of a 'chosen' share. Deleting an artifact (or the share) removes its rows
-- here at once (ON DELETE CASCADE); making an artifact private hides it from every share,
-- because a share only ever shows `team` artifacts (the policy and the queries say so).
CREATE TABLE share_artifacts (
  tenant_id   uuid NOT NULL,
  share_id    uuid NOT NULL,
  artifact_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, share_id, artifact_id),
  FOREIGN KEY (tenant_id, share_id) REFERENCES shares (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, artifact_id) REFERENCES work_artifacts (tenant_id, id)
    ON DELETE CASCADE
);
-- The cascade from work_artifacts looks rows up by artifact.
CREATE INDEX share_artifacts_artifact_idx ON share_artifacts (tenant_id, artifact_id);

-- shares ----------------------------------------------------------------------------------
ALTER TABLE shares ENABLE ROW LEVEL SECURITY;
ALTER TABLE shares FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON shares AS RESTRICTIVE FOR ALL TO portfolio_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
-- The owner creates, lists and revokes their own links.
CREATE POLICY shares_own ON shares FOR ALL TO portfolio_app
  USING (user_id = app_current_user()) WITH CHECK (user_id = app_current_user());
-- A share viewer reads the one share it opened (its scope), nothing else.
CREATE POLICY shares_viewer_read ON shares FOR SELECT TO portfolio_app
  USING (id = app_current_share());
-- Never the token hash: a share is found by its hash only through share_open().
GRANT SELECT (id, tenant_id, user_id, label, scope, expires_at, created_at, revoked_at,
              last_opened_at) ON shares TO portfolio_app;
GRANT INSERT (tenant_id, user_id, label, scope, token_hash, expires_at) ON shares
  TO portfolio_app;
GRANT UPDATE (revoked_at) ON shares TO portfolio_app;

-- share_artifacts -------------------------------------------------------------------------
ALTER TABLE share_artifacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE share_artifacts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON share_artifacts AS RESTRICTIVE FOR ALL TO portfolio_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
-- Rows of the owner's own shares (the policies of `shares` decide which those are).
CREATE POLICY share_artifacts_own ON share_artifacts FOR ALL TO portfolio_app
  USING (EXISTS (SELECT 1 FROM shares s WHERE s.tenant_id = share_artifacts.tenant_id
                 AND s.id = share_artifacts.share_id AND s.user_id = app_current_user()))
  WITH CHECK (EXISTS (SELECT 1 FROM shares s WHERE s.tenant_id = share_artifacts.tenant_id
                      AND s.id = share_artifacts.share_id AND s.user_id = app_current_user()));
CREATE POLICY share_artifacts_viewer_read ON share_artifacts FOR SELECT TO portfolio_app
  USING (share_id = app_current_share());
GRANT SELECT, INSERT ON share_artifacts TO portfolio_app;

-- The share viewer, on the tables whose policies are not keyed on the user ------------------
-- Exactly the artifacts of the open share: the owner's, still `team`, of a live share, and
-- for a 'chosen' share only those it lists. For everyone else the policy passes at once.
CREATE POLICY share_viewer ON work_artifacts AS RESTRICTIVE FOR ALL TO portfolio_app
  USING ((SELECT app_current_share()) IS NULL OR (
    visibility = 'team'
    AND EXISTS (
      SELECT 1 FROM shares s
       WHERE s.tenant_id = work_artifacts.tenant_id AND s.id = app_current_share()
         AND s.user_id = work_artifacts.user_id
         AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())
         AND (s.scope = 'team' OR EXISTS (
               SELECT 1 FROM share_artifacts sa
                WHERE sa.tenant_id = s.tenant_id AND sa.share_id = s.id
                  AND sa.artifact_id = work_artifacts.id)))));
-- No user row at all: the owner's name comes from share_open(), and a visible row would show
-- its email (portfolio_app may read that column for the people page).
CREATE POLICY share_viewer ON users AS RESTRICTIVE FOR ALL TO portfolio_app
  USING ((SELECT app_current_share()) IS NULL);
-- tenants_create admits any new workspace; a share viewer creates none.
CREATE POLICY share_viewer ON tenants AS RESTRICTIVE FOR INSERT TO portfolio_app
  WITH CHECK ((SELECT app_current_share()) IS NULL);

-- share_open ------------------------------------------------------------------------------
-- portfolio_auth, the owner of the narrow definer functions, finds a share by its hash and
-- notes when it was opened; nothing else.
GRANT SELECT (id, tenant_id, user_id, token_hash, expires_at, revoked_at, last_opened_at)
  ON shares TO portfolio_auth;
GRANT UPDATE (last_opened_at) ON shares TO portfolio_auth;
CREATE POLICY shares_open_read ON shares FOR SELECT TO portfolio_auth USING (true);
CREATE POLICY shares_open_touch ON shares FOR UPDATE TO portfolio_auth
  USING (true) WITH CHECK (true);

-- The live share (not revoked, not expired) whose token has this hash: its id, workspace and
-- owner, with the owner's display name and the workspace's name for the page; no row for a
-- revoked, expired or unknown one. Its last opening is noted, at most once a minute (so a
-- link opened by many at once writes its row about once a minute, not once per view). The
-- caller enters the share viewer context from this answer (workhistory/data/db.py).
CREATE FUNCTION share_open(p_token_hash text)
  RETURNS TABLE (share_id uuid, tenant_id uuid, user_id uuid, owner_name text,
                 workspace_name text)
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    WITH live AS (
      SELECT x.id, x.tenant_id, x.user_id FROM public.shares x
       WHERE x.token_hash = p_token_hash AND x.revoked_at IS NULL
         AND (x.expires_at IS NULL OR x.expires_at > now())
    ), noted AS (
      UPDATE public.shares y SET last_opened_at = now() FROM live
       WHERE y.tenant_id = live.tenant_id AND y.id = live.id
         AND (y.last_opened_at IS NULL OR y.last_opened_at < now() - interval '1 minute')
    )
    SELECT live.id, live.tenant_id, live.user_id, u.display_name, t.name
      FROM live JOIN public.users u ON u.tenant_id = live.tenant_id AND u.id = live.user_id
      JOIN public.tenants t ON t.id = live.tenant_id
  $$;
ALTER FUNCTION share_open(text) OWNER TO portfolio_auth;
REVOKE ALL ON FUNCTION share_open(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION share_open(text) TO portfolio_app;
