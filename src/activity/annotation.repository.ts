// Per-user annotations (stars, ratings, play counts) and the listening-event log.
import type { Database } from '../db/database.ts';

export function setStarredAt(db: Database, userId: string, itemId: string, starredAt: number | null): void {
  db.run(
    db.kysely
      .insertInto('annotation')
      .values({ user_id: userId, item_id: itemId, starred_at: starredAt, last_played_at: null, rating: null })
      .onConflict((oc) => oc.columns(['user_id', 'item_id']).doUpdateSet({ starred_at: starredAt })),
  );
}

export function setRatingValue(db: Database, userId: string, itemId: string, rating: number | null): void {
  db.run(
    db.kysely
      .insertInto('annotation')
      .values({ user_id: userId, item_id: itemId, rating, starred_at: null, last_played_at: null })
      .onConflict((oc) => oc.columns(['user_id', 'item_id']).doUpdateSet({ rating })),
  );
}

/** play_count + 1; last_played_at only moves forward (an offline play reported late is older). */
export function addPlay(db: Database, userId: string, itemId: string, playedAt: number): void {
  db.prepare(
    `INSERT INTO annotation (user_id, item_id, play_count, last_played_at) VALUES (?, ?, 1, ?)
     ON CONFLICT (user_id, item_id) DO UPDATE SET play_count = play_count + 1,
       last_played_at = max(coalesce(last_played_at, 0), excluded.last_played_at)`,
  ).run(userId, itemId, playedAt);
}

export function insertPlayEvent(
  db: Database,
  event: { userId: string; trackId: string; playedAt: number; client: string; source: string },
): void {
  db.run(
    db.kysely.insertInto('play_event').values({
      user_id: event.userId,
      track_id: event.trackId,
      played_at: event.playedAt,
      client: event.client,
      source: event.source,
    }),
  );
}

/** Item ids among `ids` that the user has an annotation row for (unstar of a vanished file). */
export function annotatedItemIds(db: Database, userId: string, ids: readonly string[]): Set<string> {
  return new Set(findAnnotations(db, userId, ids).keys());
}

export interface AnnotationRow {
  item_id: string;
  play_count: number;
  last_played_at: number | null;
  starred_at: number | null;
  rating: number | null;
}

export function findAnnotations(
  db: Database,
  userId: string,
  ids: readonly string[],
): Map<string, AnnotationRow> {
  const out = new Map<string, AnnotationRow>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = db.all(
      db.kysely
        .selectFrom('annotation')
        .select(['item_id', 'play_count', 'last_played_at', 'starred_at', 'rating'])
        .where('user_id', '=', userId)
        .where('item_id', 'in', unique.slice(i, i + 500)),
    );
    for (const row of rows) out.set(row.item_id, row);
  }
  return out;
}
