-- At most 20 open invites per user (SPEC §7): unused and unexpired (a revoked invite is
-- deleted). Like the artifact limit, a BEFORE INSERT trigger makes every path obey it, and a
-- transaction-scoped advisory lock keyed by the inviter serialises concurrent creates, whose
-- count then runs with a fresh READ COMMITTED snapshot: concurrent creates cannot pass 20.
-- SECURITY INVOKER: under row-level security the runtime role counts its own invites, which
-- are exactly the rows the count asks for (created_by is the current user, WITH CHECK).
CREATE FUNCTION invites_enforce_open_limit() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  n integer;
BEGIN
  PERFORM pg_advisory_xact_lock(52, hashtext(NEW.created_by::text));
  SELECT count(*) INTO n FROM public.invites
   WHERE tenant_id = NEW.tenant_id AND created_by = NEW.created_by
     AND used_by IS NULL AND expires_at > now();
  IF n >= 20 THEN
    RAISE EXCEPTION 'open invite limit of 20 reached for this user'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'invites_open_per_user_limit';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER invites_enforce_open_limit BEFORE INSERT ON invites
  FOR EACH ROW EXECUTE FUNCTION invites_enforce_open_limit();

-- The inviter's open invites (the count above, and the people page's list).
CREATE INDEX invites_open_idx ON invites (tenant_id, created_by, expires_at)
  WHERE used_by IS NULL;
