-- Operator look-up for `flask user create --workspace NAME` (SPEC §2): every workspace with
-- exactly that name, oldest first, so the CLI can refuse to create a second one and print the
-- ids to join by instead. Anyone can sign up a workspace under any name, so the CLI never
-- joins by name (it joins by --workspace-id); workspace_lookup() of 0004 is no longer used.
CREATE FUNCTION workspace_ids(p_name text) RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT t.id FROM public.tenants t WHERE t.name = btrim(p_name) ORDER BY t.created_at, t.id
  $$;
ALTER FUNCTION workspace_ids(text) OWNER TO portfolio_auth;
REVOKE ALL ON FUNCTION workspace_ids(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION workspace_ids(text) TO portfolio_app;
REVOKE EXECUTE ON FUNCTION workspace_lookup(text) FROM portfolio_app;
