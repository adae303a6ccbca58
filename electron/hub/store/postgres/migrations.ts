// Versioned schema migrations for PostgreSQL: the same tables as the SQLite store
// (store/migrations.ts), in PostgreSQL's types, plus what several replicas need (delivery
// leases). schema_version records how far a database has come; a database of a newer
// version than this Herald knows is refused. Migrations run under an advisory lock, so
// replicas starting together migrate once, one after the other.
import type pg from 'pg';

/** Epoch ms in BIGINT like SQLite's INTEGER; keys compared or ordered as text use the C collation (byte order, as SQLite). */
const MIGRATIONS: readonly string[] = [
  // 1: everything the SQLite store has at its version 7.
  `
  CREATE TABLE events (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    source_id    TEXT NOT NULL,
    source_kind  TEXT NOT NULL,
    source_name  TEXT NOT NULL,
    type         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    project      TEXT, grp TEXT, environment TEXT, pipeline TEXT, branch TEXT, cluster TEXT, artifact TEXT,
    commit_sha   TEXT COLLATE "C",
    title        TEXT NOT NULL,
    summary      TEXT,
    url          TEXT,
    actor        TEXT,
    occurred_at  TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    dedup_key    TEXT NOT NULL,
    data         TEXT,
    -- The payload as kept (raw-payload.ts): JSON text, or raw-deflated bytes when large.
    raw_text     TEXT,
    raw_deflated BYTEA,
    matches      TEXT NOT NULL DEFAULT '[]',
    read         BOOLEAN NOT NULL DEFAULT false,
    -- Title, summary and subject tokens (postgres/search.ts), for history search.
    search       TSVECTOR NOT NULL
  );
  CREATE INDEX events_received ON events(received_at);
  CREATE INDEX events_source ON events(source_id, seq);
  CREATE INDEX events_unread ON events(read, seq);
  CREATE INDEX events_commit ON events(commit_sha, seq) WHERE commit_sha IS NOT NULL;
  CREATE INDEX events_search ON events USING GIN (search);

  CREATE TABLE deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_seq       BIGINT NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    channel_id      TEXT NOT NULL,
    rule_id         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending','sending','delivered','failed','cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    delivered_at    BIGINT,
    -- A claim: which replica sends it, and until when; past lease_until another may claim it.
    claimed_by      TEXT,
    lease_until     BIGINT
  );
  CREATE INDEX deliveries_channel_due ON deliveries(channel_id, next_attempt_at) WHERE status = 'pending';
  CREATE INDEX deliveries_lease ON deliveries(lease_until) WHERE status = 'sending';
  CREATE INDEX deliveries_event ON deliveries(event_seq);
  CREATE INDEX deliveries_channel_status ON deliveries(channel_id, status);

  CREATE TABLE source_state (
    source_id  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (source_id, key)
  );

  CREATE TABLE seen_deliveries (
    source_id   TEXT NOT NULL,
    delivery_id TEXT COLLATE "C" NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (source_id, delivery_id)
  );
  CREATE INDEX seen_deliveries_received ON seen_deliveries(received_at);

  CREATE TABLE throttle (
    rule_id   TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    routed_at BIGINT NOT NULL,
    PRIMARY KEY (rule_id, dedup_key)
  );
  CREATE INDEX throttle_routed ON throttle(routed_at);

  CREATE TABLE health (
    kind                 TEXT NOT NULL CHECK (kind IN ('channel','source')),
    id                   TEXT NOT NULL,
    healthy              BOOLEAN NOT NULL DEFAULT true,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_success_at      BIGINT,
    last_failure_at      BIGINT,
    PRIMARY KEY (kind, id)
  );

  CREATE TABLE digest_items (
    rule_id      TEXT NOT NULL,
    rule_name    TEXT NOT NULL,
    channel_id   TEXT COLLATE "C" NOT NULL,
    event_seq    BIGINT NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    window_start BIGINT NOT NULL,
    window_end   BIGINT NOT NULL,
    PRIMARY KEY (rule_id, channel_id, event_seq)
  );
  CREATE INDEX digest_items_open ON digest_items(rule_id, window_end);
  CREATE INDEX digest_items_due ON digest_items(window_end);
  CREATE INDEX digest_items_event ON digest_items(event_seq);

  CREATE TABLE mutes (
    key          TEXT COLLATE "C" PRIMARY KEY,
    source_id    TEXT NOT NULL,
    source_name  TEXT,
    project      TEXT, pipeline TEXT, branch TEXT,
    until        BIGINT,
    until_passes BOOLEAN NOT NULL DEFAULT false,
    created_at   BIGINT NOT NULL,
    CHECK ((until IS NULL) = until_passes)
  );

  CREATE TABLE board (
    key           TEXT COLLATE "C" PRIMARY KEY,
    kind          TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    source_name   TEXT NOT NULL,
    project       TEXT,
    subject       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('failing','running','unknown','passing')),
    rank          INTEGER NOT NULL,
    running       BOOLEAN NOT NULL DEFAULT false,
    since         TEXT COLLATE "C" NOT NULL,
    streak        INTEGER NOT NULL,
    last_event_id TEXT NOT NULL,
    last_event_at TEXT NOT NULL,
    title         TEXT NOT NULL,
    url           TEXT,
    commit_sha    TEXT,
    actor         TEXT,
    broken_by     TEXT,
    mute_key      TEXT COLLATE "C",
    updated_at    BIGINT NOT NULL
  );
  CREATE INDEX board_order ON board(rank, since, key);
  CREATE INDEX board_source ON board(source_id);
  CREATE INDEX board_project ON board(project, rank, since);
  CREATE INDEX board_mute ON board(mute_key) WHERE mute_key IS NOT NULL;
  `,
  // 2: a team's replicas: who runs each poller and scheduler (leadership/lease-table.ts), and
  // the config every replica reads (config in the database; NOTIFY herald_config on a change).
  `
  CREATE TABLE IF NOT EXISTS herald_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL,
    ran_at      TIMESTAMPTZ
  );
  CREATE TABLE IF NOT EXISTS herald_config (
    id         SMALLINT PRIMARY KEY CHECK (id = 1),
    version    BIGINT NOT NULL,
    document   JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
  );
  `,
  // 3: storm groups (rules/storm-groups.ts; SQLite's migration 8): a grouping rule's open
  // groups, due at due_at, and the events waiting in each, one row per channel.
  `
  CREATE TABLE storm_groups (
    rule_id          TEXT NOT NULL,
    group_key        TEXT COLLATE "C" NOT NULL,
    rule_name        TEXT NOT NULL,
    wait_seconds     INTEGER NOT NULL,
    interval_seconds INTEGER NOT NULL,
    opened_at        BIGINT NOT NULL,
    due_at           BIGINT NOT NULL,
    messages         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (rule_id, group_key)
  );
  CREATE INDEX storm_groups_due ON storm_groups(due_at);
  CREATE TABLE storm_group_items (
    rule_id    TEXT NOT NULL,
    group_key  TEXT COLLATE "C" NOT NULL,
    event_seq  BIGINT NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    channel_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (rule_id, group_key, event_seq, channel_id)
  );
  CREATE INDEX storm_group_items_event ON storm_group_items(event_seq);
  `,
  // 4: which summary carried an event (SQLite's migration 11).
  `
  CREATE TABLE summary_members (
    event_seq   BIGINT NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    summary_seq BIGINT NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    PRIMARY KEY (event_seq, summary_seq)
  );
  CREATE INDEX summary_members_summary ON summary_members(summary_seq);
  `,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Any number fixed for Herald: the advisory lock replicas take to migrate one at a time. */
const MIGRATION_LOCK = 0x4865_7261; // "Hera"

/** The database is of a newer schema than this Herald: said with both versions. */
export class SchemaTooNew extends Error {
  override readonly name = 'SchemaTooNew';
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`the database's schema version ${found} is newer than this Herald understands (${known}): upgrade Herald on this replica, or point it at another database`);
  }
}

async function currentVersion(client: pg.ClientBase): Promise<number> {
  await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL)');
  const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
  return rows[0]?.v ?? 0;
}

/**
 * Brings the database up to `target` (the latest unless a test builds an older one), each
 * migration in its own transaction, all under one advisory lock (waited for up to `lockWaitMs`).
 */
export async function migratePostgres(
  client: pg.ClientBase,
  options: { target?: number; lockWaitMs?: number; now?: number } = {},
): Promise<{ from: number; to: number }> {
  const target = options.target ?? PG_SCHEMA_VERSION;
  const deadline = Date.now() + (options.lockWaitMs ?? 60_000);
  // pg_try_advisory_lock in a loop rather than pg_advisory_lock: the wait has a bound and a message.
  for (;;) {
    const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [MIGRATION_LOCK]);
    if (rows[0]?.got) break;
    if (Date.now() > deadline) throw new Error('another Herald replica has been migrating the database for too long (its advisory lock is held); try again');
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    const from = await currentVersion(client);
    if (from > PG_SCHEMA_VERSION) throw new SchemaTooNew(from, PG_SCHEMA_VERSION);
    for (let v = from; v < target; v++) {
      await client.query('BEGIN');
      try {
        await client.query(MIGRATIONS[v]!);
        await client.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)', [v + 1, options.now ?? Date.now()]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    }
    return { from, to: Math.max(from, target) };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
  }
}
