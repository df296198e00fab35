// Streaming (issue 4). Players: each client a user streams from (the `c` parameter + user agent) is
// remembered with its own bitrate limit and preferred format. Transcode profiles: the admin's own ffmpeg
// argument lists (JSON arrays, never shell strings) next to the built-in ones, which live in code.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE player (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    client TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    max_bit_rate INTEGER NOT NULL DEFAULT 0,
    format TEXT NOT NULL DEFAULT '',
    last_seen_at INTEGER NOT NULL,
    last_address TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, client, user_agent)
  ) STRICT`.execute(db);
  await sql`CREATE TABLE transcode_profile (
    name TEXT PRIMARY KEY,
    suffix TEXT NOT NULL,
    content_type TEXT NOT NULL,
    codec TEXT NOT NULL,
    lossless INTEGER NOT NULL DEFAULT 0,
    default_bit_rate INTEGER NOT NULL DEFAULT 0,
    max_bit_rate INTEGER NOT NULL DEFAULT 0,
    arguments TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT`.execute(db);
}
