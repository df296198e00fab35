// Core schema: libraries, the real folder tree, the catalog (artists, albums, tracks, genres and their
// links), minimal users and per-user annotations. Frozen once shipped: change the schema in a new file.
//
// Conventions: timestamps are INTEGER milliseconds since the epoch; booleans are INTEGER 0/1; lists that
// are only ever read whole are JSON text. Catalog rows carry a stable, type-prefixed text `id` derived from
// what the item is (see src/library/identity.ts) and an internal integer `pk` that never leaves the server
// (it keys the FTS index; VACUUM may renumber implicit rowids, an INTEGER PRIMARY KEY it never does).
// Per-user state (annotation) points at ids without a foreign key on purpose: a file that disappears for a
// while (an unmounted disk) must not take its stars and play counts with it.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    `CREATE TABLE library (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      path TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_scan_at INTEGER,
      changed_at INTEGER
    )`,
    `CREATE TABLE folder (
      pk INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      library_id INTEGER NOT NULL REFERENCES library(id) ON DELETE CASCADE,
      parent_id TEXT,
      path TEXT NOT NULL,
      name TEXT NOT NULL,
      mtime INTEGER NOT NULL,
      images TEXT NOT NULL DEFAULT '[]',
      track_count INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL,
      UNIQUE (library_id, path)
    )`,
    `CREATE INDEX folder_parent ON folder (parent_id, name)`,
    `CREATE TABLE artist (
      pk INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      sort_name TEXT NOT NULL,
      order_name TEXT NOT NULL,
      mbz_artist_id TEXT,
      album_count INTEGER NOT NULL DEFAULT 0,
      song_count INTEGER NOT NULL DEFAULT 0,
      roles TEXT NOT NULL DEFAULT '[]',
      image_library_id INTEGER,
      image_path TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    `CREATE INDEX artist_order ON artist (order_name, id)`,
    `CREATE TABLE album (
      pk INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      sort_name TEXT NOT NULL,
      order_name TEXT NOT NULL,
      version TEXT NOT NULL DEFAULT '',
      artist_id TEXT NOT NULL REFERENCES artist(id),
      artist_name TEXT NOT NULL,
      order_artist_name TEXT NOT NULL,
      compilation INTEGER NOT NULL DEFAULT 0,
      mbz_album_id TEXT,
      mbz_release_group_id TEXT,
      year INTEGER,
      date TEXT,
      original_date TEXT,
      release_date TEXT,
      release_types TEXT NOT NULL DEFAULT '[]',
      record_labels TEXT NOT NULL DEFAULT '[]',
      genre TEXT,
      song_count INTEGER NOT NULL DEFAULT 0,
      disc_count INTEGER NOT NULL DEFAULT 1,
      duration REAL NOT NULL DEFAULT 0,
      size INTEGER NOT NULL DEFAULT 0,
      disc_titles TEXT NOT NULL DEFAULT '[]',
      cover_library_id INTEGER,
      cover_path TEXT,
      cover_track_id TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    `CREATE INDEX album_order ON album (order_name, id)`,
    `CREATE INDEX album_artist_order ON album (order_artist_name, order_name, id)`,
    `CREATE INDEX album_created ON album (created_at, id)`,
    `CREATE INDEX album_year ON album (year, id)`,
    `CREATE INDEX album_artist_id ON album (artist_id)`,
    `CREATE TABLE track (
      pk INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      library_id INTEGER NOT NULL REFERENCES library(id) ON DELETE CASCADE,
      folder_id TEXT NOT NULL REFERENCES folder(id),
      path TEXT NOT NULL,
      file_size INTEGER NOT NULL,
      file_mtime INTEGER NOT NULL,
      suffix TEXT NOT NULL,
      content_type TEXT NOT NULL,
      title TEXT NOT NULL,
      sort_title TEXT NOT NULL,
      order_title TEXT NOT NULL,
      album_id TEXT NOT NULL REFERENCES album(id),
      album_name TEXT NOT NULL,
      artist_id TEXT NOT NULL REFERENCES artist(id),
      artist_name TEXT NOT NULL,
      album_artist_name TEXT NOT NULL,
      track_number INTEGER,
      track_total INTEGER,
      disc_number INTEGER NOT NULL DEFAULT 1,
      disc_total INTEGER,
      disc_subtitle TEXT,
      year INTEGER,
      date TEXT,
      original_date TEXT,
      release_date TEXT,
      genre TEXT,
      compilation INTEGER NOT NULL DEFAULT 0,
      duration REAL NOT NULL DEFAULT 0,
      bitrate INTEGER,
      sample_rate INTEGER,
      bit_depth INTEGER,
      channels INTEGER,
      codec TEXT,
      lossless INTEGER NOT NULL DEFAULT 0,
      has_embedded_art INTEGER NOT NULL DEFAULT 0,
      mbz_recording_id TEXT,
      mbz_track_id TEXT,
      mbz_album_id TEXT,
      isrc TEXT NOT NULL DEFAULT '[]',
      bpm INTEGER,
      comment TEXT,
      rg_track_gain REAL,
      rg_track_peak REAL,
      rg_album_gain REAL,
      rg_album_peak REAL,
      lyrics TEXT NOT NULL DEFAULT '[]',
      tags TEXT NOT NULL DEFAULT '{}',
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      UNIQUE (library_id, path)
    )`,
    `CREATE INDEX track_album ON track (album_id, disc_number, track_number)`,
    `CREATE INDEX track_folder ON track (folder_id)`,
    `CREATE INDEX track_artist_id ON track (artist_id)`,
    `CREATE INDEX track_order ON track (order_title, id)`,
    `CREATE INDEX track_created ON track (created_at, id)`,
    `CREATE INDEX track_year ON track (year)`,
    `CREATE TABLE track_artist (
      track_id TEXT NOT NULL REFERENCES track(id) ON DELETE CASCADE,
      artist_id TEXT NOT NULL REFERENCES artist(id),
      role TEXT NOT NULL,
      sub_role TEXT NOT NULL DEFAULT '',
      position INTEGER NOT NULL,
      PRIMARY KEY (track_id, role, sub_role, artist_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX track_artist_by_artist ON track_artist (artist_id, role)`,
    `CREATE TABLE album_artist (
      album_id TEXT NOT NULL REFERENCES album(id) ON DELETE CASCADE,
      artist_id TEXT NOT NULL REFERENCES artist(id),
      position INTEGER NOT NULL,
      PRIMARY KEY (album_id, artist_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX album_artist_by_artist ON album_artist (artist_id)`,
    `CREATE TABLE genre (
      pk INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL UNIQUE,
      song_count INTEGER NOT NULL DEFAULT 0,
      album_count INTEGER NOT NULL DEFAULT 0
    )`,
    `CREATE TABLE track_genre (
      track_id TEXT NOT NULL REFERENCES track(id) ON DELETE CASCADE,
      genre_id TEXT NOT NULL REFERENCES genre(id),
      position INTEGER NOT NULL,
      PRIMARY KEY (track_id, genre_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX track_genre_by_genre ON track_genre (genre_id)`,
    `CREATE TABLE album_genre (
      album_id TEXT NOT NULL REFERENCES album(id) ON DELETE CASCADE,
      genre_id TEXT NOT NULL REFERENCES genre(id),
      position INTEGER NOT NULL,
      PRIMARY KEY (album_id, genre_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX album_genre_by_genre ON album_genre (genre_id)`,
    `CREATE TABLE library_album (
      library_id INTEGER NOT NULL REFERENCES library(id) ON DELETE CASCADE,
      album_id TEXT NOT NULL REFERENCES album(id) ON DELETE CASCADE,
      PRIMARY KEY (library_id, album_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX library_album_by_album ON library_album (album_id)`,
    `CREATE TABLE library_artist (
      library_id INTEGER NOT NULL REFERENCES library(id) ON DELETE CASCADE,
      artist_id TEXT NOT NULL REFERENCES artist(id) ON DELETE CASCADE,
      PRIMARY KEY (library_id, artist_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX library_artist_by_artist ON library_artist (artist_id)`,
    `CREATE TABLE scan_issue (
      library_id INTEGER NOT NULL REFERENCES library(id) ON DELETE CASCADE,
      path TEXT NOT NULL,
      file_size INTEGER NOT NULL,
      file_mtime INTEGER NOT NULL,
      reason TEXT NOT NULL,
      seen_at INTEGER NOT NULL,
      PRIMARY KEY (library_id, path)
    ) WITHOUT ROWID`,
    `CREATE TABLE user (
      pk INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      username TEXT NOT NULL UNIQUE COLLATE NOCASE,
      password_hash TEXT NOT NULL,
      is_admin INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
    `CREATE TABLE annotation (
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      item_id TEXT NOT NULL,
      play_count INTEGER NOT NULL DEFAULT 0,
      last_played_at INTEGER,
      starred_at INTEGER,
      rating INTEGER,
      PRIMARY KEY (user_id, item_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX annotation_item ON annotation (item_id)`,
    `CREATE TABLE setting (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) WITHOUT ROWID`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
