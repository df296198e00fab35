// Bookmarks: one per user and track.
import type { Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { BookmarkTable } from '../db/schema.ts';

export type BookmarkRow = Selectable<BookmarkTable>;

export function upsertBookmarkRow(
  db: Database,
  row: { user_id: string; track_id: string; position_ms: number; comment: string; now: number },
): void {
  db.run(
    db.kysely
      .insertInto('bookmark')
      .values({
        user_id: row.user_id,
        track_id: row.track_id,
        position_ms: row.position_ms,
        comment: row.comment,
        created_at: row.now,
        changed_at: row.now,
      })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'track_id'])
          .doUpdateSet({ position_ms: row.position_ms, comment: row.comment, changed_at: row.now }),
      ),
  );
}

export function listBookmarkRows(db: Database, userId: string): BookmarkRow[] {
  return db.all(
    db.kysely.selectFrom('bookmark').selectAll().where('user_id', '=', userId).orderBy('changed_at', 'desc'),
  );
}

export function deleteBookmarkRow(db: Database, userId: string, trackId: string): number {
  return db.run(
    db.kysely.deleteFrom('bookmark').where('user_id', '=', userId).where('track_id', '=', trackId),
  ).changes;
}
