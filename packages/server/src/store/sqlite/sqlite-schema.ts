import { KolejkaError } from '@kolejka/spec';
import type { SqliteDb } from './sqlite-db.js';

/**
 * Schema migrations, applied in order at open inside one IMMEDIATE transaction; the version
 * reached is kept in `PRAGMA user_version`. Append new migrations, never edit applied ones.
 * Times are integer milliseconds since the epoch; JSON documents are text.
 */
export const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE users (
  username TEXT PRIMARY KEY,
  roles TEXT NOT NULL,
  password_hash TEXT,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  label TEXT,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
) STRICT;
CREATE INDEX tokens_by_username ON tokens (username);

CREATE TABLE sessions (
  key_hash TEXT PRIMARY KEY,
  username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_username ON sessions (username);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- touched_at: the last putBlob of the hash (a re-upload of old content restarts the gc
-- grace period, so the reference about to be written is not beaten by gc).
CREATE TABLE blobs (
  hash TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  touched_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX blobs_by_touched ON blobs (touched_at, hash);

-- Kept by triggers so metrics never scan the blobs table.
CREATE TABLE blob_totals (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL
) STRICT;
INSERT INTO blob_totals (id, count, bytes) VALUES (1, 0, 0);
CREATE TRIGGER blobs_total_insert AFTER INSERT ON blobs BEGIN
  UPDATE blob_totals SET count = count + 1, bytes = bytes + NEW.size WHERE id = 1;
END;
CREATE TRIGGER blobs_total_delete AFTER DELETE ON blobs BEGIN
  UPDATE blob_totals SET count = count - 1, bytes = bytes - OLD.size WHERE id = 1;
END;

CREATE TABLE refs (
  key TEXT PRIMARY KEY,
  hash TEXT NOT NULL REFERENCES blobs (hash),
  owner TEXT NOT NULL,
  is_public INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  accessed_at INTEGER NOT NULL
) STRICT;
CREATE INDEX refs_by_owner_hash ON refs (owner, hash, created_at, key);
CREATE INDEX refs_by_hash ON refs (hash);

CREATE TABLE tasks (
  key TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  spec TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'queued', 'assigned', 'running', 'finished', 'failed', 'cancelled')),
  priority INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  lost_count INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  assignee TEXT,
  lease_expires_at INTEGER,
  reason TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  assigned_at INTEGER,
  started_at INTEGER,
  finished_at INTEGER
) STRICT;
-- The scheduler's run order, over queued tasks only.
CREATE INDEX tasks_queue ON tasks (priority DESC, created_at, key) WHERE state = 'queued';
CREATE INDEX tasks_by_created ON tasks (created_at DESC, key DESC);
CREATE INDEX tasks_by_owner_created ON tasks (owner, created_at DESC, key DESC);
CREATE INDEX tasks_by_assignee ON tasks (assignee, created_at DESC, key DESC) WHERE assignee IS NOT NULL;
CREATE INDEX tasks_by_lease ON tasks (lease_expires_at) WHERE state IN ('assigned', 'running');
CREATE INDEX tasks_by_state ON tasks (state);

CREATE TABLE task_blobs (
  task_key TEXT NOT NULL REFERENCES tasks (key) ON DELETE CASCADE,
  hash TEXT NOT NULL REFERENCES blobs (hash),
  PRIMARY KEY (task_key, hash)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_blobs_by_hash ON task_blobs (hash);

CREATE TABLE results (
  task_key TEXT PRIMARY KEY REFERENCES tasks (key) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  spec TEXT NOT NULL,
  poster TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE result_blobs (
  task_key TEXT NOT NULL REFERENCES results (task_key) ON DELETE CASCADE,
  hash TEXT NOT NULL REFERENCES blobs (hash),
  PRIMARY KEY (task_key, hash)
) STRICT, WITHOUT ROWID;
CREATE INDEX result_blobs_by_hash ON result_blobs (hash);

-- AUTOINCREMENT: a seq is never reused, even after the newest events are pruned.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  task_key TEXT NOT NULL,
  owner TEXT NOT NULL,
  state TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  assignee TEXT,
  is_deleted INTEGER NOT NULL DEFAULT 0,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX events_by_at ON events (at);

CREATE TABLE foremen (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  tags TEXT NOT NULL,
  capacity TEXT NOT NULL,
  version TEXT,
  is_online INTEGER NOT NULL,
  is_draining INTEGER NOT NULL,
  server_id TEXT,
  last_heartbeat_at INTEGER,
  updated_at INTEGER NOT NULL
) STRICT;
`,
  },
  {
    // Events carry the task's reason, so followers learn why a task failed or was cancelled
    // even after it is gone.
    version: 2,
    sql: `ALTER TABLE events ADD COLUMN reason TEXT;`,
  },
  {
    // Queue control (issue 12): pauses every server process obeys (scope '' = the whole
    // queue, else a tag), per-user fair-share weight and limits, and a count of a user's tasks
    // by state for those limits.
    version: 3,
    sql: `
CREATE TABLE queue_pauses (
  scope TEXT PRIMARY KEY,
  paused_by TEXT NOT NULL,
  paused_at INTEGER NOT NULL
) STRICT;
ALTER TABLE users ADD COLUMN weight REAL;
ALTER TABLE users ADD COLUMN max_running INTEGER;
ALTER TABLE users ADD COLUMN max_queued INTEGER;
CREATE INDEX tasks_by_owner_state ON tasks (owner, state);
-- A moved task's place among its priority (NULL: its created_at).
ALTER TABLE tasks ADD COLUMN queue_order REAL;
`,
  },
  {
    // Cron schedules (issue 12). A schedule's task spec names blobs: schedule_blobs makes
    // them count as referenced (gc) as task_blobs does for tasks. A fired task records its
    // schedule in tasks.schedule_id.
    version: 4,
    sql: `
ALTER TABLE tasks ADD COLUMN schedule_id TEXT;

CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  name TEXT,
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL,
  spec TEXT NOT NULL,
  priority INTEGER NOT NULL,
  overlap TEXT NOT NULL CHECK (overlap IN ('skip', 'allow')),
  is_paused INTEGER NOT NULL,
  last_tick_at INTEGER,
  last_fired_at INTEGER,
  last_task_key TEXT,
  fired_count INTEGER NOT NULL,
  skipped_count INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX schedules_by_created ON schedules (created_at, id);
CREATE INDEX schedules_by_owner ON schedules (owner, created_at, id);

CREATE TABLE schedule_blobs (
  schedule_id TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  hash TEXT NOT NULL REFERENCES blobs (hash),
  PRIMARY KEY (schedule_id, hash)
) STRICT, WITHOUT ROWID;
CREATE INDEX schedule_blobs_by_hash ON schedule_blobs (hash);
`,
  },
  {
    // Task dependencies (issue 12). task_links: a dependent's policy, inputs and counter of
    // unsatisfied dependencies; task_edges: dependency → dependent, read by dependency when
    // a task ends, so releasing costs O(its dependents). The dependency is no foreign key:
    // an ended dependency may be deleted while its dependent keeps the record of it.
    version: 5,
    sql: `
CREATE TABLE task_links (
  task_key TEXT PRIMARY KEY REFERENCES tasks (key) ON DELETE CASCADE,
  after TEXT NOT NULL CHECK (after IN ('finished', 'succeeded', 'any')),
  inputs TEXT,
  unsatisfied INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE task_edges (
  dependency TEXT NOT NULL,
  dependent TEXT NOT NULL REFERENCES task_links (task_key) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  outcome TEXT CHECK (outcome IN ('satisfied', 'unsatisfied')),
  PRIMARY KEY (dependency, dependent)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_edges_by_dependent ON task_edges (dependent, position);
`,
  },
  {
    // The dashboard's task list and overview (issue 13). A state filter reads its page from
    // (state, created_at, key) in order, so a rare state among 100,000 ended tasks costs
    // what its page costs (owner + state likewise); the image filter reads its own index of
    // the spec's image. The overview reads the tasks assigned, and those ended, in the last
    // hour, by time. task_tags does for the tag filter what an index cannot do on a JSON array.
    version: 6,
    sql: `
CREATE INDEX tasks_by_state_created ON tasks (state, created_at DESC, key DESC);
CREATE INDEX tasks_by_owner_state_created ON tasks (owner, state, created_at DESC, key DESC);
CREATE INDEX tasks_by_image ON tasks (json_extract(spec, '$.image'), created_at DESC, key DESC);
CREATE INDEX tasks_by_assigned ON tasks (assigned_at) WHERE assigned_at IS NOT NULL;
CREATE INDEX tasks_by_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL;

-- The tags a task requires (its spec's requires), in created order per tag, for the tag
-- filter; written with the task, gone with it.
CREATE TABLE task_tags (
  tag TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  task_key TEXT NOT NULL REFERENCES tasks (key) ON DELETE CASCADE,
  PRIMARY KEY (tag, created_at, task_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_tags_by_task ON task_tags (task_key);
INSERT OR IGNORE INTO task_tags (tag, created_at, task_key)
  SELECT required.value, tasks.created_at, tasks.key
  FROM tasks, json_each(tasks.spec, '$.requires') AS required
  WHERE required.type = 'text';
`,
  },
  {
    // A task's history (taskHistory, GET /api/v1/tasks/{key}/history) by key, newest first.
    version: 8,
    sql: `CREATE INDEX IF NOT EXISTS events_by_task ON events (task_key, seq);`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/**
 * The migrations by version: the array may list them in another order (versions are given
 * out to parallel branches, which append theirs), and applying out of order would leave
 * `user_version` behind the newest one applied. A version listed twice is a programming
 * error, caught at load.
 */
const ORDERED_MIGRATIONS = [...MIGRATIONS].sort((a, b) => a.version - b.version);
ORDERED_MIGRATIONS.forEach((migration, index) => {
  if (index > 0 && ORDERED_MIGRATIONS[index - 1]!.version === migration.version)
    throw new Error(`SQLite schema migration ${migration.version} is listed twice`);
});

/** Brings the database to `SCHEMA_VERSION`; refuses a database written by a newer Kolejka. */
export function migrate(db: SqliteDb, path: string): number {
  return db.write(() => {
    const current = db.connection.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION)
      throw new KolejkaError(
        'KOLEJKA_UNAVAILABLE',
        `The SQLite database ${path} has schema version ${current}, newer than this Kolejka server knows (${SCHEMA_VERSION}): upgrade the server`,
      );
    for (const migration of ORDERED_MIGRATIONS) {
      if (migration.version <= current) continue;
      db.connection.exec(migration.sql);
      db.connection.pragma(`user_version = ${migration.version}`);
    }
    return current;
  });
}
