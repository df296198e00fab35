// Downloads of whole albums, artists, playlists and folders as one ZIP archive, streamed while it is
// built: no copy of the music is made and memory stays constant whatever the archive's size.
//
// Planning comes first: the tracks of the item the caller may see, each resolved to its real file with
// openMediaFile (inside its library's real root; a vanished file is flagged and skipped with a log line,
// so one lost file does not cost the whole archive). Every size is then known, so yazl can tell the
// archive's exact length before the first byte (entries are stored, not deflated: audio does not
// compress) and clients show progress.
//
// Streaming: yazl asks for each file only when its turn comes, so at most one file is open at a time,
// and its pipes follow the reader's pace. Whoever destroys the output (the HTTP layer when the client
// goes away) stops the archive: the open file is closed and no further file is opened.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ZipFile } from 'yazl';
import type { User } from '../accounts/users.service.ts';
import { getPlaylist } from '../activity/playlists.service.ts';
import { viewerFor } from '../catalog/access.ts';
import {
  type ArchiveTrack,
  albumArchiveTracks,
  archiveTracksBelow,
  archiveTracksByIds,
  artistArchiveTracks,
  artistName,
  folderPlace,
} from '../catalog/lookup.ts';
import type { CatalogReader } from '../catalog/reader.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { openMediaFile } from './media-file.ts';

// yazl is loaded at the first zip download, not at start (an idle server has no use for it).
const require = createRequire(import.meta.url);
let yazlModule: typeof import('yazl') | undefined;
const yazl = (): typeof import('yazl') => (yazlModule ??= require('yazl'));

export interface ZipEntry {
  /** The path inside the archive: sanitised components joined by '/', unique in the archive. */
  name: string;
  trackId: string;
  /** The real path, checked to be inside its library. */
  file: string;
  size: number;
  mtimeMs: number;
}

export interface ZipDownload {
  /** What the archive holds (album, artist, playlist or folder name), for its file name. */
  title: string;
  entries: ZipEntry[];
}

export interface ZipStream {
  /** The archive's bytes. Destroying it stops the archive and closes its files. */
  output: Readable;
  /** Exact length in bytes, or undefined when it cannot be known up front (then send it chunked). */
  size: number | undefined;
}

/** Ids that name a collection of tracks rather than one song; those are downloaded as an archive. */
export function isArchiveId(id: string): boolean {
  return /^(al|ar|pl|fo)-/.test(id);
}

/** The archive's file name for Content-Disposition. */
export function archiveFileName(download: ZipDownload): string {
  return `${safeEntryName(download.title, 'download')}.zip`;
}

interface NamedTrack {
  trackId: string;
  name: string;
}

/** stat/realpath calls in flight while planning: enough to hide a NAS disk's latency, not a flood. */
const RESOLVE_CONCURRENCY = 8;

/**
 * The archive for an album, artist, playlist or folder id, as the user may see it. Unknown ids, items
 * in libraries the user cannot see and items without tracks are NOT_FOUND (70); an item whose files
 * are all gone is FILE_MISSING (70).
 */
export async function planZipDownload(
  catalog: CatalogReader,
  user: User,
  id: string,
  log: Logger,
): Promise<ZipDownload> {
  const { db } = catalog;
  const libraryIds = viewerFor(catalog, user).libraryIds;
  const { title, tracks } = collectTracks(db, user, id, libraryIds);
  if (tracks.length === 0) throw new TonearmError('NOT_FOUND', `nothing to download: ${id}`);
  const entries: (ZipEntry | undefined)[] = new Array(tracks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tracks.length) {
      const index = next++;
      const track = tracks[index]!;
      try {
        const media = await openMediaFile(db, track.trackId, libraryIds);
        entries[index] = { ...track, file: media.file, size: media.size, mtimeMs: media.mtimeMs };
      } catch (error) {
        if (!(error instanceof TonearmError)) throw error;
        // openMediaFile flagged a vanished file on its track; the rest of the archive is still worth having.
        log.warn(
          { trackId: track.trackId, archive: id, reason: error.message },
          'zip download: file skipped',
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(RESOLVE_CONCURRENCY, tracks.length) }, worker));
  const present = entries.filter((entry): entry is ZipEntry => entry !== undefined);
  if (present.length === 0) {
    throw new TonearmError(
      'FILE_MISSING',
      `none of the files of "${title}" are in the library any more; a rescan will update it`,
    );
  }
  return { title, entries: present };
}

function collectTracks(
  db: Database,
  user: User,
  id: string,
  libraryIds: readonly number[] | undefined,
): { title: string; tracks: NamedTrack[] } {
  if (id.startsWith('al-')) {
    const tracks = albumArchiveTracks(db, id, libraryIds);
    return { title: tracks[0]?.album_name ?? '', tracks: albumNames(tracks, '') };
  }

  if (id.startsWith('ar-')) {
    // Like the artist's page: the albums they are an album artist of, oldest first.
    const tracks = artistArchiveTracks(db, id, libraryIds);
    const name = artistName(db, id);
    const folders = new UniqueNames();
    const named: NamedTrack[] = [];
    for (const album of groupBy(tracks, (track) => track.album_id)) {
      const folder = folders.take('', safeEntryName(album[0]!.album_name, 'Album'), '');
      named.push(...albumNames(album, `${folder}/`));
    }
    return { title: name ?? '', tracks: named };
  }

  if (id.startsWith('pl-')) {
    // The playlist rules (owner, public, admin) live in the activity module; a playlist the user may not
    // see is NOT_FOUND there too.
    const playlist = getPlaylist(db, user, id);
    const rows = new Map(archiveTracksByIds(db, playlist.trackIds, libraryIds).map((row) => [row.id, row]));
    const width = Math.max(3, String(playlist.trackIds.length).length);
    const names = new UniqueNames();
    const tracks: NamedTrack[] = [];
    for (const [index, trackId] of playlist.trackIds.entries()) {
      const row = rows.get(trackId);
      if (!row) continue;
      const artist = safeEntryName(row.artist_name, 'Unknown Artist');
      const stem = `${String(index + 1).padStart(width, '0')} - ${artist} - ${safeTitle(row)}`;
      tracks.push({ trackId, name: names.take('', safeEntryName(stem), extensionOf(row)) });
    }
    return { title: playlist.name, tracks };
  }

  if (id.startsWith('fo-')) {
    // A folder is what is on disk below it: its files and its sub-folders, under their own names.
    const folder = folderPlace(db, id, libraryIds);
    if (!folder) return { title: '', tracks: [] };
    const tracks = archiveTracksBelow(db, folder.library_id, folder.path, libraryIds);
    const names = new UniqueNames();
    const prefix = folder.path === '' ? 0 : folder.path.length + 1;
    return {
      title: folder.path === '' ? folder.library_name : folder.name,
      tracks: tracks.map((track) => {
        const parts = track.path.slice(prefix).split('/');
        const file = parts.pop()!;
        const dir = parts.map((part) => `${safeEntryName(part)}/`).join('');
        const extension = path.posix.extname(file);
        const stem = safeEntryName(file.slice(0, file.length - extension.length));
        return { trackId: track.id, name: names.take(dir, stem, safeExtension(extension.slice(1))) };
      }),
    };
  }

  return { title: '', tracks: [] };
}

/** `01 - Title.ext`, under `Disc N/` when the album has several discs. */
function albumNames(tracks: ArchiveTrack[], folder: string): NamedTrack[] {
  const discs = new Set(tracks.map((track) => track.disc_number));
  const highest = Math.max(0, ...tracks.map((track) => track.track_number ?? 0));
  const width = Math.max(2, String(highest).length);
  const names = new UniqueNames();
  return tracks.map((track) => {
    const dir = discs.size > 1 ? `${folder}Disc ${track.disc_number}/` : folder;
    const stem =
      track.track_number !== null
        ? `${String(track.track_number).padStart(width, '0')} - ${safeTitle(track)}`
        : safeTitle(track);
    return { trackId: track.id, name: names.take(dir, safeEntryName(stem), extensionOf(track)) };
  });
}

/** The title as a safe name; the file's own name when the title is empty or nothing but dots. */
function safeTitle(track: ArchiveTrack): string {
  const fileStem = path.posix.basename(track.path, path.posix.extname(track.path));
  return safeEntryName(track.title, safeEntryName(fileStem));
}

function extensionOf(track: ArchiveTrack): string {
  return safeExtension(track.suffix || path.posix.extname(track.path).slice(1));
}

function safeExtension(suffix: string): string {
  const safe = safeEntryName(suffix, '');
  return safe ? `.${safe}` : '';
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return [...groups.values()];
}

// Control characters and bidirectional overrides (which can disguise an extension) are dropped; the
// characters Windows refuses in file names are replaced, since archives are unpacked everywhere.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const RESERVED = /[/\\:*?"<>|]/g;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)$/i;
/** Bytes of one path component, leaving room for " (n)" and an extension under the usual 255. */
const MAX_COMPONENT_BYTES = 200;

/**
 * One safe path component: no separators, no control characters, never `.` or `..` (trailing dots and
 * spaces go, as Windows drops them anyway), at most 200 UTF-8 bytes. Other unicode is kept as it is.
 */
export function safeEntryName(text: string, fallback = '_'): string {
  let name = text
    .replace(/\s+/g, ' ')
    .replace(INVISIBLE, '')
    .replace(RESERVED, '_')
    .trim()
    .replace(/[. ]+$/, '');
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  if (name === '') return fallback;
  return truncateUtf8(name, MAX_COMPONENT_BYTES);
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let out = '';
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    out += char;
  }
  return out.trimEnd().replace(/[. ]+$/, '');
}

/** Hands out names unique within an archive, ignoring case (Windows and macOS unpack case-insensitively). */
class UniqueNames {
  private readonly taken = new Set<string>();

  take(dir: string, stem: string, extension: string): string {
    for (let n = 1; ; n++) {
      const name = `${dir}${n === 1 ? stem : `${stem} (${n})`}${extension}`;
      const key = name.normalize('NFC').toLowerCase();
      if (!this.taken.has(key)) {
        this.taken.add(key);
        return name;
      }
    }
  }
}

type OpenEntry = (entry: ZipEntry, deliver: (stream: Readable) => void) => void;

/** yazl's typings omit the size that end() hands its callback. */
type EndWithSize = (options: undefined, onTotalSize: (totalSize: number) => void) => void;

function buildZip(download: ZipDownload, open: OpenEntry): { zip: ZipFile; size: number | undefined } {
  const zip = new (yazl().ZipFile)();
  for (const entry of download.entries) {
    // addReadStreamLazy, not addFile: the size is known already (no second stat), and the stream is ours
    // to close when the client goes away.
    zip.addReadStreamLazy(
      entry.name,
      { size: entry.size, mtime: new Date(entry.mtimeMs), compress: false },
      (deliver) => open(entry, (stream) => deliver(null, stream)),
    );
  }
  let size: number | undefined;
  // With every size known and nothing deflated, yazl computes the total inside end(), synchronously.
  (zip.end as EndWithSize).call(zip, undefined, (total) => {
    size = total >= 0 ? total : undefined;
  });
  return { zip, size };
}

/** The archive's exact length without reading a file (HEAD); undefined when it cannot be known. */
export function zipSize(download: ZipDownload): number | undefined {
  // The first entry is asked for at once; it is never delivered, so nothing is opened or written out.
  return buildZip(download, () => {}).size;
}

/** Starts the archive; bytes flow as fast as the output is read. */
export function streamZip(download: ZipDownload, log: Logger): ZipStream {
  const openFiles = new Set<fs.ReadStream>();
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    for (const file of openFiles) file.destroy();
    openFiles.clear();
  };
  const fail = (error: unknown, entry?: ZipEntry): void => {
    if (stopped) return;
    log.error({ err: error, entry: entry?.name }, 'zip download: archive cut short');
    stop();
    // Headers are out, so the only honest answer left is a cut connection: the HTTP layer's pipeline
    // destroys the response when its source fails.
    output.destroy(error instanceof Error ? error : new Error(String(error)));
  };

  const { zip, size } = buildZip(download, (entry, deliver) => {
    if (stopped) return;
    // Never more than the planned size: a file that grew meanwhile must not overrun Content-Length (one
    // that shrank makes yazl report an error, which cuts the download).
    const file = fs.createReadStream(entry.file, entry.size > 0 ? { start: 0, end: entry.size - 1 } : {});
    openFiles.add(file);
    file.once('close', () => openFiles.delete(file));
    // yazl does not listen for errors of streams it is handed; an unheard error would end the process.
    file.once('error', (error) => fail(error, entry));
    deliver(file);
  });
  const output = zip.outputStream as Readable;
  zip.on('error', (error: unknown) => fail(error));
  output.once('close', stop);
  return { output, size };
}
