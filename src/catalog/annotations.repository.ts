// One user's marks on catalog items (stars, ratings, plays), as the catalog's answers show them. The
// activity module writes them (activity/annotation.repository.ts); the catalog only reads.
import type { Database } from '../db/database.ts';
import type { Annotation } from './model.ts';

interface AnnotationRow {
  item_id: string;
  starred_at: number | null;
  rating: number | null;
  play_count: number;
  last_played_at: number | null;
}

/** The user's annotations of the given items, by item id; items without one are absent. */
export function annotationsFor(
  db: Database,
  userId: string,
  ids: readonly string[],
): Map<string, Annotation> {
  const result = new Map<string, Annotation>();
  if (ids.length === 0) return result;
  const rows = db
    .prepare(
      'SELECT item_id, starred_at, rating, play_count, last_played_at FROM annotation WHERE user_id = ? AND item_id IN (SELECT value FROM json_each(?))',
    )
    .all(userId, JSON.stringify(ids)) as AnnotationRow[];
  for (const row of rows) {
    result.set(row.item_id, {
      starredAt: row.starred_at,
      rating: row.rating,
      playCount: row.play_count,
      playedAt: row.last_played_at,
    });
  }
  return result;
}

/** Ids of one kind (`ar`, `al`, `tr`) the user starred, most recent first. */
export function starredIds(db: Database, userId: string, prefix: 'ar' | 'al' | 'tr'): string[] {
  return (
    db
      .prepare(
        `SELECT item_id FROM annotation WHERE user_id = ? AND starred_at IS NOT NULL AND item_id >= ? AND item_id < ?
         ORDER BY starred_at DESC, item_id DESC`,
      )
      .pluck()
      // A prefix range ("ar-" up to "ar.", '.' sorts right after '-') instead of LIKE, which ignores indexes.
      .all(userId, `${prefix}-`, `${prefix}.`) as string[]
  );
}

/** Where a page of starred items ends: they are listed most recently starred first, then by id descending. */
export interface StarredKey {
  starredAt: number;
  id: string;
}

/** One batch of starredIds (same order), after `after` when given. */
export function starredIdsAfter(
  db: Database,
  userId: string,
  prefix: 'ar' | 'al' | 'tr',
  after: StarredKey | undefined,
  limit: number,
): StarredKey[] {
  const keyset = after ? ' AND (starred_at < ? OR (starred_at = ? AND item_id < ?))' : '';
  const keys = after ? [after.starredAt, after.starredAt, after.id] : [];
  const rows = db
    .prepare(
      `SELECT item_id, starred_at FROM annotation WHERE user_id = ? AND starred_at IS NOT NULL AND item_id >= ? AND item_id < ?${keyset}
       ORDER BY starred_at DESC, item_id DESC LIMIT ?`,
    )
    .all(userId, `${prefix}-`, `${prefix}.`, ...keys, limit) as { item_id: string; starred_at: number }[];
  return rows.map((row) => ({ starredAt: row.starred_at, id: row.item_id }));
}
