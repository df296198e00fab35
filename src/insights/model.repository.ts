// What the recompute jobs read and write (migration 0015): the plays of the users who share their
// listening, the models' neighbour lists, the totals per track, album and artist, and the trends.
import type { Database } from '../db/database.ts';

/** The users who share their listening (their plays make the models), by pk. */
export function sharingUserPks(db: Database): number[] {
  return db.prepare('SELECT pk FROM user WHERE share_listening = 1 ORDER BY pk').pluck().all() as number[];
}

/** How many plays the users who share their listening have (the size of the models' timeline). */
export function sharedPlayCount(db: Database): number {
  return db
    .prepare(
      'SELECT count(*) FROM play_timeline WHERE user_pk IN (SELECT pk FROM user WHERE share_listening = 1)',
    )
    .pluck()
    .get() as number;
}

/** Visits one user's plays in time order, from `since` when given: (startedAt, itemPk). */
export function eachPlayOf(
  db: Database,
  userPk: number,
  visit: (startedAt: number, itemPk: number) => void,
  since = Number.MIN_SAFE_INTEGER,
): void {
  for (const [startedAt, itemPk] of db
    .prepare('SELECT started_at, item_pk FROM play_timeline WHERE user_pk = ? AND started_at >= ?')
    .raw(true)
    .iterate(userPk, since) as IterableIterator<[number, number]>)
    visit(startedAt, itemPk);
}

/** The models' items: [itemPk, trackId, albumId, artistId] (null when the catalog never had the track). */
export function insightItems(db: Database): [number, string, string | null, string | null][] {
  return db.prepare('SELECT pk, track_id, album_id, artist_id FROM insight_item').raw(true).all() as [
    number,
    string,
    string | null,
    string | null,
  ][];
}

/** Brings the items' albums and artists up to the catalog's (a retagged track moves with it). */
export function refreshItemFacts(db: Database): void {
  db.prepare(
    `UPDATE insight_item SET (album_id, artist_id) = (SELECT t.album_id, t.artist_id FROM track t WHERE t.id = insight_item.track_id)
     WHERE EXISTS (SELECT 1 FROM track t WHERE t.id = insight_item.track_id
       AND (t.album_id IS NOT insight_item.album_id OR t.artist_id IS NOT insight_item.artist_id))`,
  ).run();
}

export type NeighbourTable = 'track_similar' | 'artist_similar';
const KEY_COLUMN: Record<NeighbourTable, string> = { track_similar: 'track_id', artist_similar: 'artist_id' };

/** The stored neighbours of one item, best first. */
export function neighboursOf(
  db: Database,
  table: NeighbourTable,
  itemId: string,
  limit: number,
): { id: string; score: number }[] {
  return db
    .prepare(
      `SELECT similar_id AS id, score FROM ${table} WHERE ${KEY_COLUMN[table]} = ? ORDER BY score DESC, similar_id LIMIT ?`,
    )
    .all(itemId, limit) as { id: string; score: number }[];
}

/** The stored neighbours of several items at once: [item, neighbour, score]. */
export function neighboursOfMany(
  db: Database,
  table: NeighbourTable,
  itemIds: readonly string[],
): [string, string, number][] {
  if (itemIds.length === 0) return [];
  return db
    .prepare(
      `SELECT ${KEY_COLUMN[table]}, similar_id, score FROM ${table} WHERE ${KEY_COLUMN[table]} IN (SELECT value FROM json_each(?))`,
    )
    .raw(true)
    .all(JSON.stringify(itemIds)) as [string, string, number][];
}

export function neighbourListCount(db: Database, table: NeighbourTable): number {
  return db.prepare(`SELECT count(DISTINCT ${KEY_COLUMN[table]}) FROM ${table}`).pluck().get() as number;
}

export interface DirtyPlay {
  pk: number;
  /** Null when the listen is gone (a history forgotten since). */
  userPk: number | null;
  trackId: string | null;
  startedAt: number | null;
}

/** Finished plays not yet taken in by the models, oldest listens first. */
export function dirtyPlays(db: Database, limit: number): DirtyPlay[] {
  return db
    .prepare(
      `SELECT d.listen_pk AS pk, u.pk AS userPk, l.track_id AS trackId, l.started_at AS startedAt
       FROM insight_dirty d LEFT JOIN listen l ON l.pk = d.listen_pk LEFT JOIN user u ON u.id = l.user_id
       ORDER BY d.listen_pk LIMIT ?`,
    )
    .all(limit) as DirtyPlay[];
}

export function clearDirty(db: Database, pks: readonly number[]): void {
  db.prepare('DELETE FROM insight_dirty WHERE listen_pk IN (SELECT value FROM json_each(?))').run(
    JSON.stringify(pks),
  );
}

/** Every play waiting to be taken in (listen pks). */
export function dirtyListenPks(db: Database): number[] {
  return db.prepare('SELECT listen_pk FROM insight_dirty').pluck().all() as number[];
}

export function dirtyCount(db: Database): number {
  return db.prepare('SELECT count(*) FROM insight_dirty').pluck().get() as number;
}

const SHARED = 'JOIN user u ON u.id = s.user_id AND u.share_listening = 1';
const SUMS = `sum(s.listens), sum(s.plays), sum(s.skips), sum(s.listened_ms), count(DISTINCT CASE WHEN s.plays > 0 THEN s.user_id END)`;
const IN_LIST = 'IN (SELECT value FROM json_each(?))';

/**
 * Rewrites the totals per track, album and artist from the per-user counts of sharing users; with
 * `trackIds`, only those tracks' rows and their albums' and artists'. Albums and artists are the items'
 * (insight_item): the totals never read the catalog's wide track rows.
 */
export function recomputeTotals(db: Database, trackIds?: readonly string[]): void {
  const insert =
    'INSERT INTO insight_total (kind, subject_id, listens, plays, skips, listened_ms, listeners)';
  if (!trackIds) {
    db.prepare('DELETE FROM insight_total').run();
    db.prepare(
      `${insert} SELECT 'track', s.track_id, ${SUMS} FROM listen_stat s ${SHARED} GROUP BY s.track_id`,
    ).run();
    // In the items' album (artist) order, so grouping needs no sort of every row in memory.
    for (const kind of ['album', 'artist'] as const)
      db.prepare(
        `${insert} SELECT '${kind}', i.${kind}_id, ${SUMS} FROM insight_item i INDEXED BY insight_item_${kind}
         JOIN listen_stat s ON s.track_id = i.track_id ${SHARED} WHERE i.${kind}_id IS NOT NULL GROUP BY i.${kind}_id`,
      ).run();
    return;
  }
  if (trackIds.length === 0) return;
  const tracks = JSON.stringify(trackIds);
  db.prepare(`DELETE FROM insight_total WHERE kind = 'track' AND subject_id ${IN_LIST}`).run(tracks);
  db.prepare(
    `${insert} SELECT 'track', s.track_id, ${SUMS} FROM listen_stat s ${SHARED} WHERE s.track_id ${IN_LIST} GROUP BY s.track_id`,
  ).run(tracks);
  for (const kind of ['album', 'artist'] as const) {
    const subjects = JSON.stringify(
      db
        .prepare(
          `SELECT DISTINCT ${kind}_id FROM insight_item WHERE track_id ${IN_LIST} AND ${kind}_id IS NOT NULL`,
        )
        .pluck()
        .all(tracks),
    );
    db.prepare(`DELETE FROM insight_total WHERE kind = '${kind}' AND subject_id ${IN_LIST}`).run(subjects);
    db.prepare(
      `${insert} SELECT '${kind}', i.${kind}_id, ${SUMS} FROM insight_item i JOIN listen_stat s ON s.track_id = i.track_id ${SHARED}
       WHERE i.${kind}_id ${IN_LIST} GROUP BY i.${kind}_id`,
    ).run(subjects);
  }
}

export interface TrendRow {
  period: 'day' | 'week' | 'month';
  kind: 'track' | 'album' | 'artist';
  rank: number;
  subjectId: string;
  score: number;
  plays: number;
  listeners: number;
}

/** When the trends were last computed (0: never). */
export function trendsComputedAt(db: Database): number {
  return (db.prepare('SELECT max(computed_at) FROM trend').pluck().get() as number | null) ?? 0;
}

export function replaceTrends(db: Database, rows: readonly TrendRow[], computedAt: number): void {
  db.prepare('DELETE FROM trend').run();
  const insert = db.prepare(
    'INSERT INTO trend (period, kind, rank, subject_id, score, plays, listeners, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const row of rows)
    insert.run(
      row.period,
      row.kind,
      row.rank,
      row.subjectId,
      row.score,
      row.plays,
      row.listeners,
      computedAt,
    );
}

/**
 * Makes an item's stored neighbour list the given one, writing only what differs (a list that barely
 * moved costs a read, not fifty writes). Returns the rows written.
 */
export function updateNeighbours(
  db: Database,
  table: NeighbourTable,
  itemId: string,
  neighbours: readonly { id: string; score: number }[],
  computedAt: number,
): number {
  const key = KEY_COLUMN[table];
  const stored = new Map(
    db.prepare(`SELECT similar_id, score FROM ${table} WHERE ${key} = ?`).raw(true).all(itemId) as [
      string,
      number,
    ][],
  );
  let written = 0;
  const upsert = db.prepare(
    `INSERT INTO ${table} (${key}, similar_id, score, computed_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (${key}, similar_id) DO UPDATE SET score = excluded.score, computed_at = excluded.computed_at`,
  );
  for (const neighbour of neighbours) {
    if (stored.get(neighbour.id) !== neighbour.score) {
      upsert.run(itemId, neighbour.id, neighbour.score, computedAt);
      written++;
    }
    stored.delete(neighbour.id);
  }
  if (stored.size > 0) {
    db.prepare(
      `DELETE FROM ${table} WHERE ${key} = ? AND similar_id IN (SELECT value FROM json_each(?))`,
    ).run(itemId, JSON.stringify([...stored.keys()]));
    written += stored.size;
  }
  return written;
}

/** Drops the lists of items that are not among `itemIds` (nobody plays them any more); returns how many rows. */
export function dropNeighboursExcept(
  db: Database,
  table: NeighbourTable,
  itemIds: readonly string[],
): number {
  return db
    .prepare(`DELETE FROM ${table} WHERE ${KEY_COLUMN[table]} NOT IN (SELECT value FROM json_each(?))`)
    .run(JSON.stringify(itemIds)).changes;
}
