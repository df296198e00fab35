// The diff step of a scan, pure: what the walk found against what the database knows → which files to
// read (new or changed), which known tracks are gone (removed, or moved when their identity reappears
// elsewhere), which folders and scan issues to write or drop, and how the files to read are cut into
// batches of whole album folders. Nothing here touches the disk or the database.
import path from 'node:path';
import type { StoredFolder } from './folders.repository.ts';
import { disambiguatedTrackId, folderId } from '../music/identity.ts';
import type { StoredIssue } from './scan.repository.ts';
import type { ExistingTrack, StoredTrack } from './tracks-write.repository.ts';
import {
  albumFolderOf,
  discNumberFromFolder,
  folderOf,
  prefixesOf,
  type WalkedFile,
  type WalkedFolder,
  type WalkResult,
} from './walk.ts';

/** What the database knows of one library before its scan. */
export interface KnownLibrary {
  /** Tracks by path. */
  tracks: ReadonlyMap<string, StoredTrack>;
  /** Files recorded as not importable, by path. */
  issues: ReadonlyMap<string, StoredIssue>;
  /** Folders by folder id. */
  folders: ReadonlyMap<string, StoredFolder>;
}

export interface LibraryDiff {
  /** New files, and files whose size or mtime changed (every file on a full scan). */
  toRead: WalkedFile[];
  /** Unchanged files already recorded as not importable: reported again, not read again. */
  knownBroken: { path: string; reason: string }[];
  /** Files read neither because they are unchanged nor because they are known broken. */
  unchanged: number;
  /** Known tracks whose file is there again after a stream found it gone. */
  foundAgain: number[];
  /** Known tracks not on disk and not under an unreadable folder, by path: gone, or moved. */
  removed: Map<string, StoredTrack>;
  /** Recorded issues of files no longer there. */
  staleIssues: string[];
  /** Walked folders that are new or whose mtime or images changed. */
  foldersToWrite: WalkedFolder[];
  walkedFolderIds: ReadonlySet<string>;
  walkedFolderPaths: ReadonlySet<string>;
  /** True for a path under a folder (or at a file) that could not be read: kept as it was. */
  underUnreadable: (relPath: string) => boolean;
  /** Known folders gone from disk, but for those that hold one of `kept`'s paths (tracks kept back). */
  foldersGone: (kept: ReadonlySet<string>) => string[];
}

export function diffLibrary(
  libraryId: number,
  walked: WalkResult,
  known: KnownLibrary,
  options: { full: boolean },
): LibraryDiff {
  const { full } = options;
  const walkedPaths = new Set(walked.files.map((file) => file.path));
  const walkedFolderPaths = new Set(walked.folders.map((folder) => folder.path));
  // A path is looked up by its ancestors (a few Set probes), not against every unreadable entry:
  // thousands of unreadable folders in a library of 200,000 tracks would otherwise block the event loop
  // for seconds.
  const unreadable = new Set(walked.unreadable.map((entry) => entry.path));
  const underUnreadable = (relPath: string) => prefixesOf(relPath, unreadable).length > 0;

  const toRead: WalkedFile[] = [];
  const foundAgain: number[] = [];
  const knownBroken: { path: string; reason: string }[] = [];
  for (const file of walked.files) {
    const stored = known.tracks.get(file.path);
    const issue = known.issues.get(file.path);
    // A file a stream could not find (a disk not yet mounted) is there again.
    if (stored && stored.missing_since !== null) foundAgain.push(stored.pk);
    if (!full && stored && stored.file_size === file.size && stored.file_mtime === file.mtime) continue;
    if (!full && !stored && issue && issue.file_size === file.size && issue.file_mtime === file.mtime) {
      knownBroken.push({ path: file.path, reason: issue.reason });
      continue;
    }
    toRead.push(file);
  }
  const removed = new Map<string, StoredTrack>();
  for (const [relPath, row] of known.tracks)
    if (!walkedPaths.has(relPath) && !underUnreadable(relPath)) removed.set(relPath, row);
  const staleIssues = [...known.issues.keys()].filter(
    (relPath) => !walkedPaths.has(relPath) && !underUnreadable(relPath),
  );

  const walkedFolderIds = new Set<string>();
  const foldersToWrite: WalkedFolder[] = [];
  for (const folder of walked.folders) {
    const id = folderId(libraryId, folder.path);
    walkedFolderIds.add(id);
    const stored = known.folders.get(id);
    if (!stored || stored.mtime !== folder.mtime || stored.images !== JSON.stringify(folder.images))
      foldersToWrite.push(folder);
  }
  const foldersGone = (kept: ReadonlySet<string>) => {
    // A folder stays while a kept track lies under it (tracks reference their folder).
    const keptFolders = new Set<string>();
    for (const relPath of kept)
      for (let folder = folderOf(relPath); !keptFolders.has(folder); folder = folderOf(folder)) {
        keptFolders.add(folder);
        if (folder === '') break;
      }
    return [...known.folders]
      .filter(
        ([id, row]) => !walkedFolderIds.has(id) && !keptFolders.has(row.path) && !underUnreadable(row.path),
      )
      .map(([id]) => id);
  };

  return {
    toRead,
    knownBroken,
    unchanged: walked.files.length - toRead.length - knownBroken.length,
    foundAgain,
    removed,
    staleIssues,
    foldersToWrite,
    walkedFolderIds,
    walkedFolderPaths,
    underUnreadable,
    foldersGone,
  };
}

/** How many known tracks lie under each unreadable entry (for the warning that says they are kept). */
export function keptUnderUnreadable(
  knownPaths: Iterable<string>,
  unreadable: readonly { path: string }[],
): Map<string, number> {
  const prefixes = new Set(unreadable.map((entry) => entry.path));
  const counts = new Map<string, number>();
  for (const relPath of knownPaths)
    for (const prefix of prefixesOf(relPath, prefixes)) counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  return counts;
}

/**
 * Why a library that holds tracks must be skipped as unavailable rather than scanned, or undefined: no
 * audio file at all, or another device with more than maxRemovalShare of the known files missing.
 */
export function unavailableReason(input: {
  knownTracks: number;
  walkedFiles: number;
  /** Entries in the root folder. */
  rootEntries: number;
  unreadableEntries: number;
  /** The device of the last good scan (null before the first) and the one now. */
  device: { was: string | null; now: string };
  /** Known tracks not found where they were. */
  missing: number;
  maxRemovalShare: number;
}): string | undefined {
  const { knownTracks, walkedFiles, device, missing } = input;
  if (knownTracks === 0) return undefined;
  if (walkedFiles === 0) {
    const what =
      input.rootEntries === 0
        ? 'folder is empty'
        : input.unreadableEntries > 0
          ? `no audio file could be read (${input.unreadableEntries} entries cannot be read)`
          : 'folder holds no audio files';
    return `${what} while the catalog holds ${knownTracks} tracks from it`;
  }
  if (device.was !== null && device.was !== device.now && missing / knownTracks > input.maxRemovalShare)
    return `folder is on another device than at the last scan (${device.was}, now ${device.now}) and ${missing} of ${knownTracks} known files are not there`;
  return undefined;
}

/**
 * The mass-removal guard: when a scan would remove more than maxRemovalShare of the library's tracks,
 * only files whose folder is still there are really gone; the others (a sub-folder that is a mount point
 * of its own, a disk that is half there) are kept. `claimed` are removed rows that a moved file took.
 */
export function guardRemovals(input: {
  knownTracks: number;
  removed: ReadonlyMap<string, StoredTrack>;
  claimed: ReadonlySet<number>;
  walkedFolderPaths: ReadonlySet<string>;
  maxRemovalShare: number;
  allowRemoval: boolean;
}): { kept: Set<string>; wouldRemove: number } {
  const kept = new Set<string>();
  const gone = [...input.removed].filter(([, row]) => !input.claimed.has(row.pk));
  const { knownTracks } = input;
  if (input.allowRemoval || knownTracks === 0 || gone.length / knownTracks <= input.maxRemovalShare)
    return { kept, wouldRemove: gone.length };
  for (const [relPath] of gone) if (!input.walkedFolderPaths.has(folderOf(relPath))) kept.add(relPath);
  return { kept, wouldRemove: gone.length };
}

/**
 * The files to read, by album folder (grouping needs every track of an album folder at once), cut into
 * batches of at least `batchFiles` files. Album folders that only lost files are in a batch too, so their
 * remaining tracks are regrouped.
 */
export function albumFolderBatches(
  toRead: readonly WalkedFile[],
  removedPaths: Iterable<string>,
  batchFiles: number,
): { filesOf: Map<string, WalkedFile[]>; batches: string[][] } {
  const filesOf = new Map<string, WalkedFile[]>();
  for (const file of toRead) {
    const key = albumFolderOf(file.path);
    const list = filesOf.get(key) ?? [];
    list.push(file);
    filesOf.set(key, list);
  }
  for (const relPath of removedPaths)
    if (!filesOf.has(albumFolderOf(relPath))) filesOf.set(albumFolderOf(relPath), []);
  const batches: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const [albumFolder, files] of filesOf) {
    current.push(albumFolder);
    size += files.length;
    if (size >= batchFiles) {
      batches.push(current);
      current = [];
      size = 0;
    }
  }
  if (current.length > 0) batches.push(current);
  return { filesOf, batches };
}

/** Album folder → the folder ids whose tracks belong to it: itself and its "CD 1"-style disc sub-folders. */
export function albumFolderMembership(
  libraryId: number,
  folders: readonly WalkedFolder[],
): Map<string, string[]> {
  const members = new Map<string, string[]>();
  for (const folder of folders) {
    const parent = path.posix.dirname(folder.path) === '.' ? '' : path.posix.dirname(folder.path);
    const isDisc = folder.path !== '' && discNumberFromFolder(folder.name) !== undefined;
    const owner = isDisc ? parent : folder.path;
    const list = members.get(owner) ?? [];
    list.push(folderId(libraryId, folder.path));
    members.set(owner, list);
  }
  return members;
}

/**
 * The track id a file gets: its identity's id when free, else a disambiguated one (by suffix, then by
 * path, then numbered). An id is free when no file of this batch took it and the track that has it (if
 * any) is this file's own row, or a removed row of this library nobody claimed yet: then the file is
 * that track moved (`moveSource`), and keeps its pk, date added, stars and play counts.
 */
export function chooseTrackId(
  baseTrackId: string,
  file: { path: string; suffix: string },
  libraryId: number,
  lookups: {
    /** Which path of this batch took an id already. */
    takenInBatch: ReadonlyMap<string, string>;
    trackWithId: (id: string) => ExistingTrack | undefined;
    /** A removed row nobody claimed yet. */
    isRemovedUnclaimed: (pk: number) => boolean;
  },
): { id: string; moveSource: ExistingTrack | undefined } {
  let candidate = baseTrackId;
  for (let attempt = 1; ; attempt++) {
    const takenBy = lookups.takenInBatch.get(candidate);
    const owner = takenBy === undefined ? lookups.trackWithId(candidate) : undefined;
    const free =
      takenBy === undefined &&
      (!owner ||
        (owner.library_id === libraryId && owner.path === file.path) ||
        (lookups.isRemovedUnclaimed(owner.pk) && owner.library_id === libraryId));
    if (free) return { id: candidate, moveSource: owner && owner.path !== file.path ? owner : undefined };
    candidate =
      attempt <= 2
        ? disambiguatedTrackId(baseTrackId, file.suffix, file.path, attempt)
        : `${baseTrackId}-${attempt}`;
  }
}

/** The ids of the folders that hold these files. */
export function folderIdsOf(libraryId: number, relPaths: Iterable<string>): Set<string> {
  const ids = new Set<string>();
  for (const relPath of relPaths) ids.add(folderId(libraryId, folderOf(relPath)));
  return ids;
}
