-- Undo (SPEC §11): a deleted artifact can be restored for 30 seconds, with the same id,
-- values, version and times, and back on the share links that listed it; after that it is
-- gone for good.
--
-- Deleted rows move to a table of their own instead of staying in `work_artifacts` behind a
-- `deleted_at` flag. So `work_artifacts` holds live artifacts only, and everything that reads
-- it stays true without a change: the 50 limit (its trigger counts live rows), the owner's
-- totals, the people page, colleagues' pages, the exports, and the queries other features
-- add later. A colleague can never see a deleted row: it is not in the table they read.
-- Restoring inserts the row back, so the limit trigger judges it like any create.

-- How long a delete can be undone: the one definition, read by the restore and the purge.
CREATE FUNCTION artifact_undo_window() RETURNS interval
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT interval '30 seconds' $$;

CREATE TABLE deleted_artifacts (
  id                      uuid NOT NULL,
  tenant_id               uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id                 uuid NOT NULL,
  title                   text NOT NULL,
  description             text NOT NULL,
  artifact_type           text NOT NULL,
  artifact_date           date,
  artifact_date_precision text NOT NULL,
  source_url              text,
  visibility              text NOT NULL,
  estimated_hours_saved   double precision,
  suggested_skill_ids     text[] NOT NULL,
  version                 integer NOT NULL,
  created_at              timestamptz NOT NULL,
  updated_at              timestamptz NOT NULL,
  deleted_at              timestamptz NOT NULL DEFAULT now(),
  -- The share links that listed it (share_artifacts, migration 0040; ids only, no foreign
  -- key: a link revoked or removed meanwhile is skipped when it comes back).
  share_ids               uuid[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
-- One owner's deletions by time: the restore's window check and the purge of expired ones.
CREATE INDEX deleted_artifacts_owner_idx ON deleted_artifacts (tenant_id, user_id, deleted_at);

-- Only the owner reads, writes or removes their deleted rows: nobody restores another's.
ALTER TABLE deleted_artifacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE deleted_artifacts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON deleted_artifacts AS RESTRICTIVE FOR ALL TO portfolio_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY deleted_own ON deleted_artifacts FOR ALL TO portfolio_app
  USING (user_id = app_current_user()) WITH CHECK (user_id = app_current_user());
GRANT SELECT, INSERT, DELETE ON deleted_artifacts TO portfolio_app;

-- A restore puts the row back as it was, its version and times included. The app's create
-- never sends these columns (its allow-list is `artifacts.UPDATABLE`); the grant is for the
-- restore's INSERT ... SELECT from `deleted_artifacts`, and the update grants stay as they
-- were, so the bookkeeping columns still cannot be changed on a live row.
GRANT INSERT (version, created_at, updated_at) ON work_artifacts TO portfolio_app;
