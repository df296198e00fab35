// The load step of a scan: walk a library's folder, load what the database knows of it, and read the tags
// of the files the diff picked (worker threads). Reads only: nothing here writes.
import path from 'node:path';
import type { Database } from '../db/database.ts';
import { foldersOfLibrary } from './folders.repository.ts';
import type { GroupingInputs } from './grouping.ts';
import { folderId } from '../music/identity.ts';
import type { KnownLibrary } from './scan-diff.ts';
import { issuesOfLibrary } from './scan.repository.ts';
import type { TagReaderPool } from './tag-reader-pool.ts';
import type { ReadOutcome, TagReadOptions } from './tags.ts';
import { type ExistingTrack, tracksInFolders, tracksOfLibrary } from './tracks-write.repository.ts';
import { type WalkedFile, type WalkedFolder, type WalkResult, walkLibrary } from './walk.ts';

/** Walks the library, or says why its folder cannot be walked (the library is then offline). */
export async function walkOrReason(
  root: string,
  options: { followSymlinks: boolean; onFolder: (count: number) => void },
): Promise<{ walked: WalkResult } | { reason: string }> {
  try {
    return { walked: await walkLibrary(root, options) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      reason:
        code === 'ENOENT' ? 'folder missing' : `folder cannot be read (${code ?? (error as Error).message})`,
    };
  }
}

export function loadKnown(db: Database, libraryId: number): KnownLibrary {
  return {
    tracks: new Map(tracksOfLibrary(db, libraryId).map((row) => [row.path, row])),
    issues: new Map(issuesOfLibrary(db, libraryId).map((row) => [row.path, row])),
    folders: new Map(foldersOfLibrary(db, libraryId).map((row) => [row.id, row])),
  };
}

export interface FileRead {
  file: WalkedFile;
  outcome: ReadOutcome;
}

/** Reads the tags of these files in the worker pool (sidecar lyrics included); `onRead` after each. */
export function readFiles(
  pool: TagReaderPool,
  root: string,
  files: readonly WalkedFile[],
  foldersByPath: ReadonlyMap<string, WalkedFolder>,
  options: TagReadOptions,
  onRead: () => void,
): Promise<FileRead[]> {
  return Promise.all(
    files.map(async (file) => {
      const outcome = await pool.read({ ...readRequest(root, file, foldersByPath), options });
      onRead();
      return { file, outcome };
    }),
  );
}

function readRequest(root: string, file: WalkedFile, foldersByPath: ReadonlyMap<string, WalkedFolder>) {
  const relFolder = path.posix.dirname(file.path) === '.' ? '' : path.posix.dirname(file.path);
  const folder = foldersByPath.get(relFolder);
  const stem = path.posix.basename(file.path).replace(/\.[^.]+$/, '');
  const sidecar = (extension: string) => {
    const name = folder?.lyricFiles.find(
      (candidate) => candidate.toLowerCase() === `${stem}.${extension}`.toLowerCase(),
    );
    return name ? path.join(root, relFolder, name) : undefined;
  };
  const lrcFile = sidecar('lrc');
  const txtFile = sidecar('txt');
  return {
    file: path.join(root, file.path),
    size: file.size,
    ...(lrcFile ? { lrcFile } : {}),
    ...(txtFile ? { txtFile } : {}),
  };
}

/**
 * The stored tracks of these album folders (disc sub-folders included) with the grouping inputs they
 * were written with, but for the paths `skip` names (read again, or removed): they take part in grouping
 * the album folders' files without being read again.
 */
export function storedGroupingMembers(
  db: Database,
  libraryId: number,
  albumFolders: readonly string[],
  membership: ReadonlyMap<string, string[]>,
  skip: (relPath: string) => boolean,
): { row: ExistingTrack; inputs: GroupingInputs }[] {
  const folderIds = albumFolders.flatMap(
    (albumFolder) => membership.get(albumFolder) ?? [folderId(libraryId, albumFolder)],
  );
  const members: { row: ExistingTrack; inputs: GroupingInputs }[] = [];
  for (const row of tracksInFolders(db, folderIds)) {
    if (skip(row.path)) continue;
    const tags = JSON.parse(row.tags) as { g?: Omit<GroupingInputs, 'path'> };
    if (!tags.g) continue;
    members.push({ row, inputs: { ...tags.g, path: row.path } });
  }
  return members;
}
