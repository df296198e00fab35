// Browsing by tags: the artist index, one artist with albums, one album with songs, one song, genres.
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import {
  albumVisible,
  artistVisible,
  libraryFilter,
  loadAlbums,
  loadAlbumsWhere,
  loadArtists,
  loadArtistsWhere,
  loadTracks,
  loadTracksWhere,
} from './items.repository.ts';
import { groupByLetter } from './letters.ts';
import type { Album, Artist, Genre, Track, Viewer } from './model.ts';

/** Songs of an album in play order: disc, track number, then title and id for untagged ones. */
export const ALBUM_TRACK_ORDER = 'ORDER BY t.disc_number, t.track_number, t.order_title, t.id';

/**
 * Album artists (artists credited on at least one album) grouped under index letters. order_name had
 * the configured articles removed at scan time, so "The Beatles" files under B.
 */
export function artistIndex(db: Database, viewer: Viewer): { name: string; artists: Artist[] }[] {
  const artists = loadArtistsWhere(db, 'ar.album_count > 0', [], viewer, 'ORDER BY ar.order_name, ar.id');
  return groupByLetter(artists, (artist) => artist.orderName).map((group) => ({
    name: group.name,
    artists: group.items,
  }));
}

export function getArtist(db: Database, viewer: Viewer, id: string): Artist {
  const artist = loadArtists(db, [id], viewer)[0];
  if (!artist) throw new TonearmError('NOT_FOUND', `artist not found: ${id}`);
  return artist;
}

/** The artist's albums (as album artist), oldest first. */
export function artistAlbums(db: Database, viewer: Viewer, artistId: string): Album[] {
  return loadAlbumsWhere(
    db,
    '(al.artist_id = ? OR al.id IN (SELECT aa.album_id FROM album_artist aa WHERE aa.artist_id = ?))',
    [artistId, artistId],
    viewer,
    'ORDER BY al.year IS NULL, al.year, al.order_name, al.id',
  );
}

export function getAlbum(db: Database, viewer: Viewer, id: string): Album {
  const album = loadAlbums(db, [id], viewer)[0];
  if (!album) throw new TonearmError('NOT_FOUND', `album not found: ${id}`);
  return album;
}

export function albumTracks(db: Database, viewer: Viewer, albumId: string): Track[] {
  return loadTracksWhere(db, 't.album_id = ?', [albumId], viewer, ALBUM_TRACK_ORDER);
}

export function getTrack(db: Database, viewer: Viewer, id: string): Track {
  const track = loadTracks(db, [id], viewer)[0];
  if (!track) throw new TonearmError('NOT_FOUND', `song not found: ${id}`);
  return track;
}

/**
 * Genres with song and album counts. For a viewer who sees everything the counts kept by the scanner are
 * used; otherwise they are counted over the visible libraries only.
 */
export function listGenres(db: Database, viewer: Viewer): Genre[] {
  if (!viewer.libraryIds) {
    return db
      .prepare(
        'SELECT name, song_count AS songCount, album_count AS albumCount FROM genre WHERE song_count > 0 OR album_count > 0 ORDER BY name, id',
      )
      .all() as Genre[];
  }
  const tracks = libraryFilter(viewer, 't.library_id');
  const albums = albumVisible(viewer);
  return db
    .prepare(
      `SELECT g.name,
         (SELECT count(*) FROM track_genre tg JOIN track t ON t.id = tg.track_id WHERE tg.genre_id = g.id${tracks.sql}) AS songCount,
         (SELECT count(*) FROM album_genre ag JOIN album al ON al.id = ag.album_id WHERE ag.genre_id = g.id${albums.sql}) AS albumCount
       FROM genre g ORDER BY g.name, g.id`,
    )
    .all(...tracks.params, ...albums.params)
    .filter((row) => (row as Genre).songCount > 0 || (row as Genre).albumCount > 0) as Genre[];
}

/** Whether the viewer may see the artist at all (used to answer 70 for hidden ones). */
export function artistExists(db: Database, viewer: Viewer, id: string): boolean {
  const visible = artistVisible(viewer);
  return (
    db.prepare(`SELECT 1 FROM artist ar WHERE ar.id = ?${visible.sql}`).get(id, ...visible.params) !==
    undefined
  );
}
