// The statements of the catalog refresh (catalog.refresh.ts): albums, artists and genres rebuilt from
// their tracks after a scan. Hand-written SQL through cached prepared statements; callers own the
// transactions.
import { albumTrackOrder } from '../db/album-track-order.ts';
import type { Database } from '../db/database.ts';
import type { AlbumRow, ArtistRow, TrackRow } from '../db/schema.ts';

/** What an album refresh needs of each of its tracks. */
export type AlbumTrack = Pick<
  TrackRow,
  | 'id'
  | 'library_id'
  | 'folder_id'
  | 'path'
  | 'album_name'
  | 'album_artist_name'
  | 'disc_number'
  | 'disc_subtitle'
  | 'year'
  | 'date'
  | 'original_date'
  | 'release_date'
  | 'compilation'
  | 'duration'
  | 'file_size'
  | 'has_embedded_art'
  | 'mbz_album_id'
  | 'created_at'
  | 'tags'
>;

/** The album columns a refresh recomputes (the genre is chosen by the statement itself). */
export type AlbumAggregate = Pick<
  AlbumRow,
  | 'name'
  | 'sort_name'
  | 'order_name'
  | 'version'
  | 'artist_id'
  | 'artist_name'
  | 'order_artist_name'
  | 'compilation'
  | 'mbz_album_id'
  | 'mbz_release_group_id'
  | 'year'
  | 'date'
  | 'original_date'
  | 'release_date'
  | 'release_types'
  | 'record_labels'
  | 'song_count'
  | 'disc_count'
  | 'duration'
  | 'size'
  | 'disc_titles'
  | 'cover_library_id'
  | 'cover_path'
  | 'cover_track_id'
  | 'folder_id'
  | 'created_at'
>;

export type ArtistAggregate = Pick<
  ArtistRow,
  'album_count' | 'song_count' | 'roles' | 'image_library_id' | 'image_path'
>;

export function allAlbumIds(db: Database): string[] {
  return db.prepare('SELECT id FROM album').pluck().all() as string[];
}

export function allArtistIds(db: Database): string[] {
  return db.prepare('SELECT id FROM artist').pluck().all() as string[];
}

export function albumToRefresh(db: Database, id: string): Pick<AlbumRow, 'pk' | 'artist_id'> | undefined {
  return db.prepare('SELECT pk, artist_id FROM album WHERE id = ?').get(id) as
    | Pick<AlbumRow, 'pk' | 'artist_id'>
    | undefined;
}

export function tracksOfAlbumToRefresh(db: Database, albumId: string): AlbumTrack[] {
  return db
    .prepare(
      `SELECT id, library_id, folder_id, path, album_name, album_artist_name, disc_number, disc_subtitle, year, date, original_date,
       release_date, compilation, duration, file_size, has_embedded_art, mbz_album_id, created_at, tags
       FROM track WHERE album_id = ? ORDER BY ${albumTrackOrder()}`,
    )
    .all(albumId) as AlbumTrack[];
}

export function albumArtistIdsOf(db: Database, albumId: string): string[] {
  return db.prepare('SELECT artist_id FROM album_artist WHERE album_id = ?').pluck().all(albumId) as string[];
}

export function deleteAlbum(db: Database, id: string): void {
  db.prepare('DELETE FROM album WHERE id = ?').run(id);
}

/** The artist of that name, whatever its case. */
export function artistIdByName(db: Database, name: string): string | undefined {
  return db.prepare('SELECT id FROM artist WHERE name = ? COLLATE NOCASE').pluck().get(name) as
    | string
    | undefined;
}

/** Writes an album's recomputed columns; its genre is the one most of its tracks have. */
export function updateAlbumAggregate(db: Database, id: string, album: AlbumAggregate, now: number): void {
  db.prepare(
    `UPDATE album SET name = ?, sort_name = ?, order_name = ?, version = ?, artist_id = ?, artist_name = ?, order_artist_name = ?,
     compilation = ?, mbz_album_id = ?, mbz_release_group_id = ?, year = ?, date = ?, original_date = ?, release_date = ?,
     release_types = ?, record_labels = ?, genre = (SELECT g.name FROM track_genre tg JOIN track t ON t.id = tg.track_id JOIN genre g ON g.id = tg.genre_id WHERE t.album_id = ? GROUP BY g.id ORDER BY count(*) DESC, min(tg.position), g.name LIMIT 1),
     song_count = ?, disc_count = ?, duration = ?, size = ?, disc_titles = ?, cover_library_id = ?, cover_path = ?, cover_track_id = ?,
     folder_id = ?, created_at = ?, updated_at = ? WHERE id = ?`,
  ).run(
    album.name,
    album.sort_name,
    album.order_name,
    album.version,
    album.artist_id,
    album.artist_name,
    album.order_artist_name,
    album.compilation,
    album.mbz_album_id,
    album.mbz_release_group_id,
    album.year,
    album.date,
    album.original_date,
    album.release_date,
    album.release_types,
    album.record_labels,
    id,
    album.song_count,
    album.disc_count,
    album.duration,
    album.size,
    album.disc_titles,
    album.cover_library_id,
    album.cover_path,
    album.cover_track_id,
    album.folder_id,
    album.created_at,
    now,
    id,
  );
}

/** The album's artists become these, in this order. */
export function replaceAlbumArtists(db: Database, albumId: string, artistIds: readonly string[]): void {
  db.prepare('DELETE FROM album_artist WHERE album_id = ?').run(albumId);
  const insertArtist = db.prepare(
    'INSERT OR IGNORE INTO album_artist (album_id, artist_id, position) VALUES (?, ?, ?)',
  );
  artistIds.forEach((artist, position) => {
    insertArtist.run(albumId, artist, position);
  });
}

/** The album's genres become its tracks' genres, the most frequent first. */
export function replaceAlbumGenres(db: Database, albumId: string): void {
  db.prepare('DELETE FROM album_genre WHERE album_id = ?').run(albumId);
  db.prepare(
    `INSERT INTO album_genre (album_id, genre_id, position)
     SELECT ?, tg.genre_id, row_number() OVER (ORDER BY count(*) DESC, min(tg.position)) - 1 FROM track_genre tg JOIN track t ON t.id = tg.track_id
     WHERE t.album_id = ? GROUP BY tg.genre_id`,
  ).run(albumId, albumId);
}

/** The album is in the libraries its tracks are in. */
export function replaceAlbumLibraries(db: Database, albumId: string): void {
  db.prepare('DELETE FROM library_album WHERE album_id = ?').run(albumId);
  db.prepare(
    'INSERT OR IGNORE INTO library_album (library_id, album_id) SELECT DISTINCT library_id, ? FROM track WHERE album_id = ?',
  ).run(albumId, albumId);
}

export function artistPk(db: Database, id: string): number | undefined {
  return (db.prepare('SELECT pk FROM artist WHERE id = ?').get(id) as { pk: number } | undefined)?.pk;
}

/**
 * How an artist is used: albums credited to it, songs it performs, its roles on tracks (sorted), and
 * albums that name it as their main artist.
 */
export function artistUsage(
  db: Database,
  id: string,
): { albumCount: number; songCount: number; roles: string[]; albumRefs: number } {
  const albumCount = db
    .prepare('SELECT count(*) FROM album_artist WHERE artist_id = ?')
    .pluck()
    .get(id) as number;
  const songCount = db
    .prepare("SELECT count(DISTINCT track_id) FROM track_artist WHERE artist_id = ? AND role = 'artist'")
    .pluck()
    .get(id) as number;
  const roles = db
    .prepare('SELECT DISTINCT role FROM track_artist WHERE artist_id = ? ORDER BY role')
    .pluck()
    .all(id) as string[];
  const albumRefs = db.prepare('SELECT count(*) FROM album WHERE artist_id = ?').pluck().get(id) as number;
  return { albumCount, songCount, roles, albumRefs };
}

export function deleteArtist(db: Database, id: string): void {
  db.prepare('DELETE FROM artist WHERE id = ?').run(id);
}

export function updateArtistAggregate(db: Database, id: string, artist: ArtistAggregate, now: number): void {
  db.prepare(
    'UPDATE artist SET album_count = ?, song_count = ?, roles = ?, image_library_id = ?, image_path = ?, updated_at = ? WHERE id = ?',
  ).run(
    artist.album_count,
    artist.song_count,
    artist.roles,
    artist.image_library_id,
    artist.image_path,
    now,
    id,
  );
}

/** The artist is in the libraries of the tracks it is on and of the albums credited to it. */
export function replaceArtistLibraries(db: Database, id: string): void {
  db.prepare('DELETE FROM library_artist WHERE artist_id = ?').run(id);
  db.prepare(
    `INSERT OR IGNORE INTO library_artist (library_id, artist_id)
     SELECT DISTINCT t.library_id, ? FROM track_artist ta JOIN track t ON t.id = ta.track_id WHERE ta.artist_id = ?
     UNION SELECT DISTINCT la.library_id, ? FROM album_artist aa JOIN library_album la ON la.album_id = aa.album_id WHERE aa.artist_id = ?`,
  ).run(id, id, id, id);
}

/** One track of one of the artist's albums: where to look for an artist image. */
export function trackOfArtistAlbums(
  db: Database,
  artistId: string,
): Pick<TrackRow, 'library_id' | 'path'> | undefined {
  return db
    .prepare(
      'SELECT t.library_id, t.path FROM album_artist aa JOIN track t ON t.album_id = aa.album_id WHERE aa.artist_id = ? LIMIT 1',
    )
    .get(artistId) as Pick<TrackRow, 'library_id' | 'path'> | undefined;
}

/** Recounts every genre's songs and albums and drops the genres left without any. */
export function refreshGenreCounts(db: Database): void {
  db.prepare(
    `UPDATE genre SET song_count = (SELECT count(*) FROM track_genre WHERE genre_id = genre.id),
     album_count = (SELECT count(*) FROM album_genre WHERE genre_id = genre.id)`,
  ).run();
  db.prepare('DELETE FROM genre WHERE song_count = 0 AND album_count = 0').run();
}
