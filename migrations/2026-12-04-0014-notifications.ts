// Notifications (issue 14): messages kept for one user until read, first of all "a followed artist has a
// new album" (src/activity/follows.ts). One per user, kind and subject: a release announced twice (a
// rescan, a retried job) is one notification. Frozen once shipped.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    `CREATE TABLE notification (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      kind TEXT NOT NULL,
      subject_type TEXT NOT NULL,
      subject_id TEXT NOT NULL,
      title TEXT NOT NULL,
      message TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      read_at INTEGER,
      UNIQUE (user_id, kind, subject_id)
    ) WITHOUT ROWID`,
    `CREATE INDEX notification_by_user ON notification (user_id, created_at, id)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
