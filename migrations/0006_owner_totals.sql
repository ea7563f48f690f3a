-- The owner's totals (count and hours saved) beside a write, from one definition.
-- create, update and delete return the owner's new totals in the same statement as the write.
-- A data-modifying CTE's own change is invisible to the rest of its statement, so the caller
-- passes the row it wrote and adds that row back itself (nothing to add after a delete).
-- SECURITY INVOKER (the default): row-level security applies to the caller as everywhere.
CREATE FUNCTION artifact_owner_totals(p_tenant uuid, p_user uuid, p_except uuid)
  RETURNS TABLE (n bigint, h double precision)
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$
    SELECT count(*), coalesce(sum(w.estimated_hours_saved), 0)
      FROM public.work_artifacts w
     WHERE w.tenant_id = p_tenant AND w.user_id = p_user AND w.id <> p_except
  $$;
REVOKE ALL ON FUNCTION artifact_owner_totals(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION artifact_owner_totals(uuid, uuid, uuid) TO portfolio_app;
