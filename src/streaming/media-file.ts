// Finds the file behind a track id for streaming and downloads. The id is looked up in the catalog (a
// client never names a path), the track must be in a library the caller may see, and the file's real
// path — symlinks resolved — must stay inside that library's real root, so neither a crafted row nor a
// symlink in the music folder can make the server read elsewhere. A file that is gone is flagged on
// its track (missing_since) and reported as FILE_MISSING (Subsonic 70); a track of a library that is
// offline (an unmounted share), or whose library folder cannot be reached, is LIBRARY_OFFLINE (HTTP 503)
// and its track is not flagged: the file is not gone, its disk is.
import fs from 'node:fs';
import path from 'node:path';
import { seesLibrary } from '../accounts/permissions.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';

export interface StreamTrack {
  id: string;
  libraryId: number;
  path: string;
  title: string;
  suffix: string;
  contentType: string;
  /** kbit/s as the tags or the codec header said; 0 when unknown. */
  bitrate: number;
  /** seconds */
  duration: number;
  lossless: boolean;
  codec: string;
  sampleRate: number;
  channels: number;
  bitDepth: number;
}

export interface MediaFile {
  track: StreamTrack;
  /** The real path, inside the library's real root. */
  file: string;
  size: number;
  mtimeMs: number;
}

interface TrackRow {
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

/**
 * The file of a track the caller may see. `libraryIds` undefined = every library (a viewer who sees all,
 * or a public share that checked its own rules).
 */
export async function openMediaFile(
  db: Database,
  trackId: string,
  libraryIds: readonly number[] | undefined,
): Promise<MediaFile> {
  const row = db
    .prepare(
      `SELECT t.id, t.library_id, t.path, t.title, t.suffix, t.content_type, t.bitrate, t.duration, t.lossless,
        t.codec, t.sample_rate, t.channels, t.bit_depth, l.path AS library_path, l.name AS library_name,
        l.offline_since, l.offline_reason
       FROM track t JOIN library l ON l.id = t.library_id WHERE t.id = ?`,
    )
    .get(trackId) as TrackRow | undefined;
  if (!row || !seesLibrary(libraryIds, row.library_id)) {
    throw new TonearmError('NOT_FOUND', `song not found: ${trackId}`);
  }
  const track: StreamTrack = {
    id: row.id,
    libraryId: row.library_id,
    path: row.path,
    title: row.title,
    suffix: row.suffix,
    contentType: row.content_type || 'application/octet-stream',
    bitrate: row.bitrate ?? 0,
    duration: row.duration,
    lossless: row.lossless === 1,
    codec: row.codec ?? '',
    sampleRate: row.sample_rate ?? 0,
    channels: row.channels ?? 0,
    bitDepth: row.bit_depth ?? 0,
  };
  const offline = (reason: string) =>
    new TonearmError(
      'LIBRARY_OFFLINE',
      `library "${row.library_name}" is offline (${reason}): "${row.title}" plays again when its folder is back`,
    );
  if (row.offline_since !== null)
    throw offline(
      `${row.offline_reason ?? 'unavailable'} since ${new Date(row.offline_since).toISOString()}`,
    );
  const file = await realPathInside(row.library_path, row.path);
  if (file === 'outside') {
    throw new TonearmError('NOT_FOUND', `song not found: ${trackId}`);
  }
  const stat = file === 'missing' ? undefined : await fs.promises.stat(file).catch(() => undefined);
  if (!stat?.isFile()) {
    // Not yet seen by a scan: the whole library folder is gone (unmounted), not this one file.
    const root = await fs.promises.stat(row.library_path).catch(() => undefined);
    if (!root?.isDirectory()) throw offline('its folder cannot be reached');
    db.prepare('UPDATE track SET missing_since = coalesce(missing_since, ?) WHERE id = ?').run(
      Date.now(),
      row.id,
    );
    throw new TonearmError(
      'FILE_MISSING',
      `the file of "${row.title}" is missing (moved or deleted since the last scan); a rescan will update the library`,
    );
  }
  return { track, file, size: stat.size, mtimeMs: stat.mtimeMs };
}

/**
 * The real path of a file a catalog row names relative to a library (a cover image, an artist image):
 * undefined when the library is unknown, the file is absent, or it resolves outside the library's real root.
 */
export async function libraryFile(
  db: Database,
  libraryId: number,
  relPath: string,
): Promise<string | undefined> {
  const library = db.prepare('SELECT path FROM library WHERE id = ?').get(libraryId) as
    | { path: string }
    | undefined;
  if (!library) return undefined;
  const file = await realPathInside(library.path, relPath);
  return file === 'outside' || file === 'missing' ? undefined : file;
}

// A library root's real path hardly ever changes, and resolving it is a thread-pool round trip on every
// stream start: it is kept for a few seconds.
const ROOT_TTL_MS = 10_000;
const realRoots = new Map<string, { real: string; until: number }>();

async function realRootOf(root: string): Promise<string | undefined> {
  const now = Date.now();
  const known = realRoots.get(root);
  if (known && known.until > now) return known.real;
  try {
    const real = await fs.promises.realpath(root);
    realRoots.set(root, { real, until: now + ROOT_TTL_MS });
    return real;
  } catch {
    realRoots.delete(root);
    return undefined;
  }
}

/** The real path of relPath under root; 'outside' when it resolves out of the root, 'missing' when absent. */
export async function realPathInside(root: string, relPath: string): Promise<string | 'outside' | 'missing'> {
  const realRoot = await realRootOf(root);
  if (realRoot === undefined) return 'missing';
  const joined = path.resolve(realRoot, relPath);
  if (!isInside(realRoot, joined)) return 'outside';
  try {
    const real = await fs.promises.realpath(joined);
    return isInside(realRoot, real) ? real : 'outside';
  } catch {
    return 'missing';
  }
}

function isInside(root: string, candidate: string): boolean {
  return candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}
