// Indexes for the per-user album lists (getAlbumList2 highest / frequent / recent / starred and
// getStarred): each list walks one user's annotations in the order of one column, and these let SQLite
// read them already sorted instead of sorting every annotation of the user. annotation is WITHOUT ROWID,
// so item_id (part of its primary key) is already at the end of each index and breaks ties.
// Frozen once shipped: change indexes in a new file.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    `CREATE INDEX annotation_user_rating ON annotation (user_id, rating)`,
    `CREATE INDEX annotation_user_play_count ON annotation (user_id, play_count)`,
    `CREATE INDEX annotation_user_played ON annotation (user_id, last_played_at)`,
    `CREATE INDEX annotation_user_starred ON annotation (user_id, starred_at)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
