-- Work artifacts: every rule of the product contract is a CHECK here too, so no code path
-- (a future script, a superuser's psql session) can store what the forms would refuse.

-- CHECK constraints cannot hold subqueries, so the skill-id rules live in an IMMUTABLE
-- function of the array alone.
CREATE FUNCTION skill_ids_valid(ids text[]) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT coalesce(array_ndims(ids), 1) = 1
       AND cardinality(ids) <= 20
       AND array_position(ids, NULL) IS NULL
       AND NOT EXISTS (SELECT 1 FROM unnest(ids) s WHERE char_length(s) NOT BETWEEN 1 AND 64)
       AND (SELECT count(DISTINCT s) = count(*) FROM unnest(ids) s)
  $$;

-- GIN keys that carry the tenant: "tenant/skill". The embedded server has no btree_gin, so
-- the tenant cannot be a plain GIN column; prefixing keeps the index tenant-first all the same.
CREATE FUNCTION artifact_skill_keys(tenant uuid, ids text[]) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT coalesce(array_agg(tenant::text || '/' || s), '{}') FROM unnest(ids) s $$;

CREATE TABLE work_artifacts (
  id                    uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id               uuid NOT NULL,
  title                 text NOT NULL,
  description           text NOT NULL DEFAULT '',
  artifact_type         text NOT NULL DEFAULT 'other',
  artifact_date         date,
  source_url            text,
  visibility            text NOT NULL DEFAULT 'private',
  estimated_hours_saved double precision,
  suggested_skill_ids   text[] NOT NULL DEFAULT '{}',
  version               integer NOT NULL DEFAULT 1,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  -- Keys carry the tenant: distributable by tenant_id (Citus) and an artifact's owner is
  -- always a member of the artifact's workspace.
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,

  -- \x0B is the vertical tab, spelled so because PostgreSQL 15 reads E'\v' as the letter v.
  CONSTRAINT work_artifacts_title_length
    CHECK (char_length(btrim(title, E' \t\r\n\f\x0B')) BETWEEN 1 AND 200),
  CONSTRAINT work_artifacts_title_trimmed
    CHECK (title = btrim(title, E' \t\r\n\f\x0B')),
  CONSTRAINT work_artifacts_description_length
    CHECK (char_length(description) <= 5000),
  CONSTRAINT work_artifacts_type_known
    CHECK (artifact_type IN ('document', 'code', 'analysis', 'presentation', 'design',
                             'process', 'other')),
  -- "Not in the future", judged by the UTC calendar. Checked on every insert and update.
  CONSTRAINT work_artifacts_date_not_future
    CHECK (artifact_date <= (now() AT TIME ZONE 'UTC')::date),
  -- Absolute http(s) URL with a host, no whitespace or control characters anywhere.
  CONSTRAINT work_artifacts_source_url_http
    CHECK (char_length(source_url) <= 2048
           AND source_url ~* '^https?://[^/?#[:space:][:cntrl:]@]+(@[^/?#[:space:][:cntrl:]]+)?([/?#][^[:space:][:cntrl:]]*)?$'),
  CONSTRAINT work_artifacts_visibility_known
    CHECK (visibility IN ('private', 'team')),
  -- NaN compares greater than every number in PostgreSQL, and the infinities fall outside the
  -- range, but say it explicitly so nobody has to know that.
  CONSTRAINT work_artifacts_hours_range
    CHECK (estimated_hours_saved <> 'NaN'::double precision
           AND estimated_hours_saved >= 0 AND estimated_hours_saved <= 100000),
  CONSTRAINT work_artifacts_skill_ids_valid
    CHECK (skill_ids_valid(suggested_skill_ids)),
  CONSTRAINT work_artifacts_version_positive CHECK (version >= 1)
);

-- 1. One user's artifacts in page order (the portfolio page, the JSON and CSV exports, count).
CREATE INDEX work_artifacts_owner_page_idx
  ON work_artifacts (tenant_id, user_id, artifact_date DESC NULLS LAST, created_at DESC);
-- 2. A workspace's team artifacts, per member in page order (people page, colleague pages).
CREATE INDEX work_artifacts_team_idx
  ON work_artifacts (tenant_id, user_id, artifact_date DESC NULLS LAST, created_at DESC)
  WHERE visibility = 'team';
-- 3. Artifacts by suggested skill id, within a workspace (future automatic skill linking).
CREATE INDEX work_artifacts_skill_idx
  ON work_artifacts USING gin (artifact_skill_keys(tenant_id, suggested_skill_ids));

-- Every update bumps the version and the update time, whoever issues it.
CREATE FUNCTION work_artifacts_touch() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  NEW.version := OLD.version + 1;
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TRIGGER work_artifacts_touch BEFORE UPDATE ON work_artifacts
  FOR EACH ROW EXECUTE FUNCTION work_artifacts_touch();

-- At most 50 artifacts per user, whoever inserts. The transaction-scoped advisory lock keyed by
-- the user serialises concurrent inserts for that user; the count then runs with a fresh
-- snapshot (READ COMMITTED, VOLATILE function) that sees every insert committed before the
-- lock was granted, so concurrent creates can never pass the limit.
CREATE FUNCTION work_artifacts_enforce_limit() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  n integer;
BEGIN
  PERFORM pg_advisory_xact_lock(50, hashtext(NEW.user_id::text));
  SELECT count(*) INTO n FROM public.work_artifacts
   WHERE tenant_id = NEW.tenant_id AND user_id = NEW.user_id;
  IF n >= 50 THEN
    RAISE EXCEPTION 'artifact limit of 50 reached for this user'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'work_artifacts_per_user_limit';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER work_artifacts_enforce_limit BEFORE INSERT ON work_artifacts
  FOR EACH ROW EXECUTE FUNCTION work_artifacts_enforce_limit();
