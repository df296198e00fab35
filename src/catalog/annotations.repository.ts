// One user's marks on catalog items (stars, ratings, plays), as the catalog's answers show them. The
// activity module writes them (activity/annotation.repository.ts); the catalog only reads.
import type { Database } from '../db/database.ts';
import { and, type KeysetList } from './keyset.repository.ts';
import type { Annotation } from './model.ts';
import type { SqlCondition } from './visibility.repository.ts';

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

// ---------------------------------------------------------------------------------------------------
// The viewer's marks in paged lists (the *-pages repositories).

/** The annotation columns a list can be sorted by, each with the condition of the rows that have it. */
const MARKS = {
  playCount: { column: 'a.play_count', has: 'a.play_count > 0' },
  lastPlayed: { column: 'a.last_played_at', has: 'a.last_played_at IS NOT NULL' },
  starredAt: { column: 'a.starred_at', has: 'a.starred_at IS NOT NULL' },
  rating: { column: 'a.rating', has: 'a.rating > 0' },
} as const;

export type Mark = keyof typeof MARKS;

/**
 * A list of the items of one kind the user has the mark on, in the order of the mark: the user's
 * annotation rows are walked through the (user_id, <column>) indexes of migration 0004 (item_id, part of
 * the key, breaks ties) and joined to the catalog table, `join` (e.g. `album al ON al.id = a.item_id`).
 */
export function markWalk(
  userId: string,
  prefix: 'ar' | 'al' | 'tr',
  join: string,
  mark: Mark,
): Pick<KeysetList, 'from' | 'id' | 'segments'> & { condition: SqlCondition } {
  const { column, has } = MARKS[mark];
  return {
    from: `annotation a JOIN ${join}`,
    id: 'a.item_id',
    // A prefix range ("al-" up to "al.") skips the other kinds' rows without a lookup; the unary + keeps
    // SQLite from walking the primary key for it instead of the mark's index (and sorting afterwards).
    condition: and(
      `a.user_id = ? AND +a.item_id >= ? AND +a.item_id < ? AND ${has}`,
      userId,
      `${prefix}-`,
      `${prefix}.`,
    ),
    segments: [{ columns: [{ sql: column }, { sql: 'a.item_id' }] }],
  };
}

/**
 * Items the user starred (or, with `starred` false, did not). `id` is the item id's expression. Starred
 * items are a short list: SQLite looks them up from the user's stars (and sorts them) rather than walking
 * the whole sort index for them.
 */
export function starredBy(userId: string, id: string, starred: boolean): SqlCondition {
  return and(
    `${id} ${starred ? '' : 'NOT '}IN (SELECT s.item_id FROM annotation s WHERE s.user_id = ? AND s.starred_at IS NOT NULL)`,
    userId,
  );
}

/** Items the user rated at least `rating`, looked up from the user's ratings. */
export function ratedAtLeast(userId: string, id: string, rating: number): SqlCondition {
  return and(
    `${id} IN (SELECT r.item_id FROM annotation r WHERE r.user_id = ? AND r.rating >= ?)`,
    userId,
    rating,
  );
}
