// Browsing by tags: the artist index, one artist with albums, one album with songs, one song, genres.
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { albumsOfArtist, loadAlbums } from './albums.repository.ts';
import { albumArtistsByOrderName, loadArtists } from './artists.repository.ts';
import { genresWithCounts } from './genres.repository.ts';
import { groupByLetter } from './letters.ts';
import type { Album, Artist, Genre, Track, Viewer } from './model.ts';
import { loadTracks, tracksOfAlbum } from './tracks.repository.ts';

/**
 * Album artists (artists credited on at least one album) grouped under index letters. order_name had
 * the configured articles removed at scan time, so "The Beatles" files under B.
 */
export function artistIndex(db: Database, viewer: Viewer): { name: string; artists: Artist[] }[] {
  return groupByLetter(albumArtistsByOrderName(db, viewer), (artist) => artist.orderName).map((group) => ({
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
  return albumsOfArtist(db, viewer, artistId);
}

export function getAlbum(db: Database, viewer: Viewer, id: string): Album {
  const album = loadAlbums(db, [id], viewer)[0];
  if (!album) throw new TonearmError('NOT_FOUND', `album not found: ${id}`);
  return album;
}

/** The album's songs in play order (db/album-track-order.ts): disc, track number, then file path. */
export function albumTracks(db: Database, viewer: Viewer, albumId: string): Track[] {
  return tracksOfAlbum(db, viewer, albumId);
}

export function getTrack(db: Database, viewer: Viewer, id: string): Track {
  const track = loadTracks(db, [id], viewer)[0];
  if (!track) throw new TonearmError('NOT_FOUND', `song not found: ${id}`);
  return track;
}

/** Songs in the order of `ids`; unknown ids and songs the viewer may not see are left out. */
export function tracksById(db: Database, viewer: Viewer, ids: readonly string[]): Track[] {
  return loadTracks(db, ids, viewer);
}

/**
 * Genres with song and album counts. For a viewer who sees everything the counts kept by the scanner are
 * used; otherwise they are counted over the visible libraries only.
 */
export function listGenres(db: Database, viewer: Viewer): Genre[] {
  return genresWithCounts(db, viewer.libraryIds);
}
