// Track rows and their artist and genre links as the scanner reads and writes them: the hot path of a
// scan, so hand-written SQL through cached prepared statements. Callers own the transactions.
import type { Database } from '../db/database.ts';
import type { TrackArtistTable, TrackGenreTable, TrackRow } from '../db/schema.ts';

/** What the diff needs of every known track of a library. */
export type StoredTrack = Pick<
  TrackRow,
  'pk' | 'id' | 'path' | 'file_size' | 'file_mtime' | 'album_id' | 'created_at' | 'missing_since'
>;

/** A track row a write replaces, moves or gives a new identity. */
export type ExistingTrack = Pick<TrackRow, 'pk' | 'id' | 'library_id' | 'path' | 'album_id' | 'created_at'>;

/** An unchanged track that takes part in regrouping its album folder. */
export type GroupedTrack = ExistingTrack &
  Pick<
    TrackRow,
    | 'title'
    | 'album_name'
    | 'compilation'
    | 'mbz_album_id'
    | 'mbz_track_id'
    | 'disc_number'
    | 'track_number'
    | 'suffix'
    | 'tags'
  >;

/** Every column a scan writes, in the order of the statements below. */
const TRACK_COLUMNS = [
  'id',
  'library_id',
  'folder_id',
  'path',
  'file_size',
  'file_mtime',
  'suffix',
  'content_type',
  'title',
  'sort_title',
  'order_title',
  'album_id',
  'album_name',
  'artist_id',
  'artist_name',
  'album_artist_name',
  'track_number',
  'track_total',
  'disc_number',
  'disc_total',
  'disc_subtitle',
  'year',
  'date',
  'original_date',
  'release_date',
  'genre',
  'compilation',
  'duration',
  'bitrate',
  'sample_rate',
  'bit_depth',
  'channels',
  'codec',
  'lossless',
  'has_embedded_art',
  'mbz_recording_id',
  'mbz_track_id',
  'mbz_album_id',
  'isrc',
  'bpm',
  'comment',
  'rg_track_gain',
  'rg_track_peak',
  'rg_album_gain',
  'rg_album_peak',
  'lyrics',
  'tags',
] as const satisfies readonly (keyof TrackRow)[];

export type TrackColumns = Pick<TrackRow, (typeof TRACK_COLUMNS)[number]>;

const INSERT_TRACK = `INSERT INTO track (id, library_id, folder_id, path, file_size, file_mtime, suffix, content_type, title, sort_title, order_title,
           album_id, album_name, artist_id, artist_name, album_artist_name, track_number, track_total, disc_number, disc_total, disc_subtitle,
           year, date, original_date, release_date, genre, compilation, duration, bitrate, sample_rate, bit_depth, channels, codec, lossless,
           has_embedded_art, mbz_recording_id, mbz_track_id, mbz_album_id, isrc, bpm, comment, rg_track_gain, rg_track_peak, rg_album_gain,
           rg_album_peak, lyrics, tags, created_at, updated_at)
           VALUES (${Array.from({ length: TRACK_COLUMNS.length + 2 }, () => '?').join(', ')})`;

const UPDATE_TRACK = `UPDATE track SET id = ?, library_id = ?, folder_id = ?, path = ?, file_size = ?, file_mtime = ?, suffix = ?, content_type = ?,
           title = ?, sort_title = ?, order_title = ?, album_id = ?, album_name = ?, artist_id = ?, artist_name = ?, album_artist_name = ?,
           track_number = ?, track_total = ?, disc_number = ?, disc_total = ?, disc_subtitle = ?, year = ?, date = ?, original_date = ?,
           release_date = ?, genre = ?, compilation = ?, duration = ?, bitrate = ?, sample_rate = ?, bit_depth = ?, channels = ?, codec = ?,
           lossless = ?, has_embedded_art = ?, mbz_recording_id = ?, mbz_track_id = ?, mbz_album_id = ?, isrc = ?, bpm = ?, comment = ?,
           rg_track_gain = ?, rg_track_peak = ?, rg_album_gain = ?, rg_album_peak = ?, lyrics = ?, tags = ?, updated_at = ?
           WHERE pk = ?`;

function columnValues(track: TrackColumns): unknown[] {
  return TRACK_COLUMNS.map((column) => track[column]);
}

export function tracksOfLibrary(db: Database, libraryId: number): StoredTrack[] {
  return db
    .prepare(
      'SELECT pk, id, path, file_size, file_mtime, album_id, created_at, missing_since FROM track WHERE library_id = ?',
    )
    .all(libraryId) as StoredTrack[];
}

/** The tracks directly in these folders. */
export function tracksInFolders(db: Database, folderIds: readonly string[]): GroupedTrack[] {
  return db
    .prepare(
      `SELECT pk, id, library_id, path, album_id, created_at, title, album_name, compilation, mbz_album_id, mbz_track_id, disc_number, track_number, suffix, tags FROM track WHERE folder_id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(folderIds)) as GroupedTrack[];
}

export function trackById(db: Database, id: string): ExistingTrack | undefined {
  return db
    .prepare('SELECT pk, id, library_id, path, album_id, created_at FROM track WHERE id = ?')
    .get(id) as ExistingTrack | undefined;
}

export function trackByPath(db: Database, libraryId: number, relPath: string): ExistingTrack | undefined {
  return db
    .prepare(
      'SELECT pk, id, library_id, path, album_id, created_at FROM track WHERE library_id = ? AND path = ?',
    )
    .get(libraryId, relPath) as ExistingTrack | undefined;
}

/** The files of these tracks are there again (a stream had found them gone). */
export function clearMissingSince(db: Database, pks: Iterable<number>): void {
  const clear = db.prepare('UPDATE track SET missing_since = NULL WHERE pk = ?');
  for (const pk of pks) clear.run(pk);
}

/** Inserts a track; returns its pk. */
export function insertTrack(db: Database, track: TrackColumns, now: number): number {
  const result = db.prepare(INSERT_TRACK).run(...columnValues(track), now, now);
  return Number(result.lastInsertRowid);
}

/** Rewrites every column of the track with this pk (its created_at stays). */
export function updateTrack(db: Database, pk: number, track: TrackColumns, now: number): void {
  db.prepare(UPDATE_TRACK).run(...columnValues(track), now, pk);
}

/** A new identity for a track whose file did not change: its id, album and album artists. */
export function reidentifyTrackRow(
  db: Database,
  pk: number,
  update: Pick<TrackRow, 'id' | 'album_id' | 'album_artist_name' | 'tags'>,
  now: number,
): void {
  db.prepare(
    'UPDATE track SET id = ?, album_id = ?, album_artist_name = ?, tags = ?, updated_at = ? WHERE pk = ?',
  ).run(update.id, update.album_id, update.album_artist_name, update.tags, now, pk);
}

export function albumNameAndTagsOf(db: Database, pk: number): Pick<TrackRow, 'album_name' | 'tags'> {
  return db.prepare('SELECT album_name, tags FROM track WHERE pk = ?').get(pk) as Pick<
    TrackRow,
    'album_name' | 'tags'
  >;
}

export function deleteTrack(db: Database, pk: number): void {
  db.prepare('DELETE FROM track WHERE pk = ?').run(pk);
}

export type TrackArtistLink = Omit<TrackArtistTable, 'track_id'>;
export type TrackGenreLink = Omit<TrackGenreTable, 'track_id'>;

export function artistLinksOf(db: Database, trackId: string): TrackArtistLink[] {
  return db
    .prepare('SELECT artist_id, role, sub_role, position FROM track_artist WHERE track_id = ?')
    .all(trackId) as TrackArtistLink[];
}

export function genreLinksOf(db: Database, trackId: string): TrackGenreLink[] {
  return db
    .prepare('SELECT genre_id, position FROM track_genre WHERE track_id = ?')
    .all(trackId) as TrackGenreLink[];
}

/** The artists linked to the track, in any role. */
export function linkedArtistIds(db: Database, trackId: string): string[] {
  return (
    db.prepare('SELECT artist_id FROM track_artist WHERE track_id = ?').all(trackId) as {
      artist_id: string;
    }[]
  ).map((row) => row.artist_id);
}

export function deleteTrackLinks(db: Database, trackId: string): void {
  db.prepare('DELETE FROM track_artist WHERE track_id = ?').run(trackId);
  db.prepare('DELETE FROM track_genre WHERE track_id = ?').run(trackId);
}

export function insertArtistLinks(db: Database, trackId: string, links: readonly TrackArtistLink[]): void {
  const insertArtist = db.prepare(
    'INSERT OR IGNORE INTO track_artist (track_id, artist_id, role, sub_role, position) VALUES (?, ?, ?, ?, ?)',
  );
  for (const link of links)
    insertArtist.run(trackId, link.artist_id, link.role, link.sub_role, link.position);
}

export function insertGenreLinks(db: Database, trackId: string, links: readonly TrackGenreLink[]): void {
  const insertGenre = db.prepare(
    'INSERT OR IGNORE INTO track_genre (track_id, genre_id, position) VALUES (?, ?, ?)',
  );
  for (const link of links) insertGenre.run(trackId, link.genre_id, link.position);
}
