// Schema migrations, applied in order. PRAGMA user_version records how many
// have run, so each runs exactly once per data folder. A released migration
// is not edited (nothing checks this), because data folders have already run it.
// Add a new one instead.
export const migrations: readonly string[] = [
  `
  CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    knoc TEXT NOT NULL,
    address TEXT NOT NULL,
    family TEXT NOT NULL CHECK (family IN ('ipv4', 'ipv6')),
    user TEXT,
    comment TEXT,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT CHECK (end_reason IN ('revoked', 'expired', 'knoc-deleted'))
  );
  CREATE INDEX grants_active_by_knoc ON grants (knoc, address) WHERE ended_at IS NULL;
  CREATE INDEX grants_active_by_expiry ON grants (expires_at) WHERE ended_at IS NULL;

  CREATE TABLE knocs (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  -- One row per knoc name ever used. The version only grows, even across a
  -- delete and re-create, so a router never mistakes a new list for one it has.
  CREATE TABLE knoc_versions (
    knoc TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
  );
  `,
  `
  -- Who did what and when: grants, knoc changes and feed fetches. Kept for
  -- the configured retention and pruned in the background.
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor TEXT,
    knoc TEXT,
    address TEXT,
    grant_id TEXT,
    client_address TEXT,
    detail TEXT
  );
  CREATE INDEX audit_by_time ON audit (at);
  CREATE INDEX audit_by_knoc_time ON audit (knoc, at);

  -- Admin tokens created with "knocklist token create", kept only as hashes.
  CREATE TABLE admin_tokens (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  `
  -- The address lists knocklist writes, per knoc and router. A list that is
  -- no longer written after a config edit made while knocklist was stopped
  -- is emptied of knocklist's entries at the next start.
  CREATE TABLE router_lists (
    knoc TEXT NOT NULL,
    router TEXT NOT NULL,
    url TEXT NOT NULL,
    list TEXT NOT NULL,
    PRIMARY KEY (knoc, router, list)
  );

  -- One row that /readyz rewrites now and then, so a store that stopped
  -- taking writes while idle is noticed before a grant fails.
  CREATE TABLE write_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
  );
  `,
]
