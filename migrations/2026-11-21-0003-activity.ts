// Activity: listening events, playlists (hand-made and imported from M3U files), the play queue,
// bookmarks, shares, internet radio stations and chat. Frozen once shipped: change the schema in a new file.
//
// Like `annotation`, everything that points at a track does so by its stable id WITHOUT a foreign key: a
// file that is missing for a while (an unmounted disk) must not take playlist entries, queues, bookmarks
// or history with it; because ids are derived from identity, the entries reattach when the file returns.
// Rows owned by a user go with the user (ON DELETE CASCADE).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    // One row per play, kept for insights (stats, recommendations); source says what reported it.
    `CREATE TABLE play_event (
      id INTEGER PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      track_id TEXT NOT NULL,
      played_at INTEGER NOT NULL,
      client TEXT NOT NULL DEFAULT '',
      source TEXT NOT NULL
    )`,
    `CREATE INDEX play_event_user_time ON play_event (user_id, played_at)`,
    `CREATE INDEX play_event_track ON play_event (track_id)`,
    // Imported playlists (source_path set) belong to a library and are refreshed from their file.
    `CREATE TABLE playlist (
      pk INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      owner_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      comment TEXT NOT NULL DEFAULT '',
      public INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      changed_at INTEGER NOT NULL,
      library_id INTEGER REFERENCES library(id) ON DELETE CASCADE,
      source_path TEXT,
      source_mtime INTEGER,
      UNIQUE (library_id, source_path)
    )`,
    `CREATE INDEX playlist_owner ON playlist (owner_id, name)`,
    `CREATE TABLE playlist_track (
      playlist_id TEXT NOT NULL REFERENCES playlist(id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      track_id TEXT NOT NULL,
      PRIMARY KEY (playlist_id, position)
    ) WITHOUT ROWID`,
    // One queue per user; the list is only ever read and written whole, so it is JSON text.
    `CREATE TABLE play_queue (
      user_id TEXT PRIMARY KEY REFERENCES user(id) ON DELETE CASCADE,
      track_ids TEXT NOT NULL,
      current_index INTEGER,
      position_ms INTEGER NOT NULL DEFAULT 0,
      changed_at INTEGER NOT NULL,
      changed_by TEXT NOT NULL DEFAULT ''
    ) WITHOUT ROWID`,
    `CREATE TABLE bookmark (
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      track_id TEXT NOT NULL,
      position_ms INTEGER NOT NULL,
      comment TEXT NOT NULL DEFAULT '',
      created_at INTEGER NOT NULL,
      changed_at INTEGER NOT NULL,
      PRIMARY KEY (user_id, track_id)
    ) WITHOUT ROWID`,
    `CREATE TABLE share (
      pk INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      description TEXT NOT NULL DEFAULT '',
      created_at INTEGER NOT NULL,
      expires_at INTEGER,
      last_visited_at INTEGER,
      visit_count INTEGER NOT NULL DEFAULT 0
    )`,
    `CREATE INDEX share_user ON share (user_id, created_at)`,
    `CREATE TABLE share_item (
      share_id TEXT NOT NULL REFERENCES share(id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      track_id TEXT NOT NULL,
      PRIMARY KEY (share_id, position)
    ) WITHOUT ROWID`,
    `CREATE TABLE radio_station (
      pk INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      stream_url TEXT NOT NULL,
      homepage_url TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    `CREATE TABLE chat_message (
      id INTEGER PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      message TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`,
    `CREATE INDEX chat_message_time ON chat_message (created_at)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
