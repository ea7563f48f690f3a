-- Workspaces (tenants), their users and invitations.

CREATE TABLE tenants (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text NOT NULL CONSTRAINT tenants_name_length
               CHECK (char_length(btrim(name)) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id            uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email         text NOT NULL CONSTRAINT users_email_shape
                  CHECK (char_length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'),
  display_name  text NOT NULL CONSTRAINT users_display_name_length
                  CHECK (char_length(btrim(display_name)) BETWEEN 1 AND 100),
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- Target of the composite foreign keys that keep every row's owner inside its workspace.
  CONSTRAINT users_tenant_id_id_key UNIQUE (tenant_id, id)
);
-- One account per email, whatever its case, across all workspaces (login starts from email).
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE invites (
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  created_by  uuid NOT NULL,
  token_hash  text NOT NULL CONSTRAINT invites_token_hash_key UNIQUE
                CONSTRAINT invites_token_hash_shape CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  expires_at  timestamptz NOT NULL,
  used_by     uuid,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, used_by) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT invites_used_together CHECK ((used_by IS NULL) = (used_at IS NULL))
);
-- The inviter's open invites, newest first.
CREATE INDEX invites_creator_idx ON invites (tenant_id, created_by, created_at DESC);
