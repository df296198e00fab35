// Browsing by folders over the real folder tree the scanner stores. A library's root folder (path '')
// is the top; its sub-folders make the index. Folders with no audio anywhere below them (artwork-only
// or broken-file folders) are left out: a client would show them as empty dead ends.
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { annotationsFor } from './annotations.repository.ts';
import {
  type FolderRow,
  findFolder,
  foldersWithAudioIn,
  rootFolderIds,
  subFoldersWithAudio,
} from './folders.repository.ts';
import { groupByLetter, indexKey } from './letters.ts';
import { type Annotation, NO_ANNOTATION, type Track, type Viewer } from './model.ts';
import { tracksInFolder, tracksInFolders } from './tracks.repository.ts';

export interface FolderEntry {
  id: string;
  libraryId: number;
  parentId: string | null;
  name: string;
  /** An album found in the folder or below it (its cover stands for the folder), if any. */
  albumId: string | null;
  annotation: Annotation;
}

export interface FolderIndex {
  lastModified: number;
  index: { name: string; folders: FolderEntry[] }[];
  /** Audio files lying directly in a library root. */
  tracks: Track[];
}

/** Folder rows as entries, with the viewer's annotations. */
export function folderEntries(db: Database, viewer: Viewer, rows: FolderRow[]): FolderEntry[] {
  const annotations = annotationsFor(
    db,
    viewer.userId,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    id: row.id,
    libraryId: row.library_id,
    parentId: row.parent_id,
    name: row.name,
    albumId: row.album_id,
    annotation: annotations.get(row.id) ?? NO_ANNOTATION,
  }));
}

/** The top-level folders of the viewer's libraries under index letters, and the loose root files. */
export function folderIndex(
  db: Database,
  viewer: Viewer,
  ignoredArticles: string,
  lastModified: number,
): FolderIndex {
  const roots = rootFolderIds(db, viewer.libraryIds);
  const keyed = folderEntries(db, viewer, foldersWithAudioIn(db, roots)).map((entry) => ({
    entry,
    key: indexKey(entry.name, ignoredArticles),
  }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.entry.id < b.entry.id ? -1 : 1));
  return {
    lastModified,
    index: groupByLetter(keyed, (item) => item.key).map((group) => ({
      name: group.name,
      folders: group.items.map((item) => item.entry),
    })),
    tracks: tracksInFolders(db, viewer, roots),
  };
}

export interface FolderDirectory {
  folder: FolderEntry;
  /** Whether the folder is a library root (it then has no parent to show). */
  isRoot: boolean;
  folders: FolderEntry[];
  tracks: Track[];
}

/** One folder: its sub-folders (with audio below) by name, then its own audio files by path. */
export function folderDirectory(db: Database, viewer: Viewer, id: string): FolderDirectory {
  const row = findFolder(db, id, viewer.libraryIds);
  if (!row) throw new TonearmError('NOT_FOUND', `directory not found: ${id}`);
  return {
    folder: folderEntries(db, viewer, [row])[0]!,
    isRoot: row.parent_id === null,
    folders: folderEntries(db, viewer, subFoldersWithAudio(db, id)),
    tracks: tracksInFolder(db, viewer, id),
  };
}

/** Whether an id names a folder (fo-…). */
export function isFolderId(id: string): boolean {
  return id.startsWith('fo-');
}
