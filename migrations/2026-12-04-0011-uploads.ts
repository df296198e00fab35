// Uploads (issue 13): who uploaded which file. The file itself lies in the upload folder of a library
// (<folder>/<username>/<name>, path relative to the library root as tracks have it); the track it became
// is found by that path, so a rescan or a rebuilt catalog never leaves this table pointing at a stale id.
// A user's deletion forgets their rows, not the files (they are music in a library by then). Frozen once
// shipped.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    `CREATE TABLE upload (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      library_id INTEGER NOT NULL REFERENCES library(id) ON DELETE CASCADE,
      path TEXT NOT NULL,
      original_name TEXT NOT NULL,
      size INTEGER NOT NULL,
      content_type TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (library_id, path)
    ) WITHOUT ROWID`,
    `CREATE INDEX upload_by_user ON upload (user_id, created_at, id)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
