// Pages of tracks (pages.ts) in each sort, through the keyset engine. Sorts by album or artist walk the
// albums in their order (album_order, album_artist_order) and each album's tracks in the album-track
// order, so an album's tracks stay together and in play order whichever way the albums go; year walks
// track_year_album (migration 0010) the same way; title, recentlyAdded and duration walk their own
// indexes; the marks walk the viewer's annotation indexes.
import { ALBUM_TRACK_ORDER_COLUMNS } from '../db/album-track-order.ts';
import type { Database } from '../db/database.ts';
import { markWalk, starredBy } from './annotations.repository.ts';
import {
  and,
  type Direction,
  type KeyColumn,
  type KeysetList,
  type KeysetRow,
  keysetPage,
  type Position,
} from './keyset.repository.ts';
import type { Viewer } from './model.ts';
import type { TrackFilter, TrackSort } from './sorts.ts';
import { type SqlCondition, visibleIn } from './visibility.repository.ts';

const column = (sql: string): KeyColumn => ({ sql });

/**
 * The album-track order (db/album-track-order.ts) as key columns, always ascending. Tags without a track
 * number leave it NULL, which SQLite sorts first; -1 (numbers are positive) keeps that order and keeps
 * NULL out of the keyset comparison.
 */
const IN_ALBUM: readonly KeyColumn[] = ALBUM_TRACK_ORDER_COLUMNS.map((name) => ({
  sql: name === 'track_number' ? 'ifnull(t.track_number, -1)' : `t.${name}`,
  ascending: true,
}));

// CROSS JOIN fixes which table is outside (SQLite never reorders it). Without statistics (no ANALYZE)
// the planner would rather walk all tracks by album_id and sort them whole for every page, so the albums
// go outside, walked in order; but when the tracks are picked by album or artist (a few dozen), they go
// outside, found through their indexes, and only they are sorted.
const ALBUMS_THEN_TRACKS = 'album al CROSS JOIN track t ON t.album_id = al.id';
const PICKED_TRACKS_THEN_ALBUMS = 'track t CROSS JOIN album al ON al.id = t.album_id';

const SORTS: Partial<Record<TrackSort, Pick<KeysetList, 'from' | 'segments'>>> = {
  title: { from: 'track t', segments: [{ columns: [column('t.order_title'), column('t.id')] }] },
  recentlyAdded: { from: 'track t', segments: [{ columns: [column('t.created_at'), column('t.id')] }] },
  duration: { from: 'track t', segments: [{ columns: [column('t.duration'), column('t.id')] }] },
  album: {
    from: ALBUMS_THEN_TRACKS,
    segments: [{ columns: [column('al.order_name'), column('al.id'), ...IN_ALBUM], seek: 2 }],
  },
  artist: {
    from: ALBUMS_THEN_TRACKS,
    segments: [
      {
        columns: [column('al.order_artist_name'), column('al.order_name'), column('al.id'), ...IN_ALBUM],
        seek: 3,
      },
    ],
  },
  // The track's own year; tracks without one last, whichever way.
  year: {
    from: 'track t',
    segments: [
      {
        where: 't.year IS NOT NULL',
        columns: [column('t.year'), column('t.album_id'), ...IN_ALBUM],
        seek: 2,
      },
      { where: 't.year IS NULL', columns: [column('t.album_id'), ...IN_ALBUM], seek: 1 },
    ],
  },
};

export function trackPageRows(
  db: Database,
  viewer: Viewer,
  filter: TrackFilter,
  sort: TrackSort,
  direction: Direction,
  after: Position | undefined,
  limit: number,
): KeysetRow[] {
  const conditions = trackConditions(viewer, filter);
  const indexed = SORTS[sort];
  let list: KeysetList;
  if (indexed) {
    const picked = filter.albumId !== undefined || filter.artistId !== undefined;
    const from = indexed.from === ALBUMS_THEN_TRACKS && picked ? PICKED_TRACKS_THEN_ALBUMS : indexed.from;
    list = { ...indexed, from, id: 't.id', conditions };
  } else {
    const walk = markWalk(
      viewer.userId,
      'tr',
      'track t ON t.id = a.item_id',
      sort as 'playCount' | 'lastPlayed' | 'starredAt' | 'rating',
    );
    list = { ...walk, conditions: [walk.condition, ...conditions] };
  }
  return keysetPage(db, list, direction, after, limit);
}

function trackConditions(viewer: Viewer, filter: TrackFilter): SqlCondition[] {
  const conditions = [visibleIn(viewer.libraryIds, 'track', 't')];
  if (filter.albumId !== undefined) conditions.push(and('t.album_id = ?', filter.albumId));
  if (filter.artistId !== undefined)
    conditions.push(
      and(
        `(t.artist_id = ?
          OR t.id IN (SELECT ta.track_id FROM track_artist ta WHERE ta.artist_id = ? AND ta.role = 'artist')
          OR t.album_id IN (SELECT aa.album_id FROM album_artist aa WHERE aa.artist_id = ?))`,
        filter.artistId,
        filter.artistId,
        filter.artistId,
      ),
    );
  if (filter.genre !== undefined)
    conditions.push(
      and(
        't.id IN (SELECT tg.track_id FROM track_genre tg JOIN genre g ON g.id = tg.genre_id WHERE g.name = ?)',
        filter.genre,
      ),
    );
  if (filter.yearFrom !== undefined) conditions.push(and('t.year >= ?', filter.yearFrom));
  if (filter.yearTo !== undefined) conditions.push(and('t.year <= ?', filter.yearTo));
  if (filter.lossless !== undefined) conditions.push(and('t.lossless = ?', filter.lossless ? 1 : 0));
  if (filter.starred !== undefined) conditions.push(starredBy(viewer.userId, 't.id', filter.starred));
  return conditions;
}
