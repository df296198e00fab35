// Album and song lists: getAlbumList(2) types, random songs, songs by genre, starred items. Every list
// first selects ids in a fixed order (id is always the last tie-breaker, so pages never overlap), then
// loads the objects by id. ORDER BY clauses come from the fixed table below, never from user input.
import type { Database } from '../db/database.ts';
import { albumVisible, libraryFilter, loadAlbums, loadArtists, loadTracks } from './items.repository.ts';
import type { Album, Artist, Track, Viewer } from './model.ts';

export const ALBUM_LIST_TYPES = [
  'random',
  'newest',
  'highest',
  'frequent',
  'recent',
  'alphabeticalByName',
  'alphabeticalByArtist',
  'starred',
  'byYear',
  'byGenre',
] as const;
export type AlbumListType = (typeof ALBUM_LIST_TYPES)[number];

export function isAlbumListType(type: string): type is AlbumListType {
  return (ALBUM_LIST_TYPES as readonly string[]).includes(type);
}

export interface AlbumListQuery {
  type: AlbumListType;
  size: number;
  offset: number;
  /** byYear: both required by the handler; fromYear > toYear lists newest first. */
  fromYear?: number;
  toYear?: number;
  /** byGenre: the genre name as getGenres returns it. */
  genre?: string;
}

interface ListSql {
  /** FROM clause and joins; the album is always `al`. */
  from: string;
  where: string;
  params: unknown[];
  order: string;
}

// Annotation lists walk the viewer's annotation rows through the (user_id, <column>) indexes of migration
// 0004; the direction of item_id follows the column's so one backward index scan gives the order.
function annotationList(userId: string, condition: string, order: string): ListSql {
  return {
    from: 'annotation a JOIN album al ON al.id = a.item_id',
    where: `a.user_id = ? AND ${condition}`,
    params: [userId],
    order,
  };
}

function albumListSql(query: AlbumListQuery, viewer: Viewer): ListSql {
  const plain = (order: string, where = '1', params: unknown[] = []): ListSql => ({
    from: 'album al',
    where,
    params,
    order,
  });
  switch (query.type) {
    case 'random':
      return plain('random()');
    case 'newest':
      return plain('al.created_at DESC, al.id DESC');
    case 'alphabeticalByName':
      return plain('al.order_name, al.id');
    case 'alphabeticalByArtist':
      return plain('al.order_artist_name, al.order_name, al.id');
    case 'byYear': {
      const from = query.fromYear!;
      const to = query.toYear!;
      const where = 'al.year BETWEEN ? AND ?';
      return from <= to
        ? plain('al.year, al.id', where, [from, to])
        : plain('al.year DESC, al.id DESC', where, [to, from]);
    }
    case 'byGenre':
      return plain(
        'al.order_name, al.id',
        'al.id IN (SELECT ag.album_id FROM album_genre ag JOIN genre g ON g.id = ag.genre_id WHERE g.name = ?)',
        [query.genre],
      );
    case 'highest':
      return annotationList(viewer.userId, 'a.rating > 0', 'a.rating DESC, a.item_id DESC');
    case 'frequent':
      return annotationList(viewer.userId, 'a.play_count > 0', 'a.play_count DESC, a.item_id DESC');
    case 'recent':
      return annotationList(
        viewer.userId,
        'a.last_played_at IS NOT NULL',
        'a.last_played_at DESC, a.item_id DESC',
      );
    case 'starred':
      return annotationList(viewer.userId, 'a.starred_at IS NOT NULL', 'a.starred_at DESC, a.item_id DESC');
  }
}

/** One page of an album list and the length of the whole list (for x-total-count). */
export function albumList(
  db: Database,
  viewer: Viewer,
  query: AlbumListQuery,
): { albums: Album[]; total: number } {
  const sql = albumListSql(query, viewer);
  const visible = albumVisible(viewer);
  const base = `FROM ${sql.from} WHERE ${sql.where}${visible.sql}`;
  const ids = db
    .prepare(`SELECT al.id ${base} ORDER BY ${sql.order} LIMIT ? OFFSET ?`)
    .pluck()
    .all(...sql.params, ...visible.params, query.size, query.offset) as string[];
  const total =
    (db
      .prepare(`SELECT count(*) ${base}`)
      .pluck()
      .get(...sql.params, ...visible.params) as number) ?? 0;
  return { albums: loadAlbums(db, ids, viewer), total };
}

export interface RandomSongsQuery {
  size: number;
  genre?: string;
  fromYear?: number;
  toYear?: number;
}

export function randomSongs(db: Database, viewer: Viewer, query: RandomSongsQuery): Track[] {
  const conditions: string[] = ['1'];
  const params: unknown[] = [];
  if (query.genre !== undefined) {
    conditions.push(
      't.id IN (SELECT tg.track_id FROM track_genre tg JOIN genre g ON g.id = tg.genre_id WHERE g.name = ?)',
    );
    params.push(query.genre);
  }
  if (query.fromYear !== undefined) {
    conditions.push('t.year >= ?');
    params.push(query.fromYear);
  }
  if (query.toYear !== undefined) {
    conditions.push('t.year <= ?');
    params.push(query.toYear);
  }
  const filter = libraryFilter(viewer, 't.library_id');
  const ids = db
    .prepare(
      `SELECT t.id FROM track t WHERE ${conditions.join(' AND ')}${filter.sql} ORDER BY random() LIMIT ?`,
    )
    .pluck()
    .all(...params, ...filter.params, query.size) as string[];
  return loadTracks(db, ids, viewer);
}

/** Songs of one genre (exact name), in id order: the genre index hands them out already sorted. */
export function songsByGenre(
  db: Database,
  viewer: Viewer,
  genre: string,
  count: number,
  offset: number,
): Track[] {
  const filter = libraryFilter(viewer, 't.library_id');
  const ids = db
    .prepare(
      `SELECT tg.track_id FROM track_genre tg JOIN track t ON t.id = tg.track_id
       WHERE tg.genre_id = (SELECT g.id FROM genre g WHERE g.name = ?)${filter.sql}
       ORDER BY tg.track_id LIMIT ? OFFSET ?`,
    )
    .pluck()
    .all(genre, ...filter.params, count, offset) as string[];
  return loadTracks(db, ids, viewer);
}

export interface Starred {
  artists: Artist[];
  albums: Album[];
  tracks: Track[];
}

/** What the viewer starred, most recent first; items in libraries they may not see are left out by the loaders. */
export function starredItems(db: Database, viewer: Viewer): Starred {
  const ids = (prefix: string) =>
    db
      .prepare(
        `SELECT item_id FROM annotation WHERE user_id = ? AND starred_at IS NOT NULL AND item_id >= ? AND item_id < ?
         ORDER BY starred_at DESC, item_id DESC`,
      )
      .pluck()
      // A prefix range ("ar-" up to "ar.", '.' sorts right after '-') instead of LIKE, which ignores indexes.
      .all(viewer.userId, `${prefix}-`, `${prefix}.`) as string[];
  return {
    artists: loadArtists(db, ids('ar'), viewer),
    albums: loadAlbums(db, ids('al'), viewer),
    tracks: loadTracks(db, ids('tr'), viewer),
  };
}
