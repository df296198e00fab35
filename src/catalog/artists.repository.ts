// Artists: loaded by id with the viewer's annotation; the album artists in index order; artists similar
// by shared genres; and the few facts other modules ask for (which ids exist, a name, an artist image).
import type { Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ArtistTable } from '../db/schema.ts';
import { annotationsFor } from './annotations.repository.ts';
import { type Artist, NO_ANNOTATION, type Viewer } from './model.ts';
import { type LibraryScope, visibleIn } from './visibility.repository.ts';

type ArtistRow = Pick<
  Selectable<ArtistTable>,
  | 'id'
  | 'name'
  | 'sort_name'
  | 'order_name'
  | 'mbz_artist_id'
  | 'album_count'
  | 'song_count'
  | 'roles'
  | 'image_path'
>;

const ARTIST_COLUMNS =
  'ar.id, ar.name, ar.sort_name, ar.order_name, ar.mbz_artist_id, ar.album_count, ar.song_count, ar.roles, ar.image_path';

/** Artists in the order of `ids`; ids that do not exist or that the viewer may not see are left out. */
export function loadArtists(db: Database, ids: readonly string[], viewer: Viewer): Artist[] {
  if (ids.length === 0) return [];
  const visible = visibleIn(viewer.libraryIds, 'artist', 'ar');
  const rows = db
    .prepare(
      `SELECT ${ARTIST_COLUMNS} FROM artist ar WHERE ar.id IN (SELECT value FROM json_each(?))${visible.sql}`,
    )
    .all(JSON.stringify(ids), ...visible.params) as ArtistRow[];
  const found = new Map(artistsFromRows(db, rows, viewer).map((artist) => [artist.id, artist]));
  return ids.map((id) => found.get(id)).filter((artist): artist is Artist => artist !== undefined);
}

/**
 * Album artists (artists credited on at least one album) by their order name: the configured articles
 * were removed from it at scan time, so "The Beatles" comes under B.
 */
export function albumArtistsByOrderName(db: Database, viewer: Viewer): Artist[] {
  const visible = visibleIn(viewer.libraryIds, 'artist', 'ar');
  const rows = db
    .prepare(
      `SELECT ${ARTIST_COLUMNS} FROM artist ar WHERE ar.album_count > 0${visible.sql} ORDER BY ar.order_name, ar.id`,
    )
    .all(...visible.params) as ArtistRow[];
  return artistsFromRows(db, rows, viewer);
}

function artistsFromRows(db: Database, rows: ArtistRow[], viewer: Viewer): Artist[] {
  const annotations = annotationsFor(
    db,
    viewer.userId,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    sortName: row.sort_name,
    orderName: row.order_name,
    mbzArtistId: row.mbz_artist_id,
    albumCount: row.album_count,
    songCount: row.song_count,
    roles: JSON.parse(row.roles) as string[],
    coverArtId: row.id,
    hasImage: row.image_path !== null,
    annotation: annotations.get(row.id) ?? NO_ANNOTATION,
  }));
}

/** One page of the visible album artists in natural (pk) order (search3 with an empty query). */
export function albumArtistIdPage(
  db: Database,
  libraries: LibraryScope,
  count: number,
  offset: number,
): string[] {
  const visible = visibleIn(libraries, 'artist', 'ar');
  return db
    .prepare(
      `SELECT ar.id FROM artist ar WHERE ar.album_count > 0${visible.sql} ORDER BY ar.pk LIMIT ? OFFSET ?`,
    )
    .pluck()
    .all(...visible.params, count, offset) as string[];
}

/** Album artists whose albums share genres with the artist's albums, most shared genres first. */
export function artistIdsSharingGenres(db: Database, artistId: string, limit: number): string[] {
  return db
    .prepare(
      `WITH mine AS (
         SELECT DISTINCT ag.genre_id FROM album_artist aa JOIN album_genre ag ON ag.album_id = aa.album_id WHERE aa.artist_id = ?
       )
       SELECT aa.artist_id FROM album_genre ag JOIN album_artist aa ON aa.album_id = ag.album_id
       WHERE ag.genre_id IN (SELECT genre_id FROM mine) AND aa.artist_id <> ?
       GROUP BY aa.artist_id ORDER BY count(DISTINCT ag.genre_id) DESC, aa.artist_id LIMIT ?`,
    )
    .pluck()
    .all(artistId, artistId, limit) as string[];
}

export function artistIdExists(db: Database, id: string): boolean {
  return db.prepare('SELECT 1 FROM artist WHERE id = ?').get(id) !== undefined;
}

/** The first artist (by age) whose name matches, ignoring case. */
export function artistIdNamed(db: Database, name: string): string | undefined {
  return db
    .prepare('SELECT id FROM artist WHERE name = ? COLLATE NOCASE ORDER BY pk LIMIT 1')
    .pluck()
    .get(name) as string | undefined;
}

// ---------------------------------------------------------------------------------------------------
// What other modules ask about artists (through lookup.ts).

/** The subset of artist ids that exist (in one of the libraries, when given). */
export function existingArtistIds(
  db: Database,
  ids: readonly string[],
  libraries?: LibraryScope,
): Set<string> {
  if (ids.length === 0) return new Set();
  const visible = visibleIn(libraries, 'artist', 'ar');
  return new Set(
    db
      .prepare(`SELECT ar.id FROM artist ar WHERE ar.id IN (SELECT value FROM json_each(?))${visible.sql}`)
      .pluck()
      .all(JSON.stringify([...new Set(ids)]), ...visible.params) as string[],
  );
}

export function artistName(db: Database, id: string): string | undefined {
  return db.prepare('SELECT name FROM artist WHERE id = ?').pluck().get(id) as string | undefined;
}

/** Where the artist's own image is (an artist.* file the scan found), when the artist is visible. */
export interface ArtistImage {
  id: string;
  image_library_id: number | null;
  image_path: string | null;
}

export function artistImage(db: Database, id: string, libraries: LibraryScope): ArtistImage | undefined {
  const visible = visibleIn(libraries, 'artist', 'ar');
  return db
    .prepare(`SELECT ar.id, ar.image_library_id, ar.image_path FROM artist ar WHERE ar.id = ?${visible.sql}`)
    .get(id, ...visible.params) as ArtistImage | undefined;
}
