-- Imports waiting for confirmation (SPEC §12). The preview of an uploaded file keeps the
-- file's rows here (as the form fields they fill, one JSON object per artifact) until the user
-- confirms, so the confirmation re-sends nothing but this row's id: no file travels twice, no
-- size-unbounded hidden field, nothing the browser could alter. One per user (a new preview
-- replaces the last); the confirmation deletes it in the same transaction that creates the
-- artifacts, so confirming twice cannot import twice. It lives an hour (PENDING_FOR in
-- workhistory/data/imports.py, checked in the SQL) and goes with its user.
CREATE TABLE pending_imports (
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL,
  filename   text NOT NULL
               CONSTRAINT pending_imports_filename_length CHECK (char_length(filename) <= 255),
  rows       jsonb NOT NULL
               CONSTRAINT pending_imports_rows_shape
                 CHECK (jsonb_typeof(rows) = 'array' AND jsonb_array_length(rows) <= 50),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT pending_imports_one_per_user UNIQUE (tenant_id, user_id)
);

ALTER TABLE pending_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE pending_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON pending_imports AS RESTRICTIVE FOR ALL TO portfolio_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY pending_imports_own ON pending_imports FOR ALL TO portfolio_app
  USING (user_id = app_current_user()) WITH CHECK (user_id = app_current_user());
GRANT SELECT, DELETE ON pending_imports TO portfolio_app;
GRANT INSERT (tenant_id, user_id, filename, rows) ON pending_imports TO portfolio_app;
