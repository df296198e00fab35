// Artist and album information, similar artists and songs, top songs and lyrics, all from local data for
// now: similarity is shared genres, popularity is play counts across users.
import type { Database } from '../db/database.ts';
import { artistId as artistIdOf } from '../music/identity.ts';
import type { LyricSet } from '../music/lyrics.ts';
import { TonearmError } from '../shared/errors.ts';
import { getAlbum, getArtist, getTrack } from './browse.ts';
import { libraryFilter, loadArtists, loadTracks } from './items.repository.ts';
import type { Album, Artist, Track, Viewer } from './model.ts';
import { searchTracks } from './search.ts';

/** The artist an artist, album or song id points at (getArtistInfo accepts all three). */
export function resolveArtist(db: Database, viewer: Viewer, id: string): Artist {
  if (id.startsWith('al-')) return getArtist(db, viewer, getAlbum(db, viewer, id).artistId);
  if (id.startsWith('tr-')) return getArtist(db, viewer, getTrack(db, viewer, id).artistId);
  return getArtist(db, viewer, id);
}

/** The album an album or song id points at. */
export function resolveAlbum(db: Database, viewer: Viewer, id: string): Album {
  if (id.startsWith('tr-')) return getAlbum(db, viewer, getTrack(db, viewer, id).albumId);
  return getAlbum(db, viewer, id);
}

/** Album artists whose albums share genres with the artist's albums, most shared genres first. */
export function similarArtists(db: Database, viewer: Viewer, artistId: string, count: number): Artist[] {
  if (count <= 0) return [];
  const ids = db
    .prepare(
      `WITH mine AS (
         SELECT DISTINCT ag.genre_id FROM album_artist aa JOIN album_genre ag ON ag.album_id = aa.album_id WHERE aa.artist_id = ?
       )
       SELECT aa.artist_id FROM album_genre ag JOIN album_artist aa ON aa.album_id = ag.album_id
       WHERE ag.genre_id IN (SELECT genre_id FROM mine) AND aa.artist_id <> ?
       GROUP BY aa.artist_id ORDER BY count(DISTINCT ag.genre_id) DESC, aa.artist_id LIMIT ?`,
    )
    .pluck()
    // Asks for a few more than needed: some may sit in libraries the viewer does not see.
    .all(artistId, artistId, count * 2 + 10) as string[];
  return loadArtists(db, ids, viewer).slice(0, count);
}

/** Songs by the artist and by similar artists, in random order, without the seed song. */
export function similarSongs(db: Database, viewer: Viewer, id: string, count: number): Track[] {
  if (count <= 0) return [];
  const artist = resolveArtist(db, viewer, id);
  const artistIds = [artist.id, ...similarArtists(db, viewer, artist.id, 20).map((similar) => similar.id)];
  const filter = libraryFilter(viewer, 't.library_id');
  const ids = db
    .prepare(
      `SELECT t.id FROM track t
       WHERE (t.artist_id IN (SELECT value FROM json_each(?)) OR t.album_id IN (SELECT aa.album_id FROM album_artist aa WHERE aa.artist_id IN (SELECT value FROM json_each(?))))
         AND t.id <> ?${filter.sql}
       ORDER BY random() LIMIT ?`,
    )
    .pluck()
    .all(JSON.stringify(artistIds), JSON.stringify(artistIds), id, ...filter.params, count) as string[];
  return loadTracks(db, ids, viewer);
}

/** An artist id from a name: the derived id first (names are normalised the same way), then a case-blind match. */
export function artistIdByName(db: Database, name: string): string | undefined {
  const derived = artistIdOf(name);
  if (db.prepare('SELECT 1 FROM artist WHERE id = ?').get(derived)) return derived;
  return db
    .prepare('SELECT id FROM artist WHERE name = ? COLLATE NOCASE ORDER BY pk LIMIT 1')
    .pluck()
    .get(name) as string | undefined;
}

/** The artist's songs, most played (by everyone) first, then in album order. */
export function topSongs(db: Database, viewer: Viewer, artistId: string, count: number): Track[] {
  if (count <= 0) return [];
  const filter = libraryFilter(viewer, 't.library_id');
  const ids = db
    .prepare(
      `SELECT t.id FROM track t
       WHERE t.id IN (SELECT ta.track_id FROM track_artist ta WHERE ta.artist_id = ? AND ta.role = 'artist'
                      UNION SELECT t2.id FROM track t2 WHERE t2.artist_id = ?)${filter.sql}
       ORDER BY (SELECT coalesce(sum(a.play_count), 0) FROM annotation a WHERE a.item_id = t.id) DESC,
         (SELECT al.year FROM album al WHERE al.id = t.album_id), t.album_id, t.disc_number, t.track_number, t.id
       LIMIT ?`,
    )
    .pluck()
    .all(artistId, artistId, ...filter.params, count) as string[];
  return loadTracks(db, ids, viewer);
}

function lyricSets(db: Database, viewer: Viewer, trackId: string): LyricSet[] {
  const filter = libraryFilter(viewer, 't.library_id');
  const text = db
    .prepare(`SELECT t.lyrics FROM track t WHERE t.id = ?${filter.sql}`)
    .pluck()
    .get(trackId, ...filter.params) as string | undefined;
  if (text === undefined) throw new TonearmError('NOT_FOUND', `song not found: ${trackId}`);
  try {
    return JSON.parse(text) as LyricSet[];
  } catch {
    return [];
  }
}

/** Every lyric set of a song (embedded, .lrc, .txt), as stored by the scanner. */
export function songLyrics(db: Database, viewer: Viewer, trackId: string): LyricSet[] {
  return lyricSets(db, viewer, trackId);
}

/**
 * Plain lyrics by artist and title (getLyrics): the first song with that title (and artist, when given)
 * that has lyrics. Unsynced sets are preferred; synced ones lose their time stamps.
 */
export function plainLyrics(
  db: Database,
  viewer: Viewer,
  artist: string | undefined,
  title: string | undefined,
): { artist: string; title: string; text: string } | undefined {
  const wantTitle = title?.trim().toLowerCase();
  const wantArtist = artist?.trim().toLowerCase();
  if (!wantTitle && !wantArtist) return undefined;
  const candidates = loadTracks(
    db,
    searchTracks(db, [artist, title].filter(Boolean).join(' '), { limit: 50, libraryIds: viewer.libraryIds }),
    viewer,
  );
  for (const track of candidates) {
    if (!track.hasLyrics) continue;
    if (wantTitle && track.title.toLowerCase() !== wantTitle) continue;
    if (
      wantArtist &&
      track.artistName.toLowerCase() !== wantArtist &&
      !track.artists.some((a) => a.name.toLowerCase() === wantArtist)
    )
      continue;
    const sets = lyricSets(db, viewer, track.id);
    const set = sets.find((candidate) => !candidate.synced) ?? sets[0];
    if (!set) continue;
    return {
      artist: track.artistName,
      title: track.title,
      text: set.lines.map((line) => line.value).join('\n'),
    };
  }
  return undefined;
}
