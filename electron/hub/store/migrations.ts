// Versioned schema migrations, applied in order inside one transaction each.
// PRAGMA user_version records how far a database file has come.
import type Database from 'better-sqlite3';

const MIGRATIONS: readonly string[] = [
  // 1: events with full-text search, the delivery outbox, per-source state, dedup and throttle memory, health.
  `
  CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    source_id    TEXT NOT NULL,
    source_kind  TEXT NOT NULL,
    source_name  TEXT NOT NULL,
    type         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    project      TEXT, grp TEXT, environment TEXT, pipeline TEXT, branch TEXT, cluster TEXT, artifact TEXT,
    title        TEXT NOT NULL,
    summary      TEXT,
    url          TEXT,
    actor        TEXT,
    occurred_at  TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    dedup_key    TEXT NOT NULL,
    data         TEXT,
    raw          TEXT,
    matches      TEXT NOT NULL DEFAULT '[]',
    read         INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX events_received ON events(received_at);
  CREATE INDEX events_source ON events(source_id, seq);
  CREATE INDEX events_unread ON events(read, seq);

  -- Contentless: the text lives once, in events; the index only points at seq.
  CREATE VIRTUAL TABLE events_fts USING fts5(title, summary, subject, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
  CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts(rowid, title, summary, subject) VALUES (
      new.seq, new.title, coalesce(new.summary, ''),
      concat_ws(' ', new.project, new.grp, new.environment, new.pipeline, new.branch, new.cluster, new.artifact, new.source_name, new.type, new.actor));
  END;
  CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    DELETE FROM events_fts WHERE rowid = old.seq;
  END;

  CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_seq       INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    channel_id      TEXT NOT NULL,
    rule_id         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending','sending','delivered','failed','cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    delivered_at    INTEGER
  );
  CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
  CREATE INDEX deliveries_event ON deliveries(event_seq);
  CREATE INDEX deliveries_channel_status ON deliveries(channel_id, status);

  CREATE TABLE source_state (
    source_id  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (source_id, key)
  ) WITHOUT ROWID;

  -- Webhook delivery ids already accepted (e.g. X-GitHub-Delivery): a redelivery is stored once.
  CREATE TABLE seen_deliveries (
    source_id   TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (source_id, delivery_id)
  ) WITHOUT ROWID;

  CREATE TABLE throttle (
    rule_id   TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    routed_at INTEGER NOT NULL,
    PRIMARY KEY (rule_id, dedup_key)
  ) WITHOUT ROWID;

  CREATE TABLE health (
    kind                 TEXT NOT NULL CHECK (kind IN ('channel','source')),
    id                   TEXT NOT NULL,
    healthy              INTEGER NOT NULL DEFAULT 1,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_success_at      INTEGER,
    last_failure_at      INTEGER,
    PRIMARY KEY (kind, id)
  ) WITHOUT ROWID;
  `,
  // 2: digest windows. A digest rule's events wait here (one row per channel) until their
  // window closes into one herald.digest event; the rule name is kept for that message.
  `
  CREATE TABLE digest_items (
    rule_id      TEXT NOT NULL,
    rule_name    TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    event_seq    INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    window_start INTEGER NOT NULL,
    window_end   INTEGER NOT NULL,
    PRIMARY KEY (rule_id, channel_id, event_seq)
  ) WITHOUT ROWID;
  CREATE INDEX digest_items_open ON digest_items(rule_id, window_end);
  CREATE INDEX digest_items_due ON digest_items(window_end);
  CREATE INDEX digest_items_event ON digest_items(event_seq);
  `,
  // 3: the worker claims per channel, up to each channel's free capacity.
  `
  CREATE INDEX deliveries_channel_due ON deliveries(channel_id, next_attempt_at) WHERE status = 'pending';
  `,
  // 4: every due-work query asks per channel (3); the all-channel index only cost a write
  // on every delivery's insert and status change.
  `
  DROP INDEX deliveries_due;
  `,
  // 5: muted pipelines (shared/mutes.ts), keyed by pipelineKey(): routing holds their events
  // back. until = epoch ms for a timed mute, NULL for "until it passes".
  `
  CREATE TABLE mutes (
    key          TEXT PRIMARY KEY,
    source_id    TEXT NOT NULL,
    source_name  TEXT,
    project      TEXT, pipeline TEXT, branch TEXT,
    until        INTEGER,
    until_passes INTEGER NOT NULL DEFAULT 0 CHECK (until_passes IN (0, 1)),
    created_at   INTEGER NOT NULL,
    CHECK ((until IS NULL) = (until_passes = 1))
  ) WITHOUT ROWID;
  `,
  // 6: the commit an event is about (subject.commit): a commit's thread is read from its
  // index in order; searching a short SHA finds it too (the FTS subject gains the commit).
  `
  ALTER TABLE events ADD COLUMN commit_sha TEXT;
  CREATE INDEX events_commit ON events(commit_sha, seq) WHERE commit_sha IS NOT NULL;
  DROP TRIGGER events_fts_insert;
  CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts(rowid, title, summary, subject) VALUES (
      new.seq, new.title, coalesce(new.summary, ''),
      concat_ws(' ', new.project, new.grp, new.environment, new.pipeline, new.branch, new.cluster, new.artifact, new.source_name, new.type, new.actor, new.commit_sha));
  END;
  `,
  // 7: the board (shared/board.ts): one row per thing with a state, written by the ingest
  // transaction. rank orders worst first (failing 0 … passing 3); since is ISO UTC, so it
  // sorts as text; mute_key joins a pipeline's mute (5).
  `
  CREATE TABLE board (
    key           TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    source_name   TEXT NOT NULL,
    project       TEXT,
    subject       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('failing','running','unknown','passing')),
    rank          INTEGER NOT NULL,
    running       INTEGER NOT NULL DEFAULT 0,
    since         TEXT NOT NULL,
    streak        INTEGER NOT NULL,
    last_event_id TEXT NOT NULL,
    last_event_at TEXT NOT NULL,
    title         TEXT NOT NULL,
    url           TEXT,
    commit_sha    TEXT,
    actor         TEXT,
    broken_by     TEXT,
    mute_key      TEXT,
    updated_at    INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX board_order ON board(rank, since, key);
  CREATE INDEX board_source ON board(source_id);
  CREATE INDEX board_project ON board(project, rank, since);
  CREATE INDEX board_mute ON board(mute_key) WHERE mute_key IS NOT NULL;
  `,
  // 8: storm groups (rules/storm-groups.ts): one row per open group of a grouping rule,
  // keyed by the JSON of its subject values; due_at is when its next message goes (the
  // first after wait_seconds, then every interval_seconds while events keep coming);
  // messages counts those sent. Its events wait in storm_group_items, one row per channel.
  `
  CREATE TABLE storm_groups (
    rule_id          TEXT NOT NULL,
    group_key        TEXT NOT NULL,
    rule_name        TEXT NOT NULL,
    wait_seconds     INTEGER NOT NULL,
    interval_seconds INTEGER NOT NULL,
    opened_at        INTEGER NOT NULL,
    due_at           INTEGER NOT NULL,
    messages         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (rule_id, group_key)
  ) WITHOUT ROWID;
  CREATE INDEX storm_groups_due ON storm_groups(due_at);
  CREATE TABLE storm_group_items (
    rule_id    TEXT NOT NULL,
    group_key  TEXT NOT NULL,
    event_seq  INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    channel_id TEXT NOT NULL,
    PRIMARY KEY (rule_id, group_key, event_seq, channel_id)
  ) WITHOUT ROWID;
  CREATE INDEX storm_group_items_event ON storm_group_items(event_seq);
  `,
  // 9: the board is kept in memory and saved in batches (store/board.ts): a row per thing
  // holding its item's JSON (what the api serves), and board_saved, the last event seq the
  // saved rows include — the events after it are replayed at open. store/board.ts converts
  // the rows of 7 (renamed board_v7) and drops that table.
  `
  ALTER TABLE board RENAME TO board_v7;
  CREATE TABLE board (
    key  TEXT PRIMARY KEY,
    item TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE board_saved (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    event_seq INTEGER NOT NULL
  );
  `,
  // 10: the full-text index is filled in batches (store/events.ts indexForSearch), not by a
  // trigger per event: FTS5 writes a new segment and its structure record at every commit,
  // ~11 of a group commit's ~27 WAL pages. search_indexed is the last event seq it holds;
  // every event up to now was indexed by the trigger.
  `
  DROP TRIGGER events_fts_insert;
  CREATE TABLE search_indexed (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
  );
  INSERT INTO search_indexed (id, seq) SELECT 1, coalesce(max(seq), 0) FROM events;
  `,
  // 11: which summary (a storm group's message, a digest) carried an event, written when the
  // summary is stored: the event's detail links to it. Either event deleted, the row goes.
  `
  CREATE TABLE summary_members (
    event_seq   INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    summary_seq INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    PRIMARY KEY (event_seq, summary_seq)
  ) WITHOUT ROWID;
  CREATE INDEX summary_members_summary ON summary_members(summary_seq);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the file up to `target` (the latest unless a test builds an older file). */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new Error(
      `database schema version ${from} is newer than this Herald understands (${SCHEMA_VERSION}); upgrade Herald or use another --data-dir`,
    );
  }
  for (let v = from; v < target; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return { from, to: Math.max(from, target) };
}
