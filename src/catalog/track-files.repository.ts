// The files behind tracks, for the modules that open them: playback (streaming/media-file.ts), archives
// (streaming/zip-download.ts) and pictures (artwork/sources.ts). Plain rows, no read model; each query
// applies the one visibility filter, so a track in a library the caller may not see is simply not found.
import { albumTrackOrder } from '../db/album-track-order.ts';
import type { Database } from '../db/database.ts';
import { type LibraryScope, visibleIn } from './visibility.repository.ts';

/** A track to play, with its library's folder and whether that library is offline. */
export interface PlaybackTrack {
  id: string;
  library_id: number;
  path: string;
  title: string;
  suffix: string;
  content_type: string;
  bitrate: number | null;
  duration: number;
  lossless: number;
  codec: string | null;
  sample_rate: number | null;
  channels: number | null;
  bit_depth: number | null;
  library_path: string;
  library_name: string;
  offline_since: number | null;
  offline_reason: string | null;
}

export function trackForPlayback(
  db: Database,
  trackId: string,
  libraries: LibraryScope,
): PlaybackTrack | undefined {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT t.id, t.library_id, t.path, t.title, t.suffix, t.content_type, t.bitrate, t.duration, t.lossless,
        t.codec, t.sample_rate, t.channels, t.bit_depth, l.path AS library_path, l.name AS library_name,
        l.offline_since, l.offline_reason
       FROM track t JOIN library l ON l.id = t.library_id WHERE t.id = ?${visible.sql}`,
    )
    .get(trackId, ...visible.params) as PlaybackTrack | undefined;
}

/**
 * Flags a track whose file was found gone when it was to be played (kept from an earlier flag). The one
 * write of the read side: the next scan confirms it and removes the track, or clears the flag.
 */
export function markTrackMissing(db: Database, trackId: string, now: number): void {
  db.prepare('UPDATE track SET missing_since = coalesce(missing_since, ?) WHERE id = ?').run(now, trackId);
}

// ---------------------------------------------------------------------------------------------------
// Archives.

/** What an archive entry is named after. */
export interface ArchiveTrack {
  id: string;
  library_id: number;
  path: string;
  title: string;
  artist_name: string;
  album_id: string;
  album_name: string;
  track_number: number | null;
  disc_number: number;
  suffix: string;
}

const ARCHIVE_COLUMNS =
  't.id, t.library_id, t.path, t.title, t.artist_name, t.album_id, t.album_name, t.track_number, t.disc_number, t.suffix';

/** The album's tracks in the album-track order. */
export function albumArchiveTracks(db: Database, albumId: string, libraries: LibraryScope): ArchiveTrack[] {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT ${ARCHIVE_COLUMNS} FROM track t WHERE t.album_id = ?${visible.sql} ORDER BY ${albumTrackOrder('t')}`,
    )
    .all(albumId, ...visible.params) as ArchiveTrack[];
}

/** The tracks of the albums the artist is an album artist of: albums as the artist's page lists them. */
export function artistArchiveTracks(db: Database, artistId: string, libraries: LibraryScope): ArchiveTrack[] {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT ${ARCHIVE_COLUMNS} FROM track t JOIN album al ON al.id = t.album_id
       WHERE (al.artist_id = ? OR al.id IN (SELECT aa.album_id FROM album_artist aa WHERE aa.artist_id = ?))${visible.sql}
       ORDER BY al.year IS NULL, al.year, al.order_name, al.id, ${albumTrackOrder('t')}`,
    )
    .all(artistId, artistId, ...visible.params) as ArchiveTrack[];
}

/** The given tracks that exist and are visible, in id order. */
export function archiveTracksByIds(
  db: Database,
  ids: readonly string[],
  libraries: LibraryScope,
): ArchiveTrack[] {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT ${ARCHIVE_COLUMNS} FROM track t WHERE t.id IN (SELECT value FROM json_each(?))${visible.sql} ORDER BY t.id`,
    )
    .all(JSON.stringify(ids), ...visible.params) as ArchiveTrack[];
}

/** The tracks in a library folder and below it ('' is the library root), by path. */
export function archiveTracksBelow(
  db: Database,
  libraryId: number,
  folderPath: string,
  libraries: LibraryScope,
): ArchiveTrack[] {
  const visible = visibleIn(libraries, 'track', 't');
  // Files below a folder lie between "<path>/" and "<path>0" ('0' sorts right after '/'): an index range.
  if (folderPath === '') {
    return db
      .prepare(`SELECT ${ARCHIVE_COLUMNS} FROM track t WHERE t.library_id = ?${visible.sql} ORDER BY t.path`)
      .all(libraryId, ...visible.params) as ArchiveTrack[];
  }
  return db
    .prepare(
      `SELECT ${ARCHIVE_COLUMNS} FROM track t WHERE t.library_id = ? AND t.path >= ? || '/' AND t.path < ? || '0'${visible.sql} ORDER BY t.path`,
    )
    .all(libraryId, folderPath, folderPath, ...visible.params) as ArchiveTrack[];
}

// ---------------------------------------------------------------------------------------------------
// Pictures.

export interface TrackArt {
  id: string;
  library_id: number;
  album_id: string;
  has_embedded_art: number;
}

export function trackArt(db: Database, trackId: string, libraries: LibraryScope): TrackArt | undefined {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT t.id, t.library_id, t.album_id, t.has_embedded_art FROM track t WHERE t.id = ?${visible.sql}`,
    )
    .get(trackId, ...visible.params) as TrackArt | undefined;
}

/** The first track of the album (in the album-track order) with an embedded picture, other than one. */
export function otherTrackWithArt(
  db: Database,
  albumId: string,
  exceptTrackId: string | null,
  libraries: LibraryScope,
): string | undefined {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT t.id FROM track t WHERE t.album_id = ? AND t.has_embedded_art = 1 AND t.id IS NOT ?${visible.sql}
       ORDER BY ${albumTrackOrder('t')} LIMIT 1`,
    )
    .pluck()
    .get(albumId, exceptTrackId, ...visible.params) as string | undefined;
}

/** The album of each of the first `limit` visible tracks of the given ones, in the order of the tracks. */
export function albumIdsOfTracks(
  db: Database,
  trackIds: readonly string[],
  libraries: LibraryScope,
  limit: number,
): string[] {
  const visible = visibleIn(libraries, 'track', 't');
  return db
    .prepare(
      `SELECT t.album_id FROM json_each(?) AS entry JOIN track t ON t.id = entry.value
       WHERE 1${visible.sql} ORDER BY entry.key LIMIT ?`,
    )
    .pluck()
    .all(JSON.stringify(trackIds), ...visible.params, limit) as string[];
}
