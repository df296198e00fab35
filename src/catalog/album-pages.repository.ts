// Pages of albums (pages.ts) in each sort, through the keyset engine. Every sort walks an index in its
// order: album_order, album_artist_order, album_year and album_created (migration 0001), the viewer's
// annotation indexes (0004); random walks the table once per page (a seeded shuffle has no index).
import type { Database } from '../db/database.ts';
import { markWalk, ratedAtLeast, starredBy } from './annotations.repository.ts';
import {
  and,
  type Direction,
  type KeysetList,
  type KeysetRow,
  keysetPage,
  type Position,
} from './keyset.repository.ts';
import type { Viewer } from './model.ts';
import type { AlbumFilter, AlbumSort } from './sorts.ts';
import { type SqlCondition, visibleIn } from './visibility.repository.ts';

const column = (sql: string) => ({ sql });

const INDEXED: Partial<Record<AlbumSort, KeysetList['segments']>> = {
  name: [{ columns: [column('al.order_name'), column('al.id')] }],
  artist: [{ columns: [column('al.order_artist_name'), column('al.order_name'), column('al.id')] }],
  // Albums without a year last, whichever way.
  year: [
    { where: 'al.year IS NOT NULL', columns: [column('al.year'), column('al.id')] },
    { where: 'al.year IS NULL', columns: [column('al.id')] },
  ],
  recentlyAdded: [{ columns: [column('al.created_at'), column('al.id')] }],
};

/**
 * A seeded shuffle of the pks: a multiplicative hash (odd multiplier, mod 2^32, so no two pks collide)
 * xor the seed (SQLite has no xor operator: a|b - a&b), hashed again. The seed changes the order itself,
 * not only where it starts; products stay below 2^63.
 */
const SHUFFLED_ALBUMS = `(SELECT *, ((((pk * 2654435761) % 4294967296) | ?) - (((pk * 2654435761) % 4294967296) & ?))
  * 1597334677 % 4294967296 AS shuffle FROM album) al`;

export function albumPageRows(
  db: Database,
  viewer: Viewer,
  filter: AlbumFilter,
  sort: AlbumSort,
  direction: Direction,
  seed: number,
  after: Position | undefined,
  limit: number,
): KeysetRow[] {
  const conditions = albumConditions(viewer, filter);
  let list: KeysetList;
  const indexed = INDEXED[sort];
  if (indexed) {
    list = { from: 'album al', id: 'al.id', conditions, segments: indexed };
  } else if (sort === 'random') {
    list = {
      from: SHUFFLED_ALBUMS,
      fromParams: [seed, seed],
      id: 'al.id',
      conditions,
      segments: [{ columns: [column('al.shuffle'), column('al.id')] }],
    };
  } else {
    const walk = markWalk(
      viewer.userId,
      'al',
      'album al ON al.id = a.item_id',
      sort === 'recentlyPlayed' ? 'lastPlayed' : (sort as 'playCount' | 'starredAt' | 'rating'),
    );
    list = { ...walk, conditions: [walk.condition, ...conditions] };
  }
  return keysetPage(db, list, direction, after, limit);
}

function albumConditions(viewer: Viewer, filter: AlbumFilter): SqlCondition[] {
  const conditions = [visibleIn(viewer.libraryIds, 'album', 'al')];
  if (filter.artistId !== undefined)
    conditions.push(
      and(
        '(al.artist_id = ? OR al.id IN (SELECT aa.album_id FROM album_artist aa WHERE aa.artist_id = ?))',
        filter.artistId,
        filter.artistId,
      ),
    );
  if (filter.genre !== undefined)
    conditions.push(
      and(
        'al.id IN (SELECT ag.album_id FROM album_genre ag JOIN genre g ON g.id = ag.genre_id WHERE g.name = ?)',
        filter.genre,
      ),
    );
  if (filter.yearFrom !== undefined) conditions.push(and('al.year >= ?', filter.yearFrom));
  if (filter.yearTo !== undefined) conditions.push(and('al.year <= ?', filter.yearTo));
  if (filter.compilation !== undefined)
    conditions.push(and('al.compilation = ?', filter.compilation ? 1 : 0));
  if (filter.starred !== undefined) conditions.push(starredBy(viewer.userId, 'al.id', filter.starred));
  if (filter.minRating !== undefined) conditions.push(ratedAtLeast(viewer.userId, 'al.id', filter.minRating));
  return conditions;
}
