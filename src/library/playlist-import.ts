// M3U/M3U8 playlists found in a library become playlists (owned by the first admin, public, read-only:
// the file is the source of truth). Entries are matched to tracks by path: relative paths against the
// playlist's folder, absolute paths when they point inside a library; backslashes and URL-encoding
// (file:// URLs, %20) are tolerated; remote URLs and unmatched lines are skipped. A playlist is re-read
// when its file's mtime changes and removed when the file disappears. Called once at the end of a scan;
// it walks the library itself (the audio walker ignores these files) and never fails the scan.
import fs from 'node:fs/promises';
import path from 'node:path';
import { trackIdByPath } from '../catalog/lookup.ts';
import { newId } from '../activity/ids.ts';
import { type LibraryRoots, parseM3uText, pathCandidates } from '../activity/m3u.ts';
import {
  deletePlaylistRow,
  firstAdminId,
  importedPlaylists,
  insertPlaylistRow,
  replacePlaylistTracks,
  updatePlaylistRow,
} from '../activity/playlists.repository.ts';
import type { Database } from '../db/database.ts';
import type { LibraryRow } from '../db/schema.ts';
import type { Logger } from '../shared/logger.ts';

const PLAYLIST_EXTENSIONS = new Set(['.m3u', '.m3u8']);

export interface PlaylistFile {
  /** Relative to the library root, '/' separated. */
  path: string;
  mtime: number;
}

/** Every .m3u/.m3u8 file under root (hidden entries skipped, symlinks not followed). */
export async function findPlaylistFiles(root: string): Promise<PlaylistFile[]> {
  const found: PlaylistFile[] = [];
  const visit = async (relDir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(path.join(root, relDir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(rel);
      else if (entry.isFile() && PLAYLIST_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
        const stat = await fs.stat(path.join(root, rel));
        found.push({ path: rel, mtime: Math.floor(stat.mtimeMs) });
      }
    }
  };
  await visit('');
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

export interface ParsedPlaylist {
  name: string | undefined;
  entries: string[];
}

/** The entry lines of an M3U file (comments and #EXT lines dropped; #PLAYLIST gives a name). */
export function parseM3u(text: string): ParsedPlaylist {
  const parsed = parseM3uText(text);
  return { name: parsed.name, entries: parsed.entries.map((entry) => entry.location) };
}

/** Imports, refreshes and removes the playlists of the given libraries. Errors are logged, never thrown. */
export async function importPlaylistFiles(
  db: Database,
  libraries: readonly LibraryRow[],
  logger: Logger,
  /** Playlist files the scan's walk already found, by library id (saves a second walk). */
  found?: ReadonlyMap<number, PlaylistFile[]>,
  /** Playlists whose file was not found but must stay (its folder could not be read), by library id. */
  kept?: ReadonlyMap<number, (relPath: string) => boolean>,
): Promise<void> {
  try {
    const roots: LibraryRoots[] = await Promise.all(
      libraries.map(async (library) => ({
        id: library.id,
        roots: [library.path, await fs.realpath(library.path).catch(() => library.path)],
      })),
    );
    for (const library of libraries) {
      // A library the walk could not read (unmounted) keeps its playlists, like its tracks.
      if (found && !found.has(library.id)) continue;
      await importLibrary(db, library, roots, logger, found?.get(library.id), kept?.get(library.id));
    }
  } catch (error) {
    logger.error({ err: (error as Error).message }, 'playlist import failed');
  }
}

async function importLibrary(
  db: Database,
  library: LibraryRow,
  roots: readonly LibraryRoots[],
  logger: Logger,
  known?: PlaylistFile[],
  kept?: (relPath: string) => boolean,
): Promise<void> {
  try {
    await fs.access(library.path);
  } catch {
    return; // an unmounted library keeps its playlists, like its tracks
  }
  const files = known ?? (await findPlaylistFiles(library.path));
  const stored = new Map(importedPlaylists(db, library.id).map((row) => [row.source_path, row]));
  const onDisk = new Set(files.map((file) => file.path));
  const ownerId = firstAdminId(db);
  for (const file of files) {
    const known = stored.get(file.path);
    if (known && known.source_mtime === file.mtime) continue;
    if (!ownerId) {
      logger.warn({ playlist: file.path }, 'no admin account yet; playlist file not imported');
      continue;
    }
    let text: string;
    try {
      text = await fs.readFile(path.join(library.path, file.path), 'utf8');
    } catch (error) {
      logger.warn({ playlist: file.path, err: (error as Error).message }, 'playlist file cannot be read');
      continue;
    }
    const parsed = parseM3u(text);
    const playlistDir = path.posix.dirname(file.path) === '.' ? '' : path.posix.dirname(file.path);
    const trackIds: string[] = [];
    let skipped = 0;
    for (const entry of parsed.entries) {
      const id = pathCandidates(entry, [{ libraryId: library.id, dir: playlistDir }], roots)
        .map((candidate) => trackIdByPath(db, candidate.libraryId, candidate.relPath))
        .find((found) => found !== undefined);
      if (id) trackIds.push(id);
      else skipped++;
    }
    const name = parsed.name ?? path.posix.basename(file.path).replace(/\.m3u8?$/i, '');
    const now = Date.now();
    db.transaction(() => {
      if (known) {
        updatePlaylistRow(db, known.id, { name, changed_at: now, source_mtime: file.mtime });
        replacePlaylistTracks(db, known.id, trackIds);
      } else {
        const id = newId('pl-');
        insertPlaylistRow(db, {
          id,
          owner_id: ownerId,
          name,
          comment: '',
          public: 1,
          created_at: now,
          changed_at: now,
          library_id: library.id,
          source_path: file.path,
          source_mtime: file.mtime,
        });
        replacePlaylistTracks(db, id, trackIds);
      }
    });
    if (skipped > 0)
      logger.info({ playlist: file.path, skipped }, 'playlist entries without a matching track skipped');
  }
  for (const [sourcePath, row] of stored)
    if (!onDisk.has(sourcePath) && !kept?.(sourcePath)) deletePlaylistRow(db, row.id);
}
