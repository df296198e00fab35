// Albums: loaded by id with their artists, genres and the viewer's annotation; an artist's albums; the
// album lists (getAlbumList types), each selecting ids in a fixed order before loading; and the few
// facts other modules ask for (which ids exist, an album's cover).
import type { Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { AlbumTable } from '../db/schema.ts';
import { annotationsFor } from './annotations.repository.ts';
import { type Album, type AlbumListQuery, type ArtistRef, NO_ANNOTATION, type Viewer } from './model.ts';
import { type LibraryScope, visibleIn } from './visibility.repository.ts';

type AlbumRow = Pick<
  Selectable<AlbumTable>,
  | 'id'
  | 'name'
  | 'sort_name'
  | 'version'
  | 'artist_id'
  | 'artist_name'
  | 'compilation'
  | 'mbz_album_id'
  | 'year'
  | 'date'
  | 'original_date'
  | 'release_date'
  | 'release_types'
  | 'record_labels'
  | 'genre'
  | 'song_count'
  | 'disc_count'
  | 'duration'
  | 'size'
  | 'disc_titles'
  | 'cover_path'
  | 'cover_track_id'
  | 'created_at'
  | 'updated_at'
  | 'folder_id'
>;

const ALBUM_COLUMNS = `al.id, al.name, al.sort_name, al.version, al.artist_id, al.artist_name, al.compilation, al.mbz_album_id,
  al.year, al.date, al.original_date, al.release_date, al.release_types, al.record_labels, al.genre, al.song_count,
  al.disc_count, al.duration, al.size, al.disc_titles, al.cover_path, al.cover_track_id,
  al.folder_id,
  al.created_at, al.updated_at`;

/** The credited album artists of each album, in credit order. */
export function albumArtistsFor(db: Database, albumIds: readonly string[]): Map<string, ArtistRef[]> {
  const result = new Map<string, ArtistRef[]>();
  if (albumIds.length === 0) return result;
  for (const row of db
    .prepare(
      `SELECT aa.album_id, a.id, a.name FROM album_artist aa JOIN artist a ON a.id = aa.artist_id
       WHERE aa.album_id IN (SELECT value FROM json_each(?)) ORDER BY aa.album_id, aa.position`,
    )
    .all(JSON.stringify(albumIds)) as { album_id: string; id: string; name: string }[]) {
    const list = result.get(row.album_id) ?? [];
    list.push({ id: row.id, name: row.name });
    result.set(row.album_id, list);
  }
  return result;
}

/** Albums in the order of `ids`; ids that do not exist or that the viewer may not see are left out. */
export function loadAlbums(db: Database, ids: readonly string[], viewer: Viewer): Album[] {
  if (ids.length === 0) return [];
  const visible = visibleIn(viewer.libraryIds, 'album', 'al');
  const rows = db
    .prepare(
      `SELECT ${ALBUM_COLUMNS} FROM album al WHERE al.id IN (SELECT value FROM json_each(?))${visible.sql}`,
    )
    .all(JSON.stringify(ids), ...visible.params) as AlbumRow[];
  const found = new Map(albumsFromRows(db, rows, viewer).map((album) => [album.id, album]));
  return ids.map((id) => found.get(id)).filter((album): album is Album => album !== undefined);
}

/** The albums the artist is an album artist of, oldest first (undated last). */
export function albumsOfArtist(db: Database, viewer: Viewer, artistId: string): Album[] {
  const visible = visibleIn(viewer.libraryIds, 'album', 'al');
  const rows = db
    .prepare(
      `SELECT ${ALBUM_COLUMNS} FROM album al WHERE (al.artist_id = ? OR al.id IN (SELECT aa.album_id FROM album_artist aa WHERE aa.artist_id = ?))${visible.sql} ORDER BY al.year IS NULL, al.year, al.order_name, al.id`,
    )
    .all(artistId, artistId, ...visible.params) as AlbumRow[];
  return albumsFromRows(db, rows, viewer);
}

function albumsFromRows(db: Database, rows: AlbumRow[], viewer: Viewer): Album[] {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const artists = albumArtistsFor(db, ids);
  const genres = new Map<string, string[]>();
  for (const row of db
    .prepare(
      `SELECT ag.album_id, g.name FROM album_genre ag JOIN genre g ON g.id = ag.genre_id
       WHERE ag.album_id IN (SELECT value FROM json_each(?)) ORDER BY ag.album_id, ag.position`,
    )
    .all(JSON.stringify(ids)) as { album_id: string; name: string }[]) {
    const list = genres.get(row.album_id) ?? [];
    list.push(row.name);
    genres.set(row.album_id, list);
  }
  const annotations = annotationsFor(db, viewer.userId, ids);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    sortName: row.sort_name,
    version: row.version,
    artistId: row.artist_id,
    artistName: row.artist_name,
    artists: artists.get(row.id) ?? [{ id: row.artist_id, name: row.artist_name }],
    compilation: row.compilation === 1,
    mbzAlbumId: row.mbz_album_id,
    year: row.year,
    date: row.date,
    originalDate: row.original_date,
    releaseDate: row.release_date,
    releaseTypes: JSON.parse(row.release_types) as string[],
    recordLabels: JSON.parse(row.record_labels) as string[],
    genre: row.genre,
    genres: genres.get(row.id) ?? [],
    songCount: row.song_count,
    discCount: row.disc_count,
    duration: row.duration,
    size: row.size,
    discTitles: JSON.parse(row.disc_titles) as { disc: number; title: string }[],
    coverArtId: row.id,
    hasCover: row.cover_path !== null || row.cover_track_id !== null,
    folderId: row.folder_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    annotation: annotations.get(row.id) ?? NO_ANNOTATION,
  }));
}

/** One page of every visible album in natural (pk) order: stable across pages and cheap at any offset. */
export function albumIdPage(db: Database, libraries: LibraryScope, count: number, offset: number): string[] {
  const visible = visibleIn(libraries, 'album', 'al');
  return db
    .prepare(`SELECT al.id FROM album al WHERE 1${visible.sql} ORDER BY al.pk LIMIT ? OFFSET ?`)
    .pluck()
    .all(...visible.params, count, offset) as string[];
}

// ---------------------------------------------------------------------------------------------------
// Album lists. ORDER BY clauses come from the fixed table below, never from user input.

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

function albumListSql(query: AlbumListQuery, userId: string): ListSql {
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
      return annotationList(userId, 'a.rating > 0', 'a.rating DESC, a.item_id DESC');
    case 'frequent':
      return annotationList(userId, 'a.play_count > 0', 'a.play_count DESC, a.item_id DESC');
    case 'recent':
      return annotationList(userId, 'a.last_played_at IS NOT NULL', 'a.last_played_at DESC, a.item_id DESC');
    case 'starred':
      return annotationList(userId, 'a.starred_at IS NOT NULL', 'a.starred_at DESC, a.item_id DESC');
  }
}

/** The ids of one page of an album list, and the length of the whole list. */
export function albumListPage(
  db: Database,
  viewer: Viewer,
  query: AlbumListQuery,
): { ids: string[]; total: number } {
  const sql = albumListSql(query, viewer.userId);
  const visible = visibleIn(viewer.libraryIds, 'album', 'al');
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
  return { ids, total };
}

// ---------------------------------------------------------------------------------------------------
// What other modules ask about albums (through lookup.ts).

/** The subset of album ids that exist (in one of the libraries, when given). */
export function existingAlbumIds(
  db: Database,
  ids: readonly string[],
  libraries?: LibraryScope,
): Set<string> {
  if (ids.length === 0) return new Set();
  const visible = visibleIn(libraries, 'album', 'al');
  return new Set(
    db
      .prepare(`SELECT al.id FROM album al WHERE al.id IN (SELECT value FROM json_each(?))${visible.sql}`)
      .pluck()
      .all(JSON.stringify([...new Set(ids)]), ...visible.params) as string[],
  );
}

/** Where an album's cover may be: the folder image the scan chose, the track whose picture it chose. */
export interface AlbumCover {
  id: string;
  cover_library_id: number | null;
  cover_path: string | null;
  cover_track_id: string | null;
}

const ALBUM_COVER_COLUMNS = 'al.id, al.cover_library_id, al.cover_path, al.cover_track_id';

/** The album's cover facts; undefined when there is no such album (in the libraries, when given). */
export function albumCover(db: Database, albumId: string, libraries?: LibraryScope): AlbumCover | undefined {
  const visible = visibleIn(libraries, 'album', 'al');
  return db
    .prepare(`SELECT ${ALBUM_COVER_COLUMNS} FROM album al WHERE al.id = ?${visible.sql}`)
    .get(albumId, ...visible.params) as AlbumCover | undefined;
}

/**
 * Up to three visible albums with a cover to stand for an artist: their own albums, newest first; for an
 * artist who only appears on others' albums, those.
 */
export function coveredAlbumsOfArtist(db: Database, artistId: string, libraries: LibraryScope): AlbumCover[] {
  const visible = visibleIn(libraries, 'album', 'al');
  const withCover = '(al.cover_path IS NOT NULL OR al.cover_track_id IS NOT NULL)';
  const own = db
    .prepare(
      `SELECT ${ALBUM_COVER_COLUMNS} FROM album_artist aa JOIN album al ON al.id = aa.album_id
       WHERE aa.artist_id = ? AND ${withCover}${visible.sql}
       ORDER BY coalesce(al.year, 0) DESC, al.order_name LIMIT 3`,
    )
    .all(artistId, ...visible.params) as AlbumCover[];
  if (own.length > 0) return own;
  return db
    .prepare(
      `SELECT DISTINCT ${ALBUM_COVER_COLUMNS} FROM track_artist ta JOIN track t ON t.id = ta.track_id
       JOIN album al ON al.id = t.album_id
       WHERE ta.artist_id = ? AND ${withCover}${visible.sql} LIMIT 3`,
    )
    .all(artistId, ...visible.params) as AlbumCover[];
}
