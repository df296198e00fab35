// The scanner's write side: upserts tracks with their artist and genre links, keeps folders in step
// with the disk, and refreshes album, artist and genre rows from their tracks. Hand-written SQL through
// cached prepared statements: this is the hot path of a scan. Callers own the transactions.
import path from 'node:path';
import type { Database } from '../db/database.ts';
import { VARIOUS_ARTISTS } from './grouping.ts';
import { artistId, folderId, genreId, orderName } from '../music/identity.ts';
import type { ReadTrack } from './tags.ts';

export interface TrackLinkArtist {
  name: string;
  role: string;
  subRole?: string;
  sortName?: string | null;
}

/** Values that go to the track row as they were read from the file. */
type ReadValues = Pick<
  ReadTrack,
  | 'trackTotal'
  | 'discTotal'
  | 'discSubtitle'
  | 'year'
  | 'date'
  | 'originalDate'
  | 'releaseDate'
  | 'duration'
  | 'bitrate'
  | 'sampleRate'
  | 'bitDepth'
  | 'channels'
  | 'codec'
  | 'lossless'
  | 'mbzRecordingId'
  | 'mbzTrackId'
  | 'mbzAlbumId'
  | 'isrc'
  | 'bpm'
  | 'comment'
  | 'trackGain'
  | 'trackPeak'
  | 'albumGain'
  | 'albumPeak'
  | 'lyrics'
>;

/** A complete track row as the scanner computed it, ids included. */
export interface TrackWrite extends ReadValues {
  id: string;
  libraryId: number;
  folderId: string;
  path: string;
  fileSize: number;
  fileMtime: number;
  suffix: string;
  contentType: string;
  title: string;
  sortTitle: string;
  albumId: string;
  albumName: string;
  albumSortName: string;
  albumArtists: string[];
  albumArtistDisplay: string;
  albumArtistSort: string | null;
  artistDisplay: string;
  artists: TrackLinkArtist[];
  genres: string[];
  trackNumber: number | null;
  discNumber: number;
  compilation: boolean;
  hasEmbeddedArt: boolean;
  tags: Record<string, unknown>;
}

export interface ExistingTrack {
  pk: number;
  id: string;
  library_id: number;
  path: string;
  album_id: string;
  created_at: number;
}

export interface DirtySets {
  albums: Set<string>;
  artists: Set<string>;
  trackPks: Set<number>;
  albumPks: Set<number>;
  artistPks: Set<number>;
}

export function emptyDirtySets(): DirtySets {
  return {
    albums: new Set(),
    artists: new Set(),
    trackPks: new Set(),
    albumPks: new Set(),
    artistPks: new Set(),
  };
}

export class CatalogWriter {
  private readonly db: Database;
  private readonly articles: readonly string[];

  constructor(db: Database, articles: readonly string[]) {
    this.db = db;
    this.articles = articles;
  }

  findTrackById(id: string): ExistingTrack | undefined {
    return this.db
      .prepare('SELECT pk, id, library_id, path, album_id, created_at FROM track WHERE id = ?')
      .get(id) as ExistingTrack | undefined;
  }

  findTrackByPath(libraryId: number, relPath: string): ExistingTrack | undefined {
    return this.db
      .prepare(
        'SELECT pk, id, library_id, path, album_id, created_at FROM track WHERE library_id = ? AND path = ?',
      )
      .get(libraryId, relPath) as ExistingTrack | undefined;
  }

  upsertFolder(
    libraryId: number,
    folder: { path: string; name: string; mtime: number; images: string[] },
    now: number,
  ): void {
    const parent =
      folder.path === ''
        ? null
        : folderId(libraryId, path.posix.dirname(folder.path) === '.' ? '' : path.posix.dirname(folder.path));
    this.db
      .prepare(
        `INSERT INTO folder (id, library_id, parent_id, path, name, mtime, images, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name, mtime = excluded.mtime, images = excluded.images, updated_at = excluded.updated_at`,
      )
      .run(
        folderId(libraryId, folder.path),
        libraryId,
        parent,
        folder.path,
        folder.name,
        folder.mtime,
        JSON.stringify(folder.images),
        now,
      );
  }

  deleteFolders(ids: readonly string[]): void {
    // Children first: a folder row is referenced by its sub-folders only through parent_id (no FK).
    const statement = this.db.prepare('DELETE FROM folder WHERE id = ?');
    for (const id of ids) statement.run(id);
  }

  private ensureArtist(
    name: string,
    sortName: string | null | undefined,
    now: number,
    dirty: DirtySets,
  ): string {
    const id = artistId(name);
    const sort = sortName?.trim() || name;
    const result = this.db
      .prepare(
        'INSERT INTO artist (id, name, sort_name, order_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
      )
      .run(id, name, sort, orderName(sortName?.trim() || name, this.articles), now, now);
    if (result.changes > 0) dirty.artistPks.add(Number(result.lastInsertRowid));
    dirty.artists.add(id);
    return id;
  }

  private ensureGenre(name: string): string {
    const id = genreId(name);
    this.db.prepare('INSERT INTO genre (id, name) VALUES (?, ?) ON CONFLICT DO NOTHING').run(id, name);
    return id;
  }

  /**
   * Writes one track. `existing` is the row this file replaces: the same path (changed file) or the
   * same identity at a vanished path (moved file); it keeps its pk and date added.
   */
  writeTrack(track: TrackWrite, existing: ExistingTrack | undefined, now: number, dirty: DirtySets): void {
    const albumArtistIds = track.albumArtists.map((name, index) =>
      this.ensureArtist(name, index === 0 ? track.albumArtistSort : null, now, dirty),
    );
    const albumArtistId = albumArtistIds[0] ?? this.ensureArtist(VARIOUS_ARTISTS, null, now, dirty);
    const albumInsert = this.db
      .prepare(
        `INSERT INTO album (id, name, sort_name, order_name, artist_id, artist_name, order_artist_name, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      )
      .run(
        track.albumId,
        track.albumName,
        track.albumSortName,
        orderName(track.albumSortName, this.articles),
        albumArtistId,
        track.albumArtistDisplay,
        orderName(track.albumArtistSort ?? track.albumArtistDisplay, this.articles),
        now,
        now,
      );
    if (albumInsert.changes > 0) dirty.albumPks.add(Number(albumInsert.lastInsertRowid));
    dirty.albums.add(track.albumId);

    const links = track.artists.map((artist) => ({
      ...artist,
      artistId: this.ensureArtist(artist.name, artist.sortName, now, dirty),
    }));
    const primaryArtistId = links.find((link) => link.role === 'artist')?.artistId ?? albumArtistId;
    const genreIds = track.genres.map((genre) => this.ensureGenre(genre));

    const values = [
      track.id,
      track.libraryId,
      track.folderId,
      track.path,
      track.fileSize,
      track.fileMtime,
      track.suffix,
      track.contentType,
      track.title,
      track.sortTitle,
      orderName(track.sortTitle, this.articles),
      track.albumId,
      track.albumName,
      primaryArtistId,
      track.artistDisplay,
      track.albumArtistDisplay,
      track.trackNumber,
      track.trackTotal,
      track.discNumber,
      track.discTotal,
      track.discSubtitle,
      track.year,
      track.date,
      track.originalDate,
      track.releaseDate,
      track.genres[0] ?? null,
      track.compilation ? 1 : 0,
      track.duration,
      track.bitrate,
      track.sampleRate,
      track.bitDepth,
      track.channels,
      track.codec,
      track.lossless ? 1 : 0,
      track.hasEmbeddedArt ? 1 : 0,
      track.mbzRecordingId,
      track.mbzTrackId,
      track.mbzAlbumId,
      JSON.stringify(track.isrc),
      track.bpm,
      track.comment,
      track.trackGain,
      track.trackPeak,
      track.albumGain,
      track.albumPeak,
      JSON.stringify(track.lyrics),
      JSON.stringify(track.tags),
    ];
    let pk: number;
    if (existing) {
      this.forgetLinks(existing.id, dirty);
      dirty.albums.add(existing.album_id);
      this.db
        .prepare(
          `UPDATE track SET id = ?, library_id = ?, folder_id = ?, path = ?, file_size = ?, file_mtime = ?, suffix = ?, content_type = ?,
           title = ?, sort_title = ?, order_title = ?, album_id = ?, album_name = ?, artist_id = ?, artist_name = ?, album_artist_name = ?,
           track_number = ?, track_total = ?, disc_number = ?, disc_total = ?, disc_subtitle = ?, year = ?, date = ?, original_date = ?,
           release_date = ?, genre = ?, compilation = ?, duration = ?, bitrate = ?, sample_rate = ?, bit_depth = ?, channels = ?, codec = ?,
           lossless = ?, has_embedded_art = ?, mbz_recording_id = ?, mbz_track_id = ?, mbz_album_id = ?, isrc = ?, bpm = ?, comment = ?,
           rg_track_gain = ?, rg_track_peak = ?, rg_album_gain = ?, rg_album_peak = ?, lyrics = ?, tags = ?, updated_at = ?
           WHERE pk = ?`,
        )
        .run(...values, now, existing.pk);
      pk = existing.pk;
    } else {
      const result = this.db
        .prepare(
          `INSERT INTO track (id, library_id, folder_id, path, file_size, file_mtime, suffix, content_type, title, sort_title, order_title,
           album_id, album_name, artist_id, artist_name, album_artist_name, track_number, track_total, disc_number, disc_total, disc_subtitle,
           year, date, original_date, release_date, genre, compilation, duration, bitrate, sample_rate, bit_depth, channels, codec, lossless,
           has_embedded_art, mbz_recording_id, mbz_track_id, mbz_album_id, isrc, bpm, comment, rg_track_gain, rg_track_peak, rg_album_gain,
           rg_album_peak, lyrics, tags, created_at, updated_at)
           VALUES (${Array.from({ length: values.length + 2 }, () => '?').join(', ')})`,
        )
        .run(...values, now, now);
      pk = Number(result.lastInsertRowid);
    }
    dirty.trackPks.add(pk);

    const insertArtist = this.db.prepare(
      'INSERT OR IGNORE INTO track_artist (track_id, artist_id, role, sub_role, position) VALUES (?, ?, ?, ?, ?)',
    );
    for (const [position, link] of links.entries())
      insertArtist.run(track.id, link.artistId, link.role, link.subRole ?? '', position);
    const insertGenre = this.db.prepare(
      'INSERT OR IGNORE INTO track_genre (track_id, genre_id, position) VALUES (?, ?, ?)',
    );
    for (const [position, id] of genreIds.entries()) insertGenre.run(track.id, id, position);
  }

  /** Gives an unchanged track a new identity after its album was regrouped (rare). */
  reidentifyTrack(
    existing: ExistingTrack,
    update: { id: string; albumId: string; albumArtists: string[]; albumArtistDisplay: string },
    now: number,
    dirty: DirtySets,
  ): void {
    const artistLinks = this.db
      .prepare('SELECT artist_id, role, sub_role, position FROM track_artist WHERE track_id = ?')
      .all(existing.id) as { artist_id: string; role: string; sub_role: string; position: number }[];
    const genreLinks = this.db
      .prepare('SELECT genre_id, position FROM track_genre WHERE track_id = ?')
      .all(existing.id) as { genre_id: string; position: number }[];
    const album = this.db.prepare('SELECT album_name, tags FROM track WHERE pk = ?').get(existing.pk) as {
      album_name: string;
      tags: string;
    };
    const albumArtistIds = update.albumArtists.map((name) => this.ensureArtist(name, null, now, dirty));
    const insert = this.db
      .prepare(
        `INSERT INTO album (id, name, sort_name, order_name, artist_id, artist_name, order_artist_name, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      )
      .run(
        update.albumId,
        album.album_name,
        album.album_name,
        orderName(album.album_name, this.articles),
        albumArtistIds[0]!,
        update.albumArtistDisplay,
        orderName(update.albumArtistDisplay, this.articles),
        now,
        now,
      );
    if (insert.changes > 0) dirty.albumPks.add(Number(insert.lastInsertRowid));
    this.forgetLinks(existing.id, dirty);
    const tags = {
      ...(JSON.parse(album.tags) as Record<string, unknown>),
      albumArtists: update.albumArtists,
    };
    this.db
      .prepare(
        'UPDATE track SET id = ?, album_id = ?, album_artist_name = ?, tags = ?, updated_at = ? WHERE pk = ?',
      )
      .run(update.id, update.albumId, update.albumArtistDisplay, JSON.stringify(tags), now, existing.pk);
    const insertArtist = this.db.prepare(
      'INSERT OR IGNORE INTO track_artist (track_id, artist_id, role, sub_role, position) VALUES (?, ?, ?, ?, ?)',
    );
    for (const link of artistLinks)
      insertArtist.run(update.id, link.artist_id, link.role, link.sub_role, link.position);
    const insertGenre = this.db.prepare(
      'INSERT OR IGNORE INTO track_genre (track_id, genre_id, position) VALUES (?, ?, ?)',
    );
    for (const link of genreLinks) insertGenre.run(update.id, link.genre_id, link.position);
    dirty.albums.add(existing.album_id);
    dirty.albums.add(update.albumId);
    dirty.trackPks.add(existing.pk);
  }

  deleteTrack(existing: ExistingTrack, dirty: DirtySets): void {
    this.forgetLinks(existing.id, dirty);
    this.db.prepare('DELETE FROM track WHERE pk = ?').run(existing.pk);
    dirty.albums.add(existing.album_id);
    dirty.trackPks.add(existing.pk);
  }

  private forgetLinks(trackIdValue: string, dirty: DirtySets): void {
    const artists = this.db
      .prepare('SELECT artist_id FROM track_artist WHERE track_id = ?')
      .all(trackIdValue) as { artist_id: string }[];
    for (const { artist_id } of artists) dirty.artists.add(artist_id);
    this.db.prepare('DELETE FROM track_artist WHERE track_id = ?').run(trackIdValue);
    this.db.prepare('DELETE FROM track_genre WHERE track_id = ?').run(trackIdValue);
  }

  recordIssue(
    libraryId: number,
    file: { path: string; size: number; mtime: number },
    reason: string,
    now: number,
  ): void {
    this.db
      .prepare(
        `INSERT INTO scan_issue (library_id, path, file_size, file_mtime, reason, seen_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (library_id, path) DO UPDATE SET file_size = excluded.file_size, file_mtime = excluded.file_mtime, reason = excluded.reason, seen_at = excluded.seen_at`,
      )
      .run(libraryId, file.path, file.size, file.mtime, reason, now);
  }

  clearIssue(libraryId: number, relPath: string): void {
    this.db.prepare('DELETE FROM scan_issue WHERE library_id = ? AND path = ?').run(libraryId, relPath);
  }
}
