// Which picture a cover-art id stands for. An id is looked up in the catalog (a client never names a
// path), must be in a library the caller may see (else 70, the answer to an unknown id, so hidden items
// are not revealed), and yields candidates in order of preference:
//   tr-  the track's own embedded picture (when the scan saw one), then its album's candidates
//   al-  the folder image the scan chose (cover_path), the track whose picture it chose (cover_track_id),
//        then any other track of the album with a picture (the chosen one may have gone since the scan)
//   ar-  the artist image (artist.*), then the candidates of up to three of the artist's albums
//   fo-  the folder's images (coverArtPriority patterns first), then the album found in or below it
//   pl-  a 2×2 mosaic of the first four distinct album covers of its tracks, or the first cover when
//        there are fewer; playlists the caller may see only (public, their own, any for admins)
// Candidates are lazy: the database part is checked at once, the files only when a candidate is tried,
// so the usual case (the first candidate is fine) costs one realpath and one stat. Images named by
// catalog rows are opened through libraryFile and audio files through openMediaFile, which keep every
// real path inside its library's real root.
import fs from 'node:fs';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import { isTonearmError, TonearmError } from '../shared/errors.ts';
import { libraryFile, openMediaFile } from '../streaming/media-file.ts';

/** A file on disk that holds a picture, with the size and mtime that version it. */
export interface FileSource {
  /** An image file, or an audio file with the picture in its tags. */
  kind: 'image' | 'embedded';
  /** Real path, inside its library. */
  file: string;
  size: number;
  mtimeMs: number;
}

export type ArtSource = FileSource | { kind: 'mosaic'; tiles: FileSource[] };

/** One way to find a picture; undefined when that way has none (a file gone, no such track). */
export type Candidate = () => Promise<ArtSource | undefined>;

export interface ArtworkViewer {
  userId: string;
  isAdmin: boolean;
}

export interface SourceRequest {
  id: string;
  /** Libraries the caller may see; undefined = all. */
  libraryIds: readonly number[] | undefined;
  /** The caller, for playlists; without one only public playlists show. */
  viewer?: ArtworkViewer | undefined;
}

/** Ids longer than any Tonearm hands out are refused without a query. */
const MAX_ID_LENGTH = 100;
/** Albums looked at for a playlist mosaic before giving up on finding four covers. */
const MOSAIC_ALBUMS_TRIED = 12;
const MOSAIC_TILES = 4;

/** What identifies a source's content: a change of file, size or mtime gives another fingerprint. */
export function fingerprint(source: ArtSource): string {
  if (source.kind === 'mosaic') return `mosaic\u0001${source.tiles.map(fingerprint).join('\u0001')}`;
  return `${source.kind}\u0001${source.file}\u0001${source.size}\u0001${Math.floor(source.mtimeMs)}`;
}

function notFound(id: string): TonearmError {
  return new TonearmError('NOT_FOUND', `cover art not found: ${id.slice(0, 64)}`);
}

function sees(libraryIds: readonly number[] | undefined, libraryId: number): boolean {
  return !libraryIds || libraryIds.includes(libraryId);
}

/** An SQL condition on `column` for the viewer's libraries, with its parameters. */
function inLibraries(column: string, libraryIds: readonly number[] | undefined): [string, unknown[]] {
  if (!libraryIds) return ['', []];
  return [` AND ${column} IN (SELECT value FROM json_each(?))`, [JSON.stringify(libraryIds)]];
}

/** The candidates for a cover-art id, best first; NOT_FOUND for an unknown or hidden id. */
export function coverCandidates(db: Database, config: Config, request: SourceRequest): Candidate[] {
  const id = request.id.trim();
  if (id.length > MAX_ID_LENGTH) throw notFound(id);
  const prefix = id.slice(0, 3);
  if (prefix === 'tr-') return trackCandidates(db, id, request.libraryIds);
  if (prefix === 'al-') return albumIdCandidates(db, id, request.libraryIds);
  if (prefix === 'ar-') return artistCandidates(db, id, request.libraryIds);
  if (prefix === 'fo-') return folderCandidates(db, config, id, request.libraryIds);
  if (prefix === 'pl-') return playlistCandidates(db, id, request);
  throw notFound(id);
}

function imageFile(db: Database, libraryId: number, relPath: string): Candidate {
  return async () => {
    const file = await libraryFile(db, libraryId, relPath);
    if (!file) return undefined;
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (!stat?.isFile()) return undefined;
    return { kind: 'image', file, size: stat.size, mtimeMs: stat.mtimeMs };
  };
}

function embeddedIn(db: Database, trackId: string, libraryIds: readonly number[] | undefined): Candidate {
  return async () => {
    try {
      const media = await openMediaFile(db, trackId, libraryIds);
      return { kind: 'embedded', file: media.file, size: media.size, mtimeMs: media.mtimeMs };
    } catch (error) {
      // A track that is gone or hidden just has no picture to offer; the next candidate may.
      if (isTonearmError(error)) return undefined;
      throw error;
    }
  };
}

interface AlbumCoverRow {
  id: string;
  cover_library_id: number | null;
  cover_path: string | null;
  cover_track_id: string | null;
}

const ALBUM_COVER_COLUMNS = 'al.id, al.cover_library_id, al.cover_path, al.cover_track_id';

function albumCandidates(db: Database, album: AlbumCoverRow, libraryIds: readonly number[] | undefined) {
  const candidates: Candidate[] = [];
  if (
    album.cover_path !== null &&
    album.cover_library_id !== null &&
    sees(libraryIds, album.cover_library_id)
  )
    candidates.push(imageFile(db, album.cover_library_id, album.cover_path));
  if (album.cover_track_id !== null) candidates.push(embeddedIn(db, album.cover_track_id, libraryIds));
  candidates.push(async () => {
    const [filter, params] = inLibraries('library_id', libraryIds);
    const other = db
      .prepare(
        `SELECT id FROM track WHERE album_id = ? AND has_embedded_art = 1 AND id IS NOT ?${filter}
         ORDER BY disc_number, track_number, path LIMIT 1`,
      )
      .pluck()
      .get(album.id, album.cover_track_id, ...params) as string | undefined;
    return other === undefined ? undefined : embeddedIn(db, other, libraryIds)();
  });
  return candidates;
}

function albumRow(db: Database, id: string): AlbumCoverRow | undefined {
  return db.prepare(`SELECT ${ALBUM_COVER_COLUMNS} FROM album al WHERE al.id = ?`).get(id) as
    | AlbumCoverRow
    | undefined;
}

function albumVisible(db: Database, albumId: string, libraryIds: readonly number[] | undefined): boolean {
  if (!libraryIds) return true;
  return (
    db
      .prepare(
        'SELECT 1 FROM library_album WHERE album_id = ? AND library_id IN (SELECT value FROM json_each(?))',
      )
      .get(albumId, JSON.stringify(libraryIds)) !== undefined
  );
}

function albumIdCandidates(db: Database, id: string, libraryIds: readonly number[] | undefined): Candidate[] {
  const album = albumRow(db, id);
  if (!album || !albumVisible(db, id, libraryIds)) throw notFound(id);
  return albumCandidates(db, album, libraryIds);
}

function trackCandidates(db: Database, id: string, libraryIds: readonly number[] | undefined): Candidate[] {
  const track = db
    .prepare('SELECT id, library_id, album_id, has_embedded_art FROM track WHERE id = ?')
    .get(id) as { id: string; library_id: number; album_id: string; has_embedded_art: number } | undefined;
  if (!track || !sees(libraryIds, track.library_id)) throw notFound(id);
  const candidates: Candidate[] = [];
  if (track.has_embedded_art) candidates.push(embeddedIn(db, track.id, libraryIds));
  const album = albumRow(db, track.album_id);
  if (album) candidates.push(...albumCandidates(db, album, libraryIds));
  return candidates;
}

function artistCandidates(db: Database, id: string, libraryIds: readonly number[] | undefined): Candidate[] {
  const artist = db.prepare('SELECT id, image_library_id, image_path FROM artist WHERE id = ?').get(id) as
    | { id: string; image_library_id: number | null; image_path: string | null }
    | undefined;
  if (!artist) throw notFound(id);
  if (libraryIds) {
    const visible = db
      .prepare(
        'SELECT 1 FROM library_artist WHERE artist_id = ? AND library_id IN (SELECT value FROM json_each(?))',
      )
      .get(id, JSON.stringify(libraryIds));
    if (!visible) throw notFound(id);
  }
  const candidates: Candidate[] = [];
  if (
    artist.image_path !== null &&
    artist.image_library_id !== null &&
    sees(libraryIds, artist.image_library_id)
  )
    candidates.push(imageFile(db, artist.image_library_id, artist.image_path));
  const [filter, params] = inLibraries('la.library_id', libraryIds);
  const visibleAlbum = `EXISTS (SELECT 1 FROM library_album la WHERE la.album_id = al.id${filter})`;
  const withCover = '(al.cover_path IS NOT NULL OR al.cover_track_id IS NOT NULL)';
  // Their own albums, newest first; for an artist who only appears on others' albums, those.
  let albums = db
    .prepare(
      `SELECT ${ALBUM_COVER_COLUMNS} FROM album_artist aa JOIN album al ON al.id = aa.album_id
       WHERE aa.artist_id = ? AND ${withCover} AND ${visibleAlbum}
       ORDER BY coalesce(al.year, 0) DESC, al.order_name LIMIT 3`,
    )
    .all(id, ...params) as AlbumCoverRow[];
  if (albums.length === 0)
    albums = db
      .prepare(
        `SELECT DISTINCT ${ALBUM_COVER_COLUMNS} FROM track_artist ta JOIN track t ON t.id = ta.track_id
         JOIN album al ON al.id = t.album_id
         WHERE ta.artist_id = ? AND ${withCover} AND ${visibleAlbum} LIMIT 3`,
      )
      .all(id, ...params) as AlbumCoverRow[];
  for (const album of albums) candidates.push(...albumCandidates(db, album, libraryIds));
  return candidates;
}

/** `name` matches `pattern` as the scanner's cover patterns do: `cover.*` or an exact name, any case. */
function matchesPattern(name: string, pattern: string): boolean {
  const lowerName = name.toLowerCase();
  const lowerPattern = pattern.toLowerCase();
  if (!lowerPattern.endsWith('.*')) return lowerName === lowerPattern;
  const stem = lowerPattern.slice(0, -1);
  return lowerName.startsWith(stem) && !lowerName.slice(stem.length).includes('.');
}

function folderCandidates(
  db: Database,
  config: Config,
  id: string,
  libraryIds: readonly number[] | undefined,
): Candidate[] {
  const folder = db.prepare('SELECT id, library_id, path, images FROM folder WHERE id = ?').get(id) as
    | { id: string; library_id: number; path: string; images: string }
    | undefined;
  if (!folder || !sees(libraryIds, folder.library_id)) throw notFound(id);
  let images: string[] = [];
  try {
    const parsed: unknown = JSON.parse(folder.images);
    if (Array.isArray(parsed)) images = parsed.filter((name): name is string => typeof name === 'string');
  } catch {
    // a damaged list means no folder images; the album below may still have a cover
  }
  const patterns = config.scanner.coverArtPriority.filter((pattern) => pattern !== 'embedded');
  const preferred = patterns.flatMap((pattern) => images.filter((name) => matchesPattern(name, pattern)));
  const ordered = [...new Set([...preferred, ...images])];
  const candidates: Candidate[] = ordered.map((name) =>
    imageFile(db, folder.library_id, folder.path === '' ? name : `${folder.path}/${name}`),
  );
  // `path` between "<folder>/" and "<folder>0" is exactly the files below the folder (as in folders.ts).
  const albumId = (
    folder.path === ''
      ? db
          .prepare('SELECT album_id FROM track WHERE library_id = ? ORDER BY path LIMIT 1')
          .pluck()
          .get(folder.library_id)
      : db
          .prepare(
            `SELECT album_id FROM track WHERE library_id = ? AND path >= ? || '/' AND path < ? || '0'
             ORDER BY path LIMIT 1`,
          )
          .pluck()
          .get(folder.library_id, folder.path, folder.path)
  ) as string | undefined;
  const album = albumId === undefined ? undefined : albumRow(db, albumId);
  if (album) candidates.push(...albumCandidates(db, album, libraryIds));
  return candidates;
}

function playlistCandidates(db: Database, id: string, request: SourceRequest): Candidate[] {
  const playlist = db.prepare('SELECT id, owner_id, public FROM playlist WHERE id = ?').get(id) as
    | { id: string; owner_id: string; public: number }
    | undefined;
  const viewer = request.viewer;
  const visible =
    playlist !== undefined &&
    (playlist.public === 1 || viewer?.isAdmin === true || viewer?.userId === playlist.owner_id);
  if (!visible) throw notFound(id);
  const [filter, params] = inLibraries('t.library_id', request.libraryIds);
  return [
    async () => {
      const albumIds = db
        .prepare(
          `SELECT t.album_id FROM playlist_track e JOIN track t ON t.id = e.track_id
           WHERE e.playlist_id = ?${filter} ORDER BY e.position LIMIT 1000`,
        )
        .pluck()
        .all(id, ...params) as string[];
      const tiles: FileSource[] = [];
      const seen = new Set<string>();
      for (const albumId of [...new Set(albumIds)].slice(0, MOSAIC_ALBUMS_TRIED)) {
        const album = albumRow(db, albumId);
        if (!album) continue;
        const cover = await firstFileSource(albumCandidates(db, album, request.libraryIds));
        if (!cover || seen.has(fingerprint(cover))) continue;
        seen.add(fingerprint(cover));
        tiles.push(cover);
        if (tiles.length === MOSAIC_TILES) return { kind: 'mosaic', tiles };
      }
      return tiles[0];
    },
  ];
}

async function firstFileSource(candidates: Candidate[]): Promise<FileSource | undefined> {
  for (const candidate of candidates) {
    const source = await candidate();
    if (source && source.kind !== 'mosaic') return source;
  }
  return undefined;
}
