// The one saved play queue per user.
import type { Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { PlayQueueTable } from '../db/schema.ts';

export type PlayQueueRow = Selectable<PlayQueueTable>;

export function findPlayQueueRow(db: Database, userId: string): PlayQueueRow | undefined {
  return db.first(db.kysely.selectFrom('play_queue').selectAll().where('user_id', '=', userId));
}

export function upsertPlayQueueRow(db: Database, row: PlayQueueRow): void {
  db.run(
    db.kysely
      .insertInto('play_queue')
      .values(row)
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({
          track_ids: row.track_ids,
          current_index: row.current_index,
          position_ms: row.position_ms,
          changed_at: row.changed_at,
          changed_by: row.changed_by,
        }),
      ),
  );
}

export function deletePlayQueueRow(db: Database, userId: string): void {
  db.run(db.kysely.deleteFrom('play_queue').where('user_id', '=', userId));
}
