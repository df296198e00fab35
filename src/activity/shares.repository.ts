// Shares (public links to a fixed list of tracks) and their items.
import type { Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ShareTable } from '../db/schema.ts';

export type ShareRow = Selectable<ShareTable> & { username: string };

function shareQuery(db: Database) {
  return db.kysely
    .selectFrom('share')
    .innerJoin('user', 'user.id', 'share.user_id')
    .selectAll('share')
    .select('user.username');
}

export function insertShareRow(
  db: Database,
  row: { id: string; user_id: string; description: string; created_at: number; expires_at: number | null },
  trackIds: readonly string[],
): void {
  db.run(db.kysely.insertInto('share').values(row));
  const insert = db.prepare('INSERT INTO share_item (share_id, position, track_id) VALUES (?, ?, ?)');
  for (const [position, trackId] of trackIds.entries()) insert.run(row.id, position, trackId);
}

export function findShareRow(db: Database, id: string): ShareRow | undefined {
  return db.first(shareQuery(db).where('share.id', '=', id));
}

export function listShareRows(db: Database, userId: string): ShareRow[] {
  return db.all(shareQuery(db).where('share.user_id', '=', userId).orderBy('share.created_at', 'desc'));
}

export function shareTrackIds(db: Database, shareId: string): string[] {
  return db
    .all(
      db.kysely
        .selectFrom('share_item')
        .select('track_id')
        .where('share_id', '=', shareId)
        .orderBy('position'),
    )
    .map((row) => row.track_id);
}

export function shareHasTrack(db: Database, shareId: string, trackId: string): boolean {
  return (
    db.first(
      db.kysely
        .selectFrom('share_item')
        .select('position')
        .where('share_id', '=', shareId)
        .where('track_id', '=', trackId)
        .limit(1),
    ) !== undefined
  );
}

export function updateShareRow(
  db: Database,
  id: string,
  changes: { description?: string; expires_at?: number | null },
): void {
  if (Object.keys(changes).length === 0) return;
  db.run(db.kysely.updateTable('share').set(changes).where('id', '=', id));
}

export function recordShareVisit(db: Database, id: string, at: number): void {
  db.run(
    db.kysely
      .updateTable('share')
      .set((eb) => ({ visit_count: eb('visit_count', '+', 1), last_visited_at: at }))
      .where('id', '=', id),
  );
}

export function deleteShareRow(db: Database, id: string): void {
  db.run(db.kysely.deleteFrom('share').where('id', '=', id));
}
