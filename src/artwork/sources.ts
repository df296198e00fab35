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
import { findPlaylistRow, playlistTrackIds } from '../activity/playlists.repository.ts';
import {
  type AlbumCover,
  albumCover,
  albumIdsOfTracks,
  artistImage,
  coveredAlbumsOfArtist,
  firstAlbumBelow,
  folderPlace,
  otherTrackWithArt,
  trackArt,
} from '../catalog/lookup.ts';
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
/** Tracks of a playlist looked at for its mosaic. */
const MOSAIC_TRACKS_TRIED = 1000;
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

function albumCandidates(db: Database, album: AlbumCover, libraryIds: readonly number[] | undefined) {
  const candidates: Candidate[] = [];
  if (
    album.cover_path !== null &&
    album.cover_library_id !== null &&
    sees(libraryIds, album.cover_library_id)
  )
    candidates.push(imageFile(db, album.cover_library_id, album.cover_path));
  if (album.cover_track_id !== null) candidates.push(embeddedIn(db, album.cover_track_id, libraryIds));
  candidates.push(async () => {
    const other = otherTrackWithArt(db, album.id, album.cover_track_id, libraryIds);
    return other === undefined ? undefined : embeddedIn(db, other, libraryIds)();
  });
  return candidates;
}

function albumIdCandidates(db: Database, id: string, libraryIds: readonly number[] | undefined): Candidate[] {
  const album = albumCover(db, id, libraryIds);
  if (!album) throw notFound(id);
  return albumCandidates(db, album, libraryIds);
}

function trackCandidates(db: Database, id: string, libraryIds: readonly number[] | undefined): Candidate[] {
  const track = trackArt(db, id, libraryIds);
  if (!track) throw notFound(id);
  const candidates: Candidate[] = [];
  if (track.has_embedded_art) candidates.push(embeddedIn(db, track.id, libraryIds));
  const album = albumCover(db, track.album_id);
  if (album) candidates.push(...albumCandidates(db, album, libraryIds));
  return candidates;
}

function artistCandidates(db: Database, id: string, libraryIds: readonly number[] | undefined): Candidate[] {
  const artist = artistImage(db, id, libraryIds);
  if (!artist) throw notFound(id);
  const candidates: Candidate[] = [];
  if (
    artist.image_path !== null &&
    artist.image_library_id !== null &&
    sees(libraryIds, artist.image_library_id)
  )
    candidates.push(imageFile(db, artist.image_library_id, artist.image_path));
  // Their own albums, newest first; for an artist who only appears on others' albums, those.
  for (const album of coveredAlbumsOfArtist(db, id, libraryIds)) {
    candidates.push(...albumCandidates(db, album, libraryIds));
  }
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
  const folder = folderPlace(db, id, libraryIds);
  if (!folder) throw notFound(id);
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
  const albumId = firstAlbumBelow(db, folder.library_id, folder.path);
  const album = albumId === undefined ? undefined : albumCover(db, albumId);
  if (album) candidates.push(...albumCandidates(db, album, libraryIds));
  return candidates;
}

function playlistCandidates(db: Database, id: string, request: SourceRequest): Candidate[] {
  const playlist = findPlaylistRow(db, id);
  const viewer = request.viewer;
  const visible =
    playlist !== undefined &&
    (playlist.public === 1 || viewer?.isAdmin === true || viewer?.userId === playlist.owner_id);
  if (!visible) throw notFound(id);
  return [
    async () => {
      const albumIds = albumIdsOfTracks(
        db,
        playlistTrackIds(db, id),
        request.libraryIds,
        MOSAIC_TRACKS_TRIED,
      );
      const tiles: FileSource[] = [];
      const seen = new Set<string>();
      for (const albumId of [...new Set(albumIds)].slice(0, MOSAIC_ALBUMS_TRIED)) {
        const album = albumCover(db, albumId);
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
