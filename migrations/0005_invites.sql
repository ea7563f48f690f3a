-- Joining by invite. The person who follows an invite link has no tenant yet, so finding the
-- invite by its token hash needs the same kind of narrow path as login: SECURITY DEFINER
-- functions owned by portfolio_auth, a fixed search_path, executable by portfolio_app alone.
--
-- Redeeming is one transaction in the app (invites.redeem):
--   1. invite_lookup(hash)  -> the workspace of an open (unused, unexpired) invite;
--   2. the app enters that workspace as the new user and inserts the user row itself,
--      under the ordinary users_create policy;
--   3. invite_claim(hash)   -> marks the invite used by that user, only if it is still open.
-- Step 3 is a single UPDATE ... WHERE used_by IS NULL: of two concurrent redemptions the
-- second waits on the row lock, re-checks the condition after the first commits, claims
-- nothing, and the app rolls its whole transaction (the new user included) back.

-- portfolio_auth may read only what finding an invite needs and write only the two columns
-- that mark it used. Its policies never reach portfolio_app (the tenant policies still do).
GRANT SELECT (id, tenant_id, token_hash, expires_at, used_by) ON invites TO portfolio_auth;
GRANT UPDATE (used_by, used_at) ON invites TO portfolio_auth;
CREATE POLICY invites_redeem_read ON invites FOR SELECT TO portfolio_auth USING (true);
-- Even the definer can only turn an open invite into one used by the current user of the
-- workspace the transaction has entered: never reopen, reassign or move an invite.
CREATE POLICY invites_redeem_claim ON invites FOR UPDATE TO portfolio_auth
  USING (used_by IS NULL AND expires_at > now())
  WITH CHECK (used_by = public.app_current_user() AND tenant_id = public.app_current_tenant());

-- The workspace an open invite joins (id and name, for the join page), or no row at all for
-- a used, expired or unknown token hash. Nothing else about the invite or its creator leaves.
CREATE FUNCTION invite_lookup(p_token_hash text)
  RETURNS TABLE (tenant_id uuid, workspace_name text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT i.tenant_id, t.name
      FROM public.invites i JOIN public.tenants t ON t.id = i.tenant_id
     WHERE i.token_hash = p_token_hash AND i.used_by IS NULL AND i.expires_at > now()
  $$;
ALTER FUNCTION invite_lookup(text) OWNER TO portfolio_auth;
REVOKE ALL ON FUNCTION invite_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION invite_lookup(text) TO portfolio_app;

-- Mark the open invite with this token hash, in the current workspace, as used by the current
-- user (app.user_id: the user row the caller has just inserted). Returns the invite id, or
-- NULL when it was used (or revoked, or expired) meanwhile: the caller must then roll back.
CREATE FUNCTION invite_claim(p_token_hash text) RETURNS uuid
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    UPDATE public.invites
       SET used_by = public.app_current_user(), used_at = now()
     WHERE token_hash = p_token_hash
       AND tenant_id = public.app_current_tenant()
       AND used_by IS NULL
       AND expires_at > now()
    RETURNING id
  $$;
ALTER FUNCTION invite_claim(text) OWNER TO portfolio_auth;
REVOKE ALL ON FUNCTION invite_claim(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION invite_claim(text) TO portfolio_app;
