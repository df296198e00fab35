// Listening history (issue 14): the events players send, kept as they came (append-only, with the
// version of the event format they were written in), and the listens derived from them, one per track
// heard from its start to its end, each with its outcome (a play, a skip, or neither) by the rules of
// src/listening/rules.ts. Play counts (annotation) and the existing play_event rows follow the plays.
// Track ids without a foreign key, as everywhere in activity: a file missing for a while keeps its history.
// Frozen once shipped.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    `CREATE TABLE listening_event (
      pk INTEGER PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      event_id TEXT NOT NULL,
      schema_version INTEGER NOT NULL,
      track_id TEXT NOT NULL,
      type TEXT NOT NULL CHECK (type IN ('start', 'pause', 'resume', 'seek', 'skip', 'complete', 'stop')),
      position_ms INTEGER NOT NULL,
      listened_ms INTEGER NOT NULL,
      at INTEGER NOT NULL,
      player TEXT NOT NULL,
      source TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      UNIQUE (user_id, event_id)
    )`,
    `CREATE INDEX listening_event_user_time ON listening_event (user_id, at)`,
    `CREATE TABLE listen (
      pk INTEGER PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      track_id TEXT NOT NULL,
      player TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      last_event_at INTEGER NOT NULL,
      ended_at INTEGER,
      listened_ms INTEGER NOT NULL,
      position_ms INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL,
      end_type TEXT CHECK (end_type IN ('complete', 'skip', 'stop', 'next', 'timeout')),
      outcome TEXT CHECK (outcome IN ('play', 'skip', 'partial', 'ignored')),
      source TEXT NOT NULL
    )`,
    // At most one open listen per user and player.
    `CREATE UNIQUE INDEX listen_open ON listen (user_id, player) WHERE ended_at IS NULL`,
    `CREATE INDEX listen_user_time ON listen (user_id, started_at)`,
    `CREATE INDEX listen_track ON listen (track_id, started_at)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
