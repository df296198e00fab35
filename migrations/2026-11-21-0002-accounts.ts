// Accounts for the Subsonic API: profile and role columns on user, per-user library access, API keys.
// Frozen once shipped: change the schema in a new file.
//
// Role defaults (also what createUser gives when a role parameter is absent): on for what a listener does
// with their own account (settings, stream, download, playlist, comment = ratings/comments, share,
// scrobbling); off for what changes shared server state or does not exist yet (upload, cover art and tags,
// podcasts, jukebox = the server's speakers, video conversion). Subsonic's own defaults turn more off;
// on a personal server they only hide features from clients.
//
// password_enc is the password sealed with AES-256-GCM under <dataDir>/secret.key (base64 of nonce, tag,
// ciphertext): token auth (t = md5(password + s)) needs the password itself. Rows created before this
// migration have none until the next password change or successful p login.
//
// Library access is explicit: a row in user_library per library a user may see. Existing users get every
// existing library (they saw everything before); a library added later is granted by the trigger below to
// every admin and to every user who sees every other library (so "everything" stays everything, also for
// a user created before the first library was registered, e.g. with `tonearm user add` before the first
// `serve --music A --music B`); users limited to some libraries get it when an admin says so
// (updateUser musicFolderId).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    `ALTER TABLE user ADD COLUMN email TEXT NOT NULL DEFAULT ''`,
    `ALTER TABLE user ADD COLUMN settings_role INTEGER NOT NULL DEFAULT 1`,
    `ALTER TABLE user ADD COLUMN stream_role INTEGER NOT NULL DEFAULT 1`,
    `ALTER TABLE user ADD COLUMN jukebox_role INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE user ADD COLUMN download_role INTEGER NOT NULL DEFAULT 1`,
    `ALTER TABLE user ADD COLUMN upload_role INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE user ADD COLUMN playlist_role INTEGER NOT NULL DEFAULT 1`,
    `ALTER TABLE user ADD COLUMN cover_art_role INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE user ADD COLUMN comment_role INTEGER NOT NULL DEFAULT 1`,
    `ALTER TABLE user ADD COLUMN podcast_role INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE user ADD COLUMN share_role INTEGER NOT NULL DEFAULT 1`,
    `ALTER TABLE user ADD COLUMN video_conversion_role INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE user ADD COLUMN scrobbling_enabled INTEGER NOT NULL DEFAULT 1`,
    `ALTER TABLE user ADD COLUMN max_bit_rate INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE user ADD COLUMN avatar_changed_at INTEGER`,
    `ALTER TABLE user ADD COLUMN password_enc TEXT`,
    `CREATE TABLE user_library (
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      library_id INTEGER NOT NULL REFERENCES library(id) ON DELETE CASCADE,
      PRIMARY KEY (user_id, library_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX user_library_by_library ON user_library (library_id)`,
    `INSERT INTO user_library (user_id, library_id) SELECT user.id, library.id FROM user, library`,
    `CREATE TRIGGER library_granted_to_admins AFTER INSERT ON library BEGIN
      INSERT OR IGNORE INTO user_library (user_id, library_id)
        SELECT id, NEW.id FROM user
        WHERE is_admin = 1 OR NOT EXISTS (
          SELECT 1 FROM library other WHERE other.id <> NEW.id AND NOT EXISTS (
            SELECT 1 FROM user_library ul WHERE ul.user_id = user.id AND ul.library_id = other.id));
    END`,
    `CREATE TABLE api_key (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      name TEXT NOT NULL DEFAULT '',
      key_hash TEXT NOT NULL UNIQUE,
      prefix TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER
    ) WITHOUT ROWID`,
    `CREATE INDEX api_key_by_user ON api_key (user_id)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
