// Tracks: loaded by id with everything the APIs show about them (credited artists, genres, their album's
// artists, the viewer's annotation), the tracks of an album and of a folder, and the id lists that the
// catalog's lists, searches and info pages page through. A few set-based queries per call (ids go in as
// one JSON array), so a page of 500 songs costs the same handful of statements as one song.
import type { Selectable } from 'kysely';
import { albumTrackOrder } from '../db/album-track-order.ts';
import type { Database } from '../db/database.ts';
import type { TrackTable } from '../db/schema.ts';
import { albumArtistsFor } from './albums.repository.ts';
import { annotationsFor } from './annotations.repository.ts';
import { type ArtistRef, type Contributor, NO_ANNOTATION, type Track, type Viewer } from './model.ts';
import { type LibraryScope, visibleIn } from './visibility.repository.ts';

// Rows as the queries below select them: table columns (typed once, in db/schema.ts) plus computed ones.
type TrackRow = Pick<
  Selectable<TrackTable>,
  | 'id'
  | 'library_id'
  | 'folder_id'
  | 'path'
  | 'title'
  | 'sort_title'
  | 'suffix'
  | 'content_type'
  | 'file_size'
  | 'duration'
  | 'bitrate'
  | 'sample_rate'
  | 'bit_depth'
  | 'channels'
  | 'codec'
  | 'lossless'
  | 'album_id'
  | 'album_name'
  | 'album_artist_name'
  | 'artist_id'
  | 'artist_name'
  | 'track_number'
  | 'disc_number'
  | 'disc_subtitle'
  | 'year'
  | 'genre'
  | 'compilation'
  | 'has_embedded_art'
  | 'mbz_recording_id'
  | 'isrc'
  | 'bpm'
  | 'comment'
  | 'rg_track_gain'
  | 'rg_track_peak'
  | 'rg_album_gain'
  | 'rg_album_peak'
  | 'created_at'
  | 'updated_at'
> & {
  has_lyrics: number;
  moods: string | null;
};

const TRACK_COLUMNS = `t.id, t.library_id, t.folder_id, t.path, t.title, t.sort_title, t.suffix, t.content_type, t.file_size,
  t.duration, t.bitrate, t.sample_rate, t.bit_depth, t.channels, t.codec, t.lossless, t.album_id, t.album_name,
  t.album_artist_name, t.artist_id, t.artist_name, t.track_number, t.disc_number, t.disc_subtitle, t.year, t.genre,
  t.compilation, t.has_embedded_art, t.mbz_recording_id, t.isrc, t.bpm, t.comment, t.rg_track_gain, t.rg_track_peak,
  t.rg_album_gain, t.rg_album_peak, t.lyrics <> '[]' AS has_lyrics, json_extract(t.tags, '$.moods') AS moods,
  t.created_at, t.updated_at`;

function byId<T extends { id: string }>(ids: readonly string[], items: T[]): T[] {
  const map = new Map(items.map((item) => [item.id, item]));
  return ids.map((id) => map.get(id)).filter((item): item is T => item !== undefined);
}

/** Tracks in the order of `ids`; ids that do not exist or that the viewer may not see are left out. */
export function loadTracks(db: Database, ids: readonly string[], viewer: Viewer): Track[] {
  if (ids.length === 0) return [];
  const visible = visibleIn(viewer.libraryIds, 'track', 't');
  const rows = db
    .prepare(
      `SELECT ${TRACK_COLUMNS} FROM track t WHERE t.id IN (SELECT value FROM json_each(?))${visible.sql}`,
    )
    .all(JSON.stringify(ids), ...visible.params) as TrackRow[];
  return byId(ids, tracksFromRows(db, rows, viewer));
}

/** The album's tracks in the album-track order (db/album-track-order.ts). */
export function tracksOfAlbum(db: Database, viewer: Viewer, albumId: string): Track[] {
  const visible = visibleIn(viewer.libraryIds, 'track', 't');
  const rows = db
    .prepare(
      `SELECT ${TRACK_COLUMNS} FROM track t WHERE t.album_id = ?${visible.sql} ORDER BY ${albumTrackOrder('t')}`,
    )
    .all(albumId, ...visible.params) as TrackRow[];
  return tracksFromRows(db, rows, viewer);
}

/** The audio files lying directly in the given folders, by path. */
export function tracksInFolders(db: Database, viewer: Viewer, folderIds: readonly string[]): Track[] {
  const visible = visibleIn(viewer.libraryIds, 'track', 't');
  const rows = db
    .prepare(
      `SELECT ${TRACK_COLUMNS} FROM track t WHERE t.folder_id IN (SELECT value FROM json_each(?))${visible.sql} ORDER BY t.path`,
    )
    .all(JSON.stringify(folderIds), ...visible.params) as TrackRow[];
  return tracksFromRows(db, rows, viewer);
}

/** The audio files lying directly in one folder, by path. */
export function tracksInFolder(db: Database, viewer: Viewer, folderId: string): Track[] {
  const visible = visibleIn(viewer.libraryIds, 'track', 't');
  const rows = db
    .prepare(`SELECT ${TRACK_COLUMNS} FROM track t WHERE t.folder_id = ?${visible.sql} ORDER BY t.path`)
    .all(folderId, ...visible.params) as TrackRow[];
  return tracksFromRows(db, rows, viewer);
}

function tracksFromRows(db: Database, rows: TrackRow[], viewer: Viewer): Track[] {
  if (rows.length === 0) return [];
  const ids = JSON.stringify(rows.map((row) => row.id));
  const links = new Map<string, { artists: ArtistRef[]; contributors: Contributor[] }>();
  for (const link of db
    .prepare(
      `SELECT ta.track_id, ta.role, ta.sub_role, a.id, a.name FROM track_artist ta JOIN artist a ON a.id = ta.artist_id
       WHERE ta.track_id IN (SELECT value FROM json_each(?)) ORDER BY ta.track_id, ta.role, ta.position`,
    )
    .all(ids) as { track_id: string; role: string; sub_role: string; id: string; name: string }[]) {
    const entry = links.get(link.track_id) ?? { artists: [], contributors: [] };
    const artist = { id: link.id, name: link.name };
    if (link.role === 'artist') entry.artists.push(artist);
    else entry.contributors.push({ role: link.role, subRole: link.sub_role, artist });
    links.set(link.track_id, entry);
  }
  const genres = new Map<string, string[]>();
  for (const row of db
    .prepare(
      `SELECT tg.track_id, g.name FROM track_genre tg JOIN genre g ON g.id = tg.genre_id
       WHERE tg.track_id IN (SELECT value FROM json_each(?)) ORDER BY tg.track_id, tg.position`,
    )
    .all(ids) as { track_id: string; name: string }[]) {
    const list = genres.get(row.track_id) ?? [];
    list.push(row.name);
    genres.set(row.track_id, list);
  }
  const albumArtists = albumArtistsFor(db, [...new Set(rows.map((row) => row.album_id))]);
  const annotations = annotationsFor(
    db,
    viewer.userId,
    rows.map((row) => row.id),
  );
  return rows.map((row) => {
    const link = links.get(row.id);
    return {
      id: row.id,
      libraryId: row.library_id,
      folderId: row.folder_id,
      path: row.path,
      title: row.title,
      sortTitle: row.sort_title,
      suffix: row.suffix,
      contentType: row.content_type,
      fileSize: row.file_size,
      duration: row.duration,
      bitrate: row.bitrate,
      sampleRate: row.sample_rate,
      bitDepth: row.bit_depth,
      channels: row.channels,
      codec: row.codec,
      lossless: row.lossless === 1,
      albumId: row.album_id,
      albumName: row.album_name,
      albumArtistName: row.album_artist_name,
      albumArtists: albumArtists.get(row.album_id) ?? [],
      artistId: row.artist_id,
      artistName: row.artist_name,
      artists: link?.artists.length ? link.artists : [{ id: row.artist_id, name: row.artist_name }],
      contributors: link?.contributors ?? [],
      trackNumber: row.track_number,
      discNumber: row.disc_number,
      discSubtitle: row.disc_subtitle,
      year: row.year,
      genre: row.genre,
      genres: genres.get(row.id) ?? [],
      compilation: row.compilation === 1,
      coverArtId: row.has_embedded_art ? row.id : row.album_id,
      mbzRecordingId: row.mbz_recording_id,
      isrc: JSON.parse(row.isrc) as string[],
      bpm: row.bpm,
      comment: row.comment,
      moods: row.moods ? (JSON.parse(row.moods) as string[]) : [],
      replayGain: {
        trackGain: row.rg_track_gain,
        trackPeak: row.rg_track_peak,
        albumGain: row.rg_album_gain,
        albumPeak: row.rg_album_peak,
      },
      hasLyrics: row.has_lyrics === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      annotation: annotations.get(row.id) ?? NO_ANNOTATION,
    };
  });
}

// ---------------------------------------------------------------------------------------------------
// Id lists, each in a fixed order with the id (or pk) as the last tie-breaker so pages never overlap.

/** One page of every visible track in natural (pk) order: stable across pages and cheap at any offset. */
export function trackIdPage(db: Database, libraries: LibraryScope, count: number, offset: number): string[] {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(`SELECT t.id FROM track t WHERE 1${visible.sql} ORDER BY t.pk LIMIT ? OFFSET ?`)
    .pluck()
    .all(...visible.params, count, offset) as string[];
}

/** Visible tracks added after `after` (epoch ms), newest first. */
export function trackIdsAddedAfter(db: Database, libraries: LibraryScope, after: number): string[] {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT t.id FROM track t WHERE t.created_at > ?${visible.sql} ORDER BY t.created_at DESC, t.id DESC`,
    )
    .pluck()
    .all(after, ...visible.params) as string[];
}

/** Those of `ids` added after `after` (epoch ms), in no particular order. */
export function idsAddedAfter(db: Database, ids: readonly string[], after: number): string[] {
  return db
    .prepare('SELECT t.id FROM track t WHERE t.id IN (SELECT value FROM json_each(?)) AND t.created_at > ?')
    .pluck()
    .all(JSON.stringify(ids), after) as string[];
}

export interface RandomTrackFilter {
  size: number;
  /** Track ids to leave out (what a radio already gave). */
  exclude?: readonly string[];
  /** Exact genre name. */
  genre?: string;
  fromYear?: number;
  toYear?: number;
}

export function randomTrackIds(db: Database, libraries: LibraryScope, filter: RandomTrackFilter): string[] {
  const conditions: string[] = ['1'];
  const params: unknown[] = [];
  if (filter.genre !== undefined) {
    conditions.push(
      't.id IN (SELECT tg.track_id FROM track_genre tg JOIN genre g ON g.id = tg.genre_id WHERE g.name = ?)',
    );
    params.push(filter.genre);
  }
  if (filter.fromYear !== undefined) {
    conditions.push('t.year >= ?');
    params.push(filter.fromYear);
  }
  if (filter.toYear !== undefined) {
    conditions.push('t.year <= ?');
    params.push(filter.toYear);
  }
  if (filter.exclude !== undefined && filter.exclude.length > 0) {
    conditions.push('t.id NOT IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.exclude));
  }
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT t.id FROM track t WHERE ${conditions.join(' AND ')}${visible.sql} ORDER BY random() LIMIT ?`,
    )
    .pluck()
    .all(...params, ...visible.params, filter.size) as string[];
}

/** Tracks of one genre (exact name), in id order: the genre index hands them out already sorted. */
export function genreTrackIds(
  db: Database,
  libraries: LibraryScope,
  genre: string,
  count: number,
  offset: number,
): string[] {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT tg.track_id FROM track_genre tg JOIN track t ON t.id = tg.track_id
       WHERE tg.genre_id = (SELECT g.id FROM genre g WHERE g.name = ?)${visible.sql}
       ORDER BY tg.track_id LIMIT ? OFFSET ?`,
    )
    .pluck()
    .all(genre, ...visible.params, count, offset) as string[];
}

/** Tracks by the given artists (as track artists or album artists), in random order, without one. */
export function randomTrackIdsOfArtists(
  db: Database,
  libraries: LibraryScope,
  artistIds: readonly string[],
  exceptTrackId: string,
  count: number,
): string[] {
  const visible = visibleIn(libraries, 'track', 't');
  const artists = JSON.stringify(artistIds);
  return db
    .prepare(
      `SELECT t.id FROM track t
       WHERE (t.artist_id IN (SELECT value FROM json_each(?)) OR t.album_id IN (SELECT aa.album_id FROM album_artist aa WHERE aa.artist_id IN (SELECT value FROM json_each(?))))
         AND t.id <> ?${visible.sql}
       ORDER BY random() LIMIT ?`,
    )
    .pluck()
    .all(artists, artists, exceptTrackId, ...visible.params, count) as string[];
}

/**
 * The artist's tracks, most played first (by the users who share their listening: insight_total, kept by
 * the insights jobs), then by album year and in album-track order.
 */
export function mostPlayedTrackIdsOfArtist(
  db: Database,
  libraries: LibraryScope,
  artistId: string,
  count: number,
): string[] {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT t.id FROM track t
       WHERE t.id IN (SELECT ta.track_id FROM track_artist ta WHERE ta.artist_id = ? AND ta.role = 'artist'
                      UNION SELECT t2.id FROM track t2 WHERE t2.artist_id = ?)${visible.sql}
       ORDER BY coalesce((SELECT it.plays FROM insight_total it WHERE it.kind = 'track' AND it.subject_id = t.id), 0) DESC,
         (SELECT al.year FROM album al WHERE al.id = t.album_id), t.album_id, ${albumTrackOrder('t')}
       LIMIT ?`,
    )
    .pluck()
    .all(artistId, artistId, ...visible.params, count) as string[];
}

/** The stored lyric sets of a track as JSON text; undefined when the track is unknown or not visible. */
export function trackLyricsJson(db: Database, libraries: LibraryScope, trackId: string): string | undefined {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(`SELECT t.lyrics FROM track t WHERE t.id = ?${visible.sql}`)
    .pluck()
    .get(trackId, ...visible.params) as string | undefined;
}

export function trackCount(db: Database): number {
  return db.prepare('SELECT count(*) FROM track').pluck().get() as number;
}

// ---------------------------------------------------------------------------------------------------
// What other modules ask about tracks (through lookup.ts): plain facts, no read model.

export interface TrackFacts {
  id: string;
  library_id: number;
  album_id: string;
  artist_id: string;
  path: string;
  title: string;
  artist_name: string;
  album_name: string;
  duration: number;
  content_type: string;
  suffix: string;
  file_size: number;
}

/** Facts of the given tracks that exist (and that the libraries hold, when given), by id. */
export function findTrackFacts(
  db: Database,
  ids: readonly string[],
  libraries?: LibraryScope,
): Map<string, TrackFacts> {
  const found = new Map<string, TrackFacts>();
  if (ids.length === 0) return found;
  const visible = visibleIn(libraries, 'track', 't');
  const rows = db
    .prepare(
      `SELECT t.id, t.library_id, t.album_id, t.artist_id, t.path, t.title, t.artist_name, t.album_name, t.duration,
         t.content_type, t.suffix, t.file_size
       FROM track t WHERE t.id IN (SELECT value FROM json_each(?))${visible.sql}`,
    )
    .all(JSON.stringify([...new Set(ids)]), ...visible.params) as TrackFacts[];
  for (const row of rows) found.set(row.id, row);
  return found;
}

/** An album's track ids in the album-track order. */
export function albumTrackIds(db: Database, albumId: string, libraries?: LibraryScope): string[] {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(`SELECT t.id FROM track t WHERE t.album_id = ?${visible.sql} ORDER BY ${albumTrackOrder('t')}`)
    .pluck()
    .all(albumId, ...visible.params) as string[];
}

export function trackIdByPath(db: Database, libraryId: number, relPath: string): string | undefined {
  return db
    .prepare('SELECT t.id FROM track t WHERE t.library_id = ? AND t.path = ?')
    .pluck()
    .get(libraryId, relPath) as string | undefined;
}

export interface TrackMatchRow {
  id: string;
  title: string;
  artist_name: string;
  album_artist_name: string;
  album_name: string;
  mbz_recording_id: string | null;
  duration: number;
}

/** Every track the libraries hold, with what a listening history names it by (history import). */
export function trackMatchRows(db: Database, libraries: LibraryScope): TrackMatchRow[] {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT t.id, t.title, t.artist_name, t.album_artist_name, t.album_name, t.mbz_recording_id, t.duration
       FROM track t WHERE 1${visible.sql}`,
    )
    .all(...visible.params) as TrackMatchRow[];
}
